package io.mcrelay.control;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.mcrelay.rules.OutputSpec;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.rules.RuleSpec;

/**
 * A rule as JSON: the element of {@code list --json}, of a config file's {@code rules} and of an {@code add}
 * request. Field names are the CLI contract's ({@code input_interface}, {@code input_group}, ...).
 *
 * @param state {@code active}, {@code waiting} or {@code down} in {@code list}; absent in requests and config
 */
public record RuleDocument(
    String id,
    String name,
    String inputInterface,
    String inputGroup,
    Integer inputPort,
    String inputSource,
    List<OutputDocument> outputs,
    String state) {

    public RuleDocument {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /** One output: {@code ttl} is {@code null} when unset. */
    public record OutputDocument(String group, Integer port, @JsonProperty("interface") String interfaceName,
                                 Integer ttl) {
    }

    /** The document of a rule, with the given state (or {@code null}). */
    public static RuleDocument of(final Rule rule, final String state) {
        return new RuleDocument(rule.id().value(), rule.name(), rule.input().interfaceName(),
            rule.input().group().toString(), rule.input().port(),
            rule.input().source() == null ? null : rule.input().source().toString(),
            rule.outputs().stream().map(RuleDocument::output).toList(), state);
    }

    private static OutputDocument output(final RuleOutput output) {
        return new OutputDocument(output.group().toString(), output.port(), output.interfaceName(),
            output.hasTtl() ? output.ttl() : null);
    }

    /** The document as a spec for {@link io.mcrelay.rules.RuleValidator}, which names any bad field. */
    public RuleSpec toSpec() {
        return new RuleSpec(id, name, inputInterface, inputGroup, text(inputPort), inputSource,
            outputs.stream().map(o -> new OutputSpec(o.group(), text(o.port()), o.interfaceName(), text(o.ttl())))
                .toList());
    }

    private static String text(final Integer value) {
        return value == null ? null : value.toString();
    }
}
