package io.mcrelay.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/** jqwik generators of valid domain values, shared through relay's test-jar. */
public final class RuleArbitraries {
    private RuleArbitraries() {
    }

    public static Arbitrary<String> interfaceNames() {
        return Arbitraries.oneOf(
            Arbitraries.of("eth0", "eth1", "ens3", "veth-in", "veth-out", "lo", "br0.100"),
            Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-_.").ofMinLength(1).ofMaxLength(15)
                .filter(s -> !s.equals(".") && !s.equals("..")));
    }

    public static Arbitrary<IpAddress> multicastGroups() {
        return Arbitraries.oneOf(
            Arbitraries.longs().between(0xE000_0000L, 0xEFFF_FFFFL).map(v -> IpAddress.ipv4((int) (long) v)),
            Arbitraries.of(IpAddress.parse("224.0.0.0"), IpAddress.parse("239.255.255.255")));
    }

    public static Arbitrary<IpAddress> unicastAddresses() {
        return Arbitraries.longs().between(0x0100_0000L, 0xDFFF_FFFFL).map(v -> IpAddress.ipv4((int) (long) v));
    }

    public static Arbitrary<IpAddress> groups() {
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, multicastGroups()),
            net.jqwik.api.Tuple.of(1, unicastAddresses()));
    }

    public static Arbitrary<Integer> ports() {
        return Arbitraries.integers().between(1, 65535);
    }

    public static Arbitrary<RuleId> ids() {
        return Arbitraries.strings().withChars("ABCxyz0189._-").ofMinLength(1).ofMaxLength(RuleId.MAX_LENGTH)
            .map(RuleId::new);
    }

    public static Arbitrary<String> names() {
        return Arbitraries.strings().ofMinLength(1).ofMaxLength(40)
            .filter(s -> s.chars().noneMatch(c -> Character.isISOControl((char) c)))
            .injectNull(0.3);
    }

    public static Arbitrary<RuleInput> inputs() {
        return Combinators.combine(interfaceNames(), groups(), ports(), unicastAddresses().injectNull(0.6))
            .as((name, group, port, source) -> new RuleInput(name, group, port, group.isMulticast() ? source : null));
    }

    public static Arbitrary<RuleOutput> outputs() {
        return Combinators.combine(groups(), ports(), interfaceNames(),
                Arbitraries.integers().between(0, 255))
            .as(RuleOutput::new);
    }

    /** A valid rule: outputs distinct and none equal to the input. */
    public static Arbitrary<Rule> rules() {
        return Combinators.combine(ids(), names(), inputs(), outputs().list().ofMinSize(1).ofMaxSize(6))
            .as((id, name, input, outputs) -> new Rule(id, name, input, distinctOutputs(input, outputs)));
    }

    /** A list of rules with distinct ids and distinct inputs. */
    public static Arbitrary<List<Rule>> ruleSets(final int maxSize) {
        return rules().list().ofMaxSize(maxSize).map(RuleArbitraries::consistent);
    }

    private static List<RuleOutput> distinctOutputs(final RuleInput input, final List<RuleOutput> outputs) {
        final List<RuleOutput> kept = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        for (final RuleOutput output : outputs) {
            final boolean loop = output.group().equals(input.group()) && output.port() == input.port()
                && output.interfaceName().equals(input.interfaceName());
            if (!loop && seen.add(output.group() + ":" + output.port() + ":" + output.interfaceName())) {
                kept.add(output);
            }
        }
        if (kept.isEmpty()) {
            // Every drawn output was a loop or a repeat: one on another port can be neither.
            kept.add(new RuleOutput(IpAddress.parse("239.255.255.254"), input.port() % 65535 + 1, "out0", 0));
        }
        return kept;
    }

    private static List<Rule> consistent(final List<Rule> rules) {
        final List<Rule> kept = new ArrayList<>();
        final Set<RuleId> ids = new HashSet<>();
        final Set<RuleInput> inputs = new HashSet<>();
        for (final Rule rule : rules) {
            if (ids.add(rule.id()) && inputs.add(rule.input())) {
                kept.add(rule);
            }
        }
        return kept;
    }
}
