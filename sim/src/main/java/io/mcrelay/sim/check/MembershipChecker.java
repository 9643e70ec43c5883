package io.mcrelay.sim.check;

import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.GroupMemberships.Membership;
import io.mcrelay.sim.seams.SimGroupMemberships;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * Memberships match the rules: after every supervisor cycle, on every interface that exists, each IPv4 multicast group
 * a rule receives is joined exactly as the rules need it (from any source when a rule of the group names no source,
 * which covers the others; otherwise from exactly the sources the rules name), each membership by one socket only,
 * and nothing is joined that no rule needs. A membership the kernel refused and that was not joined since is excused
 * (its rules are {@code join_failed}); which were refused is what the simulated kernel recorded, not what the
 * supervisor believes. A supervisor that forgets to leave, joins twice, or does not join again on an interface created
 * anew is what it exists to catch.
 */
public final class MembershipChecker extends Checker {
    public static final String NAME = "memberships match the rules";
    private static final int FAILURES_MAX = 20;
    private int failed;

    public MembershipChecker(final Failures failures) {
        super(NAME, failures);
    }

    /** Checks the memberships held now against {@code rules}, on the links {@code names} of {@code network}. */
    public void check(final long nowNs, final List<Rule> rules, final SimGroupMemberships memberships,
                      final SimNetwork network, final List<String> names) {
        if (failed >= FAILURES_MAX) {
            return;
        }
        // Per interface, per group: the sources named, or null once a rule takes any source.
        final TreeMap<String, TreeMap<Integer, TreeSet<Integer>>> needed = new TreeMap<>();
        for (final Rule rule : rules) {
            final IpAddress group = rule.input().group();
            // Only the interfaces named are checked: the rules of others (thousands, in a bulk load) need no map.
            if (group.family() != IpAddress.Family.IPV4 || !group.isMulticast()
                || !names.contains(rule.input().interfaceName())) {
                continue;
            }
            final TreeMap<Integer, TreeSet<Integer>> groups =
                needed.computeIfAbsent(rule.input().interfaceName(), n -> new TreeMap<>(Integer::compareUnsigned));
            if (rule.input().source() == null) {
                groups.put(group.ipv4Value(), null);
            } else if (!groups.containsKey(group.ipv4Value()) || groups.get(group.ipv4Value()) != null) {
                groups.computeIfAbsent(group.ipv4Value(), g -> new TreeSet<>(Integer::compareUnsigned))
                    .add(rule.input().source().ipv4Value());
            }
        }
        for (final String name : names) {
            if (network.interfaceIndex(name) == 0) {
                continue;
            }
            final TreeSet<Membership> expected = new TreeSet<>();
            needed.getOrDefault(name, new TreeMap<>()).forEach((group, sources) -> {
                if (sources == null) {
                    expected.add(new Membership(group, 0));
                } else {
                    sources.forEach(source -> expected.add(new Membership(group, source)));
                }
            });
            final SortedMap<Membership, List<Integer>> holders = memberships.holders(name);
            final SortedMap<Membership, String> refused = memberships.refusals(name);
            final TreeSet<Membership> missing = new TreeSet<>(expected);
            missing.removeAll(holders.keySet());
            missing.removeAll(refused.keySet());
            final TreeSet<Membership> extra = new TreeSet<>(holders.keySet());
            extra.removeAll(expected);
            final TreeMap<Membership, List<Integer>> twice = new TreeMap<>();
            holders.forEach((membership, sockets) -> {
                if (sockets.size() > 1) {
                    twice.put(membership, sockets);
                }
            });
            if (!missing.isEmpty() || !extra.isEmpty() || !twice.isEmpty()) {
                failed++;
                final SortedMap<Integer, SortedSet<Integer>> joined = memberships.joined(name);
                fail("at " + nowNs / 1_000_000L + " ms on " + name + ": " + (missing.isEmpty() ? ""
                    : "not joined " + missing + " ") + (extra.isEmpty() ? "" : "joined without a rule " + extra + " ")
                    + (twice.isEmpty() ? "" : "held by several sockets " + twice + " ") + "(held " + holders.keySet()
                    + ", " + joined.size() + " groups on the interface, refused " + refused.keySet() + ")");
            }
        }
    }
}
