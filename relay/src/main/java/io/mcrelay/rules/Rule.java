package io.mcrelay.rules;

import java.util.List;
import java.util.Objects;

/**
 * A forwarding rule: frames matching {@code input} are re-sent, payload unchanged, to every output in order.
 * Immutable; built by {@link RuleValidator} from user input, which is where errors are explained.
 *
 * @param name an optional label for people, or {@code null}
 */
public record Rule(RuleId id, String name, RuleInput input, List<RuleOutput> outputs) {
    public Rule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(input, "input");
        outputs = List.copyOf(outputs);
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("a rule needs at least one output");
        }
    }
}
