package io.mcrelay.rules;

/**
 * Limits on the rule table. Defaults: 65,536 rules and 256 outputs per rule; both configurable (a config file's
 * {@code limits}) within the bounds below, which keep a full table inside one 16 MiB control frame.
 */
public record Limits(int maxRules, int maxOutputsPerRule) {
    public static final int DEFAULT_MAX_RULES = 65_536;
    public static final int DEFAULT_MAX_OUTPUTS_PER_RULE = 256;
    public static final int MAX_RULES_CEILING = 262_144;
    public static final int MAX_OUTPUTS_PER_RULE_CEILING = 1_024;
    public static final Limits DEFAULT = new Limits(DEFAULT_MAX_RULES, DEFAULT_MAX_OUTPUTS_PER_RULE);

    public Limits {
        if (maxRules < 1 || maxRules > MAX_RULES_CEILING) {
            throw new IllegalArgumentException(
                "max_rules must be between 1 and " + MAX_RULES_CEILING + ", not " + maxRules);
        }
        if (maxOutputsPerRule < 1 || maxOutputsPerRule > MAX_OUTPUTS_PER_RULE_CEILING) {
            throw new IllegalArgumentException(
                "max_outputs_per_rule must be between 1 and " + MAX_OUTPUTS_PER_RULE_CEILING + ", not "
                    + maxOutputsPerRule);
        }
    }
}
