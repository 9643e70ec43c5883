package io.mcrelay.rules;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link RuleSpec} into a {@link Rule}, or explains every problem with it, each naming its field.
 *
 * <p>This checks one rule on its own; what depends on the rest of the table (duplicate ids, duplicate inputs,
 * the rule limit) is {@link #checkTable} and the core's {@code RuleSet.checkAdd}. Stateless and thread-safe.
 */
public final class RuleValidator {
    /** Longest rule name, in characters. */
    public static final int NAME_LENGTH_MAX = 256;

    private RuleValidator() {
    }

    /** The outcome: a rule when {@code errors} is empty, otherwise {@code rule} is {@code null}. */
    public record Result(Rule rule, List<ValidationError> errors) {
        public Result {
            errors = List.copyOf(errors);
            assert (rule == null) != errors.isEmpty();
        }

        public boolean isValid() {
            return errors.isEmpty();
        }

        /** The errors in one line each, for a message. */
        public String describe() {
            return ValidationError.describe(errors);
        }
    }

    /**
     * Validates {@code spec}.
     *
     * @param generatedId the id to use when the spec names none; may be {@code null} only if the spec has an id
     */
    public static Result validate(final RuleSpec spec, final RuleId generatedId, final Limits limits) {
        final List<ValidationError> errors = new ArrayList<>();

        RuleId id = null;
        if (spec.id() == null) {
            if (generatedId == null) {
                errors.add(new ValidationError("id", "an id is required"));
            }
            id = generatedId;
        } else if (RuleId.isValid(spec.id())) {
            id = new RuleId(spec.id());
        } else {
            errors.add(new ValidationError("id", RuleId.describeProblem(spec.id())));
        }

        final String name = spec.name();
        if (name != null) {
            nameProblem(name, errors);
        }

        final String inputInterface = interfaceName("input_interface", spec.inputInterface(), errors);
        final IpAddress inputGroup = address("input_group", spec.inputGroup(), errors);
        if (inputGroup != null && (inputGroup.isUnspecified() || inputGroup.isLimitedBroadcast())) {
            errors.add(new ValidationError("input_group", "\"" + inputGroup + "\" names no group or host"));
        }
        final int inputPort = port("input_port", spec.inputPort(), errors);
        IpAddress inputSource = null;
        if (spec.inputSource() != null) {
            inputSource = address("input_source", spec.inputSource(), errors);
            if (inputSource != null) {
                if (inputSource.isMulticast() || inputSource.isUnspecified() || inputSource.isLimitedBroadcast()) {
                    errors.add(new ValidationError("input_source",
                        "\"" + inputSource + "\" is not a unicast sender address"));
                    inputSource = null;
                } else if (inputGroup != null && !inputGroup.isMulticast()) {
                    errors.add(new ValidationError("input_source",
                        "a source applies only to a multicast input_group, and " + inputGroup + " is unicast"));
                }
            }
        }

        final List<OutputSpec> outputSpecs = spec.outputs();
        if (outputSpecs.isEmpty()) {
            errors.add(new ValidationError("outputs", "a rule needs at least one output"));
        } else if (outputSpecs.size() > limits.outputsPerRuleMax()) {
            errors.add(new ValidationError("outputs", "a rule has at most " + limits.outputsPerRuleMax()
                + " outputs (max_outputs_per_rule), this one has " + outputSpecs.size()));
        }
        final List<RuleOutput> outputs = new ArrayList<>(outputSpecs.size());
        final int outputsChecked = Math.min(outputSpecs.size(), limits.outputsPerRuleMax());
        for (int i = 0; i < outputsChecked; i++) {
            final RuleOutput output = output(i, outputSpecs.get(i), errors);
            if (output == null) {
                continue;
            }
            if (inputGroup != null && inputInterface != null && output.group().equals(inputGroup)
                && output.port() == inputPort && output.interfaceName().equals(inputInterface)) {
                errors.add(new ValidationError("outputs[" + i + "]",
                    "output " + output + " equals the input: it would forward its own packets in a loop"));
                continue;
            }
            for (int j = 0; j < outputs.size(); j++) {
                final RuleOutput earlier = outputs.get(j);
                if (earlier.group().equals(output.group()) && earlier.port() == output.port()
                    && earlier.interfaceName().equals(output.interfaceName())) {
                    errors.add(new ValidationError("outputs[" + i + "]",
                        "output " + output + " repeats an earlier output of this rule"));
                    break;
                }
            }
            outputs.add(output);
        }

        if (!errors.isEmpty()) {
            return new Result(null, errors);
        }
        final RuleInput input = new RuleInput(inputInterface, inputGroup, inputPort, inputSource);
        return new Result(new Rule(id, name, input, outputs), errors);
    }

    /**
     * What is refused in a rule added now but kept in one already stored (a journal, a config file): an any-source
     * input in the source-specific range 232.0.0.0/8, where routers ignore any-source membership reports (RFC 4607),
     * so the stream would never be delivered. Empty when there is nothing.
     */
    public static List<ValidationError> newRuleProblems(final Rule rule) {
        final String warning = storedRuleWarning(rule);
        return warning == null ? List.of() : List.of(new ValidationError("input_source", warning));
    }

    /**
     * The warning a stored rule carries for what {@link #newRuleProblems} refuses in a new one, or {@code null}; it
     * is shown as the rule's {@code state_reason}.
     */
    public static String storedRuleWarning(final Rule rule) {
        if (rule.input().source() == null && rule.input().group().isSourceSpecificMulticast()) {
            return "group " + rule.input().group() + " is in the source-specific range 232.0.0.0/8, where routers "
                + "ignore any-source joins (RFC 4607): name the sender with input_source";
        }
        return null;
    }

    private static void nameProblem(final String name, final List<ValidationError> errors) {
        if (name.isEmpty() || name.length() > NAME_LENGTH_MAX) {
            errors.add(new ValidationError("name", "a name has 1 to " + NAME_LENGTH_MAX + " characters, this one has "
                + name.length()));
            return;
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                errors.add(new ValidationError("name", "a name must not contain control characters"));
                return;
            }
        }
    }

    private static RuleOutput output(final int index, final OutputSpec spec, final List<ValidationError> errors) {
        final String prefix = "outputs[" + index + "].";
        final int before = errors.size();
        final IpAddress group = address(prefix + "group", spec.group(), errors);
        if (group != null && (group.isUnspecified() || group.isLimitedBroadcast())) {
            errors.add(new ValidationError(prefix + "group", "\"" + group + "\" names no group or host"));
        }
        final int port = port(prefix + "port", spec.port(), errors);
        final String interfaceName = interfaceName(prefix + "interface", spec.interfaceName(), errors);
        int ttl = RuleOutput.TTL_UNSET;
        if (spec.ttl() != null) {
            ttl = integer(prefix + "ttl", spec.ttl(), 1, 255, "a TTL", errors);
        }
        return errors.size() == before ? new RuleOutput(group, port, interfaceName, ttl) : null;
    }

    private static String interfaceName(final String field, final String text, final List<ValidationError> errors) {
        final String problem = InterfaceNames.problem(text);
        if (problem != null) {
            errors.add(new ValidationError(field, problem));
            return null;
        }
        return text;
    }

    private static IpAddress address(final String field, final String text, final List<ValidationError> errors) {
        if (text == null || text.isEmpty()) {
            errors.add(new ValidationError(field, "an address is required"));
            return null;
        }
        try {
            return IpAddress.parse(text);
        } catch (final IllegalArgumentException e) {
            errors.add(new ValidationError(field, e.getMessage()));
            return null;
        }
    }

    private static int port(final String field, final String text, final List<ValidationError> errors) {
        return integer(field, text, 1, 65535, "a port", errors);
    }

    private static int integer(
        final String field, final String text, final int min, final int max, final String what,
        final List<ValidationError> errors) {
        if (text == null || text.isEmpty()) {
            errors.add(new ValidationError(field, what + " is required"));
            return -1;
        }
        if (text.length() > 6 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            errors.add(new ValidationError(field, "\"" + RuleId.abbreviate(text) + "\" is not " + what + " ("
                + min + "-" + max + ")"));
            return -1;
        }
        final int value = Integer.parseInt(text);
        if (value < min || value > max) {
            errors.add(new ValidationError(field, value + " is out of range for " + what + " (" + min + "-" + max + ")"));
            return -1;
        }
        return value;
    }

    /**
     * What stops {@code rules} from forming one table: duplicate ids, duplicate inputs, more rules than the limit.
     * Fields are prefixed {@code rules[i].}, naming the later of two clashing rules.
     */
    public static List<ValidationError> checkTable(final List<Rule> rules, final Limits limits) {
        final List<ValidationError> errors = new ArrayList<>();
        if (rules.size() > limits.rulesMax()) {
            errors.add(new ValidationError("rules", rules.size() + " rules exceed the limit (max_rules) of "
                + limits.rulesMax()));
        }
        final Map<RuleId, Integer> firstById = new HashMap<>();
        final Map<RuleInput, Integer> firstByInput = new HashMap<>();
        for (int i = 0; i < rules.size(); i++) {
            final Rule rule = rules.get(i);
            final Integer sameId = firstById.putIfAbsent(rule.id(), i);
            if (sameId != null) {
                errors.add(new ValidationError("rules[" + i + "].id",
                    "id \"" + rule.id() + "\" is already used by rules[" + sameId + "]"));
            }
            final Integer sameInput = firstByInput.putIfAbsent(rule.input(), i);
            if (sameInput != null) {
                errors.add(new ValidationError("rules[" + i + "].input",
                    "rules[" + sameInput + "] already receives " + rule.input()));
            }
        }
        return errors;
    }

}
