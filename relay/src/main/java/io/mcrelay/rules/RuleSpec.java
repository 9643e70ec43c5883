package io.mcrelay.rules;

import java.util.List;

/**
 * A rule as the user wrote it (CLI options, a config file, a control request): every field still text, so
 * that {@link RuleValidator} can name the field and quote the value that is wrong.
 *
 * @param id          the requested id, or {@code null} to have one generated
 * @param name        an optional label, or {@code null}
 * @param inputSource the one accepted sender, or {@code null}
 */
public record RuleSpec(
    String id,
    String name,
    String inputInterface,
    String inputGroup,
    String inputPort,
    String inputSource,
    List<OutputSpec> outputs) {

    public RuleSpec {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /** The same spec with another id (e.g. one the supervisor generated). */
    public RuleSpec withId(final String newId) {
        return new RuleSpec(newId, name, inputInterface, inputGroup, inputPort, inputSource, outputs);
    }

    /** The spec of an already valid rule (the inverse of validation). */
    public static RuleSpec of(final Rule rule) {
        final RuleInput in = rule.input();
        return new RuleSpec(rule.id().value(), rule.name(), in.interfaceName(), in.group().toString(),
            Integer.toString(in.port()), in.source() == null ? null : in.source().toString(),
            rule.outputs().stream().map(OutputSpec::of).toList());
    }
}
