package io.mcrelay.core.supervisor;

import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.GroupMemberships.Membership;

/**
 * What the rules ask of each (input interface, IPv4 multicast group), counted and followed rule by rule for
 * {@link Memberships}: how many rules of the group take it from any source, and how many name each source. The rules
 * are walked in id order beside those of the last call, so that a change to a table of thousands of rules moves the
 * counts of the few rules that came, went or changed input, and names the groups whose memberships may have changed
 * (a count that rose from or fell to 0). Whether the interfaces exist is not counted here. Not thread-safe; keeps only
 * sorted maps.
 */
final class MembershipCounts {
    /** The key counting a group's any-source rules: below every source (sources are keyed by unsigned value). */
    private static final long ANY_SOURCE = -1;

    /** Interface → group (unsigned order, that of memberships) → source or {@link #ANY_SOURCE} → rules. */
    private final TreeMap<String, TreeMap<Integer, TreeMap<Long, Integer>>> counts = new TreeMap<>();
    /** The rules {@link #counts} counts: those of the last {@link #follow}, in id order. */
    private List<Rule> counted = List.of();

    /**
     * Moves the counts to {@code rules} and adds to {@code changed} (interface → groups, in membership order) the
     * groups whose counts rose from or fell to 0.
     *
     * @return false when {@code rules} is not in id order: it was then counted from nothing and {@code changed} may
     * miss groups (every interface must be looked at whole)
     */
    boolean follow(final List<Rule> rules, final TreeMap<String, TreeSet<Integer>> changed) {
        final boolean followed = followChanges(rules, changed);
        if (!followed) {
            counts.clear();
            for (final Rule rule : rules) {
                count(rule, 1, changed);
            }
        }
        counted = List.copyOf(rules);
        assert counts.equals(recount(rules)) : "the followed membership counts drifted from the rules";
        return followed;
    }

    /** The interfaces some rule receives a multicast group on, in name order. */
    SortedSet<String> interfaces() {
        return counts.navigableKeySet();
    }

    /** The groups rules receive on interface {@code name}, in membership order (empty if none). */
    SortedSet<Integer> groups(final String name) {
        final TreeMap<Integer, TreeMap<Long, Integer>> groups = counts.get(name);
        return groups == null ? new TreeSet<>() : groups.navigableKeySet();
    }

    /**
     * Adds to {@code out} the memberships the rules of {@code group} need on interface {@code name} when it exists:
     * one from any source when a rule takes any source, otherwise one per source named.
     */
    void wanted(final String name, final int group, final SortedSet<Membership> out) {
        final TreeMap<Integer, TreeMap<Long, Integer>> groups = counts.get(name);
        final TreeMap<Long, Integer> sources = groups == null ? null : groups.get(group);
        if (sources == null) {
            return;
        }
        if (sources.firstKey() == ANY_SOURCE) {
            out.add(new Membership(group, 0));
            return;
        }
        for (final long source : sources.keySet()) {
            out.add(new Membership(group, (int) source));
        }
    }

    /** A new set for the groups of one interface, in membership order (unsigned). */
    static TreeSet<Integer> groupSet() {
        return new TreeSet<>(Integer::compareUnsigned);
    }

    /**
     * Moves the counts from the rules of the last call to {@code rules}, walking both in id order; false (nothing
     * moved) if {@code rules} is not in id order.
     */
    private boolean followChanges(final List<Rule> rules, final TreeMap<String, TreeSet<Integer>> changed) {
        return RuleListWalk.walk(counted, rules, MembershipCounts::sameMembership, old -> count(old, -1, changed),
            rule -> count(rule, 1, changed));
    }

    /** True if the two rules count for the same interface, group and source (their ports may differ). */
    private static boolean sameMembership(final Rule one, final Rule other) {
        return one.input().interfaceName().equals(other.input().interfaceName())
            && one.input().group().equals(other.input().group())
            && Objects.equals(one.input().source(), other.input().source());
    }

    /** Adds {@code delta} rules like {@code rule}; notes its group in {@code changed} when a count left or hit 0. */
    private void count(final Rule rule, final int delta, final TreeMap<String, TreeSet<Integer>> changed) {
        final IpAddress group = rule.input().group();
        if (group.family() != IpAddress.Family.IPV4 || !group.isMulticast()) {
            return; // unicast inputs need no membership
        }
        final String name = rule.input().interfaceName();
        final TreeMap<Integer, TreeMap<Long, Integer>> groups =
            counts.computeIfAbsent(name, n -> new TreeMap<>(Integer::compareUnsigned));
        final TreeMap<Long, Integer> sources = groups.computeIfAbsent(group.ipv4Value(), g -> new TreeMap<>());
        final long key = key(rule);
        final int now = sources.getOrDefault(key, 0) + delta;
        assert now >= 0 : "more rules went than came for " + rule.input() + " on " + name;
        if (now == 0) {
            sources.remove(key);
            if (sources.isEmpty()) {
                groups.remove(group.ipv4Value());
                if (groups.isEmpty()) {
                    counts.remove(name);
                }
            }
        } else {
            sources.put(key, now);
        }
        if (now == 0 || now == delta) { // no rule counted here before, or none now
            changed.computeIfAbsent(name, n -> groupSet()).add(group.ipv4Value());
        }
    }

    private static long key(final Rule rule) {
        final IpAddress source = rule.input().source();
        return source == null ? ANY_SOURCE : Integer.toUnsignedLong(source.ipv4Value());
    }

    /** The counts of {@code rules} made from nothing (checked against the followed ones under assertions). */
    private static TreeMap<String, TreeMap<Integer, TreeMap<Long, Integer>>> recount(final List<Rule> rules) {
        final TreeMap<String, TreeMap<Integer, TreeMap<Long, Integer>>> out = new TreeMap<>();
        for (final Rule rule : rules) {
            final IpAddress group = rule.input().group();
            if (group.family() == IpAddress.Family.IPV4 && group.isMulticast()) {
                out.computeIfAbsent(rule.input().interfaceName(), n -> new TreeMap<>(Integer::compareUnsigned))
                    .computeIfAbsent(group.ipv4Value(), g -> new TreeMap<>()).merge(key(rule), 1, Integer::sum);
            }
        }
        return out;
    }
}
