package io.mcrelay.testing;

import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.longs;
import static io.mcrelay.testing.Generators.oneOf;
import static io.mcrelay.testing.Generators.orNull;
import static io.mcrelay.testing.Generators.pick;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/** QuickTheories generators of valid domain values, shared through relay's test-jar. */
public final class RuleGenerators {
    private RuleGenerators() {
    }

    public static Gen<String> interfaceNames() {
        return oneOf(
            pick("eth0", "eth1", "ens3", "veth-in", "veth-out", "lo", "br0.100"),
            Generators.strings("abcdefghijklmnopqrstuvwxyz0123456789-_.", 1, 15)
                .assuming(s -> !s.equals(".") && !s.equals("..")));
    }

    public static Gen<IpAddress> multicastGroups() {
        return oneOf(
            longs(0xE000_0000L, 0xEFFF_FFFFL).map(v -> IpAddress.ipv4((int) (long) v)),
            pick(IpAddress.parse("224.0.0.0"), IpAddress.parse("239.255.255.255")));
    }

    public static Gen<IpAddress> unicastAddresses() {
        return longs(0x0100_0000L, 0xDFFF_FFFFL).map(v -> IpAddress.ipv4((int) (long) v));
    }

    public static Gen<IpAddress> groups() {
        return Generators.weighted(Pair.of(4, multicastGroups()), Pair.of(1, unicastAddresses()));
    }

    public static Gen<Integer> ports() {
        return ints(1, 65535);
    }

    public static Gen<RuleId> ids() {
        return Generators.strings("ABCxyz0189._-", 1, RuleId.LENGTH_MAX).map(RuleId::new);
    }

    public static Gen<String> names() {
        return orNull(Generators.stringsWithoutControls(1, 40), 30);
    }

    public static Gen<RuleInput> inputs() {
        final Gen<String> interfaceNames = interfaceNames();
        final Gen<IpAddress> groups = groups();
        final Gen<Integer> ports = ports();
        final Gen<IpAddress> sources = orNull(unicastAddresses(), 60);
        return in -> {
            final String name = interfaceNames.generate(in);
            final IpAddress group = groups.generate(in);
            final int port = ports.generate(in);
            final IpAddress source = sources.generate(in);
            return new RuleInput(name, group, port, group.isMulticast() ? source : null);
        };
    }

    public static Gen<RuleOutput> outputs() {
        return groups().zip(ports(), interfaceNames(), ints(0, 255), RuleOutput::new);
    }

    /** A valid rule: outputs distinct and none equal to the input. */
    public static Gen<Rule> rules() {
        return ids().zip(names(), inputs(), Generators.lists(outputs(), 1, 6),
            (id, name, input, outputs) -> new Rule(id, name, input, distinctOutputs(input, outputs)));
    }

    /** A list of rules with distinct ids and distinct inputs. */
    public static Gen<List<Rule>> ruleSets(final int sizeMax) {
        return Generators.lists(rules(), 0, sizeMax).map(RuleGenerators::consistent);
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
