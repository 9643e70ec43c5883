package io.mcrelay.core.supervisor;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMemberships.Membership;

/**
 * The group memberships the rules need on their input interfaces, decided here and executed by the
 * {@link GroupMemberships} seam: which memberships, and which of an interface's sockets holds each.
 *
 * <p>What is needed: for each (input interface, IPv4 multicast group) of the rules, one membership from any source
 * when a rule of that group names no source, which then covers the group's source-specific rules too (an any-source
 * membership receives every sender); otherwise one source-specific membership per source the rules name. Unicast
 * inputs need none, and nothing is joined on an interface that does not exist.
 *
 * <p>Where: the kernel holds a group at most once per socket (from any source or from a set of sources, never both),
 * at most {@code groupsPerSocket} groups per socket and {@code sourcesPerGroup} sources per group per socket, so
 * memberships are spread over as many sockets as that takes, filling the lowest-numbered socket that can take one.
 * Memberships are made before those they replace are left (a group that moves from source-specific to any-source
 * keeps receiving), and a membership once placed stays on its socket while it is needed: another's change never
 * makes it leave and join again.
 *
 * <p>A join the kernel refuses is remembered with its reason (the rules it covers are {@code join_failed}) and not
 * tried again until the interface changes (any link event for it) or the rules stop needing it. When an interface
 * goes or is created anew, the kernel has dropped its memberships with the old device: its sockets are closed and,
 * if it exists again, every membership is joined anew.
 *
 * <p>How: a change to a table of thousands of rules must not cost a look at every rule and membership. What the rules
 * ask of each (interface, group) is counted ({@link MembershipCounts}: rules from any source, rules per source) and
 * followed rule by rule, walking the rules in id order beside those of the last {@link #reconcile}; only the groups
 * whose counts rose from or fell to 0 are looked at, and the whole of an interface after a link event for it or when
 * it appeared or went. Every other group already holds or was refused exactly what it needs, so the joins and leaves,
 * and their order, are those a look at everything would make; under assertions, each reconcile checks so against
 * {@link #needed}. Not thread-safe; iterates only sorted maps.
 */
final class Memberships {
    private final GroupMemberships seam;
    /** What each interface's sockets hold. */
    private final MembershipSockets sockets = new MembershipSockets();
    /** Where each held membership is: interface → membership → socket index. */
    private final TreeMap<String, TreeMap<Membership, Integer>> held = new TreeMap<>();
    /** Joins the kernel refused, with its reason: interface → membership → reason. */
    private final TreeMap<String, TreeMap<Membership, String>> refused = new TreeMap<>();
    /** What the rules of the last {@link #reconcile} ask of each (interface, group). */
    private final MembershipCounts counts = new MembershipCounts();
    /** The interfaces of {@link #counts} that existed at the last {@link #reconcile}. */
    private TreeSet<String> existing = new TreeSet<>();
    /** The groups to look at in the next {@link #reconcile}, by interface (groups in membership order). */
    private final TreeMap<String, TreeSet<Integer>> dirty = new TreeMap<>();
    /**
     * The interfaces to look at whole in the next {@link #reconcile}: a link event came for them (their refusals are
     * to be tried again, their memberships maybe joined anew), or the rules came out of id order.
     */
    private final TreeSet<String> whole = new TreeSet<>();
    /** The kernel's limits, read at the first join of a {@link #reconcile} (null before). */
    private GroupMemberships.Limits limitsRead;

    Memberships(final GroupMemberships seam) {
        this.seam = Objects.requireNonNull(seam, "seam");
    }

    /** The memberships {@code rules} need, by interface, on the interfaces that exist. */
    static SortedMap<String, SortedSet<Membership>> needed(final List<Rule> rules, final Predicate<String> exists) {
        // Per interface and group: the sources named, or null once a rule of the group takes any source.
        final TreeMap<String, TreeMap<Integer, TreeSet<Integer>>> groups = new TreeMap<>();
        for (final Rule rule : rules) {
            final IpAddress group = rule.input().group();
            if (group.family() != IpAddress.Family.IPV4 || !group.isMulticast()
                || !exists.test(rule.input().interfaceName())) {
                continue;
            }
            final TreeMap<Integer, TreeSet<Integer>> ofInterface =
                groups.computeIfAbsent(rule.input().interfaceName(), name -> new TreeMap<>());
            final IpAddress source = rule.input().source();
            if (source == null) {
                ofInterface.put(group.ipv4Value(), null);
            } else if (!ofInterface.containsKey(group.ipv4Value()) || ofInterface.get(group.ipv4Value()) != null) {
                ofInterface.computeIfAbsent(group.ipv4Value(), g -> new TreeSet<>()).add(source.ipv4Value());
            }
        }
        final TreeMap<String, SortedSet<Membership>> out = new TreeMap<>();
        groups.forEach((name, ofInterface) -> {
            final TreeSet<Membership> memberships = new TreeSet<>();
            ofInterface.forEach((group, sources) -> {
                if (sources == null) {
                    memberships.add(new Membership(group, 0));
                } else {
                    sources.forEach(source -> memberships.add(new Membership(group, source)));
                }
            });
            out.put(name, Collections.unmodifiableSortedSet(memberships));
        });
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * Makes the memberships held equal to those {@code rules} need: joins what is missing (except what the kernel
     * refused and was not asked again since), then leaves what is no longer needed. Looks only at the groups whose
     * rules changed since the last call, and at the whole of the interfaces that changed (a link event, or
     * {@code exists} says otherwise than at the last call); the joins and leaves are those a look at every interface
     * would make, in the same order: interfaces in name order, on each the joins then the leaves, each in membership
     * order.
     *
     * @param rules the rules in id order, as the table gives them (in any other order, they are counted from nothing
     *              and every interface is looked at)
     * @return the number of joins and leaves asked of the kernel
     */
    int reconcile(final List<Rule> rules, final Predicate<String> exists) {
        if (!counts.follow(rules, dirty)) { // counted from nothing: look at everything
            whole.addAll(counts.interfaces());
            whole.addAll(held.keySet());
            whole.addAll(refused.keySet());
            whole.addAll(dirty.keySet());
        }
        final TreeSet<String> existingNow = new TreeSet<>();
        for (final String name : counts.interfaces()) {
            final boolean present = exists.test(name);
            if (present) {
                existingNow.add(name);
            }
            if (present != existing.contains(name)) {
                whole.add(name); // appeared or went without a link event seen here: every group changes
            }
        }
        existing = existingNow;
        for (final String name : whole) {
            final TreeSet<Integer> groups = dirty.computeIfAbsent(name, n -> MembershipCounts.groupSet());
            groups.addAll(counts.groups(name));
            groupsOf(held.get(name), groups);
            groupsOf(refused.get(name), groups);
        }
        limitsRead = null;
        int calls = 0;
        for (final Map.Entry<String, TreeSet<Integer>> entry : dirty.entrySet()) {
            calls += reconcile(entry.getKey(), existing.contains(entry.getKey()), entry.getValue());
        }
        dirty.clear(); // only now: after a throw, the groups not done yet are looked at again next time
        whole.clear();
        assert holdsOrRefusesWhatIsNeeded(rules, exists) : "memberships drifted from the rules: held " + held
            + ", refused " + refused.keySet() + ", needed " + needed(rules, exists);
        return calls;
    }

    /**
     * Makes the memberships of {@code groups} on interface {@code name} those their rules need: prunes the refusals
     * no longer needed, joins what is missing, then leaves what is not needed, each in membership order.
     */
    private int reconcile(final String name, final boolean present, final TreeSet<Integer> groups) {
        final TreeSet<Membership> want = new TreeSet<>();
        if (present) {
            for (final int group : groups) {
                counts.wanted(name, group, want);
            }
        }
        final TreeMap<Membership, String> refusedHere = refused.get(name);
        if (refusedHere != null) {
            for (final int group : groups) {
                ofGroup(refusedHere, group).keySet().retainAll(want);
            }
            if (refusedHere.isEmpty()) {
                refused.remove(name);
            }
        }
        final TreeMap<Membership, Integer> heldHere = held.computeIfAbsent(name, n -> new TreeMap<>());
        int calls = 0;
        for (final Membership membership : want) {
            if (heldHere.containsKey(membership) || refused.containsKey(name)
                && refused.get(name).containsKey(membership)) {
                continue;
            }
            if (limitsRead == null) {
                limitsRead = seam.limits();
            }
            final int socket = sockets.place(name, membership, limitsRead);
            final String refusal = seam.join(name, socket, membership);
            calls++;
            if (refusal == null) {
                heldHere.put(membership, socket);
                sockets.add(name, socket, membership);
            } else {
                refused.computeIfAbsent(name, n -> new TreeMap<>()).put(membership, refusal);
            }
        }
        for (final int group : groups) {
            for (final Membership membership : List.copyOf(ofGroup(heldHere, group).keySet())) {
                if (!want.contains(membership)) {
                    leave(name, membership);
                    calls++;
                }
            }
        }
        if (heldHere.isEmpty()) {
            held.remove(name);
            sockets.forget(name);
        }
        return calls;
    }

    /** The memberships of {@code group} in {@code byMembership}: a view. */
    private static <V> SortedMap<Membership, V> ofGroup(final TreeMap<Membership, V> byMembership, final int group) {
        return byMembership.subMap(new Membership(group, 0), true, new Membership(group, -1), true);
    }

    /** Adds the groups of the memberships in {@code byMembership} (if any) to {@code groups}. */
    private static void groupsOf(final TreeMap<Membership, ?> byMembership, final TreeSet<Integer> groups) {
        if (byMembership != null) {
            for (final Membership membership : byMembership.keySet()) {
                groups.add(membership.group());
            }
        }
    }

    /**
     * The invariant {@link #reconcile} keeps (checked under assertions, at the cost of a look at every rule): on each
     * interface, the memberships held and those refused are apart, and together exactly those the rules need.
     */
    private boolean holdsOrRefusesWhatIsNeeded(final List<Rule> rules, final Predicate<String> exists) {
        final TreeMap<String, TreeSet<Membership>> covered = new TreeMap<>();
        held.forEach((name, here) -> covered.computeIfAbsent(name, n -> new TreeSet<>()).addAll(here.keySet()));
        for (final Map.Entry<String, TreeMap<Membership, String>> entry : refused.entrySet()) {
            final TreeSet<Membership> here = covered.computeIfAbsent(entry.getKey(), n -> new TreeSet<>());
            for (final Membership membership : entry.getValue().keySet()) {
                if (!here.add(membership)) {
                    return false; // both held and refused
                }
            }
        }
        return covered.equals(needed(rules, exists));
    }

    /**
     * Follows a change of interface {@code name}: the memberships it refused are tried again at the next
     * {@link #reconcile}; when it went or was created anew ({@code deviceGone}), its sockets are closed and its
     * memberships forgotten (the kernel dropped them with the old device).
     */
    void onLinkChanged(final String name, final boolean deviceGone) {
        whole.add(name);
        refused.remove(name);
        if (deviceGone && held.containsKey(name)) {
            seam.forget(name);
            held.remove(name);
            sockets.forget(name);
        }
    }

    /**
     * Why the membership that would deliver {@code rule}'s packets was refused, or {@code null} when it was not (it
     * is held, not needed, or its interface does not exist).
     */
    String refusal(final Rule rule) {
        final TreeMap<Membership, String> here = refused.get(rule.input().interfaceName());
        final IpAddress group = rule.input().group();
        if (here == null || group.family() != IpAddress.Family.IPV4 || !group.isMulticast()) {
            return null;
        }
        // Refusals are kept only while needed, so a refused any-source membership is the one covering this rule.
        final String anySource = here.get(new Membership(group.ipv4Value(), 0));
        if (anySource != null || rule.input().source() == null) {
            return anySource;
        }
        return here.get(new Membership(group.ipv4Value(), rule.input().source().ipv4Value()));
    }

    /** The memberships held, by interface: membership → socket index (for checkers and tests). */
    SortedMap<String, SortedMap<Membership, Integer>> held() {
        final TreeMap<String, SortedMap<Membership, Integer>> out = new TreeMap<>();
        held.forEach((name, here) -> out.put(name, Collections.unmodifiableSortedMap(new TreeMap<>(here))));
        return Collections.unmodifiableSortedMap(out);
    }

    /** The joins refused and not yet tried again, by interface, with the reasons. */
    SortedMap<String, SortedMap<Membership, String>> refused() {
        final TreeMap<String, SortedMap<Membership, String>> out = new TreeMap<>();
        refused.forEach((name, here) -> out.put(name, Collections.unmodifiableSortedMap(new TreeMap<>(here))));
        return Collections.unmodifiableSortedMap(out);
    }

    private void leave(final String name, final Membership membership) {
        final int socket = held.get(name).remove(membership);
        seam.leave(name, socket, membership);
        sockets.remove(name, socket, membership);
    }
}
