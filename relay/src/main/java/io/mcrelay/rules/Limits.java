package io.mcrelay.rules;

/**
 * Limits on the rule table. Defaults: 65,536 rules and 256 outputs per rule; both configurable (a config file's
 * {@code limits}) within the bounds below, which keep a full table inside one 16 MiB control frame.
 */
public record Limits(int rulesMax, int outputsPerRuleMax) {
    public static final int RULES_MAX_DEFAULT = 65_536;
    public static final int OUTPUTS_PER_RULE_MAX_DEFAULT = 256;
    public static final int RULES_MAX_CEILING = 262_144;
    public static final int OUTPUTS_PER_RULE_MAX_CEILING = 1_024;
    public static final Limits DEFAULT = new Limits(RULES_MAX_DEFAULT, OUTPUTS_PER_RULE_MAX_DEFAULT);

    public Limits {
        if (rulesMax < 1 || rulesMax > RULES_MAX_CEILING) {
            throw new IllegalArgumentException(
                "max_rules must be between 1 and " + RULES_MAX_CEILING + ", not " + rulesMax);
        }
        if (outputsPerRuleMax < 1 || outputsPerRuleMax > OUTPUTS_PER_RULE_MAX_CEILING) {
            throw new IllegalArgumentException(
                "max_outputs_per_rule must be between 1 and " + OUTPUTS_PER_RULE_MAX_CEILING + ", not "
                    + outputsPerRuleMax);
        }
    }
}
