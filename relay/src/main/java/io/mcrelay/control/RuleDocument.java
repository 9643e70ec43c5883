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
 * @param state       {@code active}, {@code waiting}, {@code down} or {@code join_failed} in {@code list}; absent in
 *                    requests and config
 * @param stateReason in {@code list}, why the rule is in its state or what is wrong with it (a refused group
 *                    membership, an any-source group in the source-specific range), or {@code null}
 */
public record RuleDocument(
    String id,
    String name,
    String inputInterface,
    String inputGroup,
    Integer inputPort,
    String inputSource,
    List<OutputDocument> outputs,
    String state,
    String stateReason) {

    public RuleDocument {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /** A document without a state reason (requests, config files, tests). */
    public RuleDocument(final String id, final String name, final String inputInterface, final String inputGroup,
                        final Integer inputPort, final String inputSource, final List<OutputDocument> outputs,
                        final String state) {
        this(id, name, inputInterface, inputGroup, inputPort, inputSource, outputs, state, null);
    }

    /** One output: {@code ttl} is {@code null} when unset. */
    public record OutputDocument(String group, Integer port, @JsonProperty("interface") String interfaceName,
                                 Integer ttl) {
    }

    /** The document of a rule, with the given state (or {@code null}) and no reason. */
    public static RuleDocument of(final Rule rule, final String state) {
        return of(rule, state, null);
    }

    /** The document of a rule, with the given state and reason (either may be {@code null}). */
    public static RuleDocument of(final Rule rule, final String state, final String stateReason) {
        return new RuleDocument(rule.id().value(), rule.name(), rule.input().interfaceName(),
            rule.input().group().toString(), rule.input().port(),
            rule.input().source() == null ? null : rule.input().source().toString(),
            rule.outputs().stream().map(RuleDocument::output).toList(), state, stateReason);
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
