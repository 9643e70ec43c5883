package io.mcrelay.core.supervisor;

import java.util.Collections;
import java.util.List;
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
 * {@link Memberships} as it was before it followed the rules' changes: every {@link #reconcile} computes what every
 * rule needs and looks at every interface's memberships. Kept in the tests as the reference the delta is compared
 * with call for call ({@code MembershipsTest}); its placement is the production one, copied.
 */
final class MembershipsReference {
    private final GroupMemberships seam;
    /** What each interface's sockets hold. */
    private final TreeMap<String, Sockets> sockets = new TreeMap<>();
    /** Where each held membership is: interface → membership → socket index. */
    private final TreeMap<String, TreeMap<Membership, Integer>> held = new TreeMap<>();
    /** Joins the kernel refused, with its reason: interface → membership → reason. */
    private final TreeMap<String, TreeMap<Membership, String>> refused = new TreeMap<>();

    MembershipsReference(final GroupMemberships seam) {
        this.seam = Objects.requireNonNull(seam, "seam");
    }

    /**
     * Makes the memberships held equal to those {@code rules} need: joins what is missing (except what the kernel
     * refused and was not asked again since), then leaves what is no longer needed.
     *
     * @return the number of joins and leaves asked of the kernel
     */
    int reconcile(final List<Rule> rules, final Predicate<String> exists) {
        final SortedMap<String, SortedSet<Membership>> needed = Memberships.needed(rules, exists);
        final TreeSet<String> names = new TreeSet<>(needed.keySet());
        names.addAll(held.keySet());
        names.addAll(refused.keySet());
        GroupMemberships.Limits limits = null;
        int calls = 0;
        for (final String name : names) {
            final SortedSet<Membership> want = needed.getOrDefault(name, Collections.emptySortedSet());
            final TreeMap<Membership, String> refusedHere = refused.get(name);
            if (refusedHere != null) {
                refusedHere.keySet().retainAll(want);
                if (refusedHere.isEmpty()) {
                    refused.remove(name);
                }
            }
            final TreeMap<Membership, Integer> heldHere = held.computeIfAbsent(name, n -> new TreeMap<>());
            for (final Membership membership : want) {
                if (heldHere.containsKey(membership) || refused.containsKey(name)
                    && refused.get(name).containsKey(membership)) {
                    continue;
                }
                if (limits == null) {
                    limits = seam.limits();
                }
                final int socket = place(name, membership, limits);
                final String refusal = seam.join(name, socket, membership);
                calls++;
                if (refusal == null) {
                    heldHere.put(membership, socket);
                    sockets.computeIfAbsent(name, n -> new Sockets()).add(socket, membership);
                } else {
                    refused.computeIfAbsent(name, n -> new TreeMap<>()).put(membership, refusal);
                }
            }
            for (final Membership membership : List.copyOf(heldHere.keySet())) {
                if (!want.contains(membership)) {
                    leave(name, membership);
                    calls++;
                }
            }
            if (heldHere.isEmpty()) {
                held.remove(name);
                sockets.remove(name);
            }
        }
        return calls;
    }

    /**
     * Follows a change of interface {@code name}: the memberships it refused are tried again at the next
     * {@link #reconcile}; when it went or was created anew ({@code deviceGone}), its sockets are closed and its
     * memberships forgotten (the kernel dropped them with the old device).
     */
    void onLinkChanged(final String name, final boolean deviceGone) {
        refused.remove(name);
        if (deviceGone && held.containsKey(name)) {
            seam.forget(name);
            held.remove(name);
            sockets.remove(name);
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
        sockets.get(name).remove(socket, membership);
    }

    /**
     * The socket that takes {@code membership}: a source joins a socket that holds its group from other sources
     * and has room for one more; otherwise the lowest socket that does not hold the group and has room for a group;
     * otherwise the lowest number not in use (a new socket).
     */
    private int place(final String name, final Membership membership, final GroupMemberships.Limits limits) {
        final Sockets ofInterface = sockets.get(name);
        if (ofInterface == null) {
            return 0;
        }
        if (!membership.isAnySource()) {
            final TreeSet<Integer> holding = ofInterface.holders.get(membership.group());
            if (holding != null) {
                for (final int socket : holding) {
                    final TreeSet<Integer> sources = ofInterface.bySocket.get(socket).get(membership.group());
                    if (!sources.isEmpty() && sources.size() < limits.sourcesPerGroup()) {
                        return socket;
                    }
                }
            }
        }
        for (final int socket : ofInterface.withRoom(limits.groupsPerSocket())) {
            if (!ofInterface.bySocket.get(socket).containsKey(membership.group())) {
                return socket;
            }
        }
        return ofInterface.lowestFree();
    }

    /**
     * One interface's sockets: socket index → group → its sources (empty: from any source), with the sockets holding
     * each group and those with room for one more group, so that placing a join looks at the few sockets that could
     * take it instead of every socket (a table of 10,000 groups spreads over 500 sockets at the kernel's default 20
     * groups per socket).
     */
    private static final class Sockets {
        final TreeMap<Integer, TreeMap<Integer, TreeSet<Integer>>> bySocket = new TreeMap<>();
        /** Per group: the sockets holding it. */
        final TreeMap<Integer, TreeSet<Integer>> holders = new TreeMap<>();
        /** The sockets holding fewer than {@link #roomLimit} groups. */
        private final TreeSet<Integer> roomy = new TreeSet<>();
        private int roomLimit = -1;

        /** The sockets holding fewer than {@code groupsPerSocket} groups, in ascending order. */
        TreeSet<Integer> withRoom(final int groupsPerSocket) {
            if (groupsPerSocket != roomLimit) { // the kernel's limit changed (a sysctl): count again
                roomLimit = groupsPerSocket;
                roomy.clear();
                bySocket.forEach((socket, groups) -> {
                    if (groups.size() < roomLimit) {
                        roomy.add(socket);
                    }
                });
            }
            return roomy;
        }

        /** The lowest socket number not in use. */
        int lowestFree() {
            if (bySocket.isEmpty() || bySocket.lastKey() == bySocket.size() - 1) {
                return bySocket.size(); // numbers 0 .. size - 1 are all in use
            }
            int free = 0;
            while (bySocket.containsKey(free)) {
                free++;
            }
            return free;
        }

        void add(final int socket, final Membership membership) {
            final TreeMap<Integer, TreeSet<Integer>> groups = bySocket.computeIfAbsent(socket, s -> new TreeMap<>());
            final TreeSet<Integer> sources = groups.computeIfAbsent(membership.group(), g -> new TreeSet<>());
            if (!membership.isAnySource()) {
                sources.add(membership.source());
            }
            holders.computeIfAbsent(membership.group(), g -> new TreeSet<>()).add(socket);
            updateRoom(socket, groups);
        }

        void remove(final int socket, final Membership membership) {
            final TreeMap<Integer, TreeSet<Integer>> groups = bySocket.get(socket);
            final TreeSet<Integer> sources = groups.get(membership.group());
            sources.remove(membership.source());
            if (membership.isAnySource() || sources.isEmpty()) {
                groups.remove(membership.group()); // the last source left is the group left (IGMPv3 INCLUDE, empty)
                final TreeSet<Integer> holding = holders.get(membership.group());
                holding.remove(socket);
                if (holding.isEmpty()) {
                    holders.remove(membership.group());
                }
            }
            if (groups.isEmpty()) {
                bySocket.remove(socket); // the seam closed it
                roomy.remove(socket);
            } else {
                updateRoom(socket, groups);
            }
        }

        private void updateRoom(final int socket, final TreeMap<Integer, TreeSet<Integer>> groups) {
            if (roomLimit < 0) {
                return; // counted at the first placement
            }
            if (groups.size() < roomLimit) {
                roomy.add(socket);
            } else {
                roomy.remove(socket);
            }
        }
    }
}
