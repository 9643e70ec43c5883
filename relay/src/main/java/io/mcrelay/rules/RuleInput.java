package io.mcrelay.rules;

import java.util.Comparator;
import java.util.Objects;

/**
 * What a rule receives: frames on {@code interfaceName} to {@code group}:{@code port}, optionally only from
 * {@code source} (source-specific multicast). Two rules may not share an input; a packet that matches both a
 * source-specific and a general input goes to the source-specific rule.
 *
 * @param source the one sender accepted, or {@code null} for any sender
 */
public record RuleInput(String interfaceName, IpAddress group, int port, IpAddress source)
    implements Comparable<RuleInput> {

    private static final Comparator<RuleInput> ORDER = Comparator
        .comparing(RuleInput::interfaceName)
        .thenComparing(RuleInput::group)
        .thenComparingInt(RuleInput::port)
        .thenComparing(RuleInput::source, Comparator.nullsFirst(Comparator.naturalOrder()));

    public RuleInput {
        Objects.requireNonNull(group, "group");
        if (!InterfaceNames.isValid(interfaceName)) {
            throw new IllegalArgumentException(InterfaceNames.problem(interfaceName));
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    @Override
    public int compareTo(final RuleInput other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return interfaceName + " " + group + ":" + port + (source == null ? "" : " from " + source);
    }
}
