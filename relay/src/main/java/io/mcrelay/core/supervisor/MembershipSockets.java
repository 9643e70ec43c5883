package io.mcrelay.core.supervisor;

import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMemberships.Membership;

/**
 * Which of an interface's membership sockets holds each membership ({@link Memberships}' placement): per interface,
 * socket index → group → its sources, indexed so that placing a join looks at the few sockets that could take it.
 * Not thread-safe; iterates only sorted maps.
 */
final class MembershipSockets {
    /** What each interface's sockets hold. */
    private final TreeMap<String, Sockets> sockets = new TreeMap<>();

    /**
     * The socket that takes {@code membership}: a source joins a socket that holds its group from other sources
     * and has room for one more; otherwise the lowest socket that does not hold the group and has room for a group;
     * otherwise the lowest number not in use (a new socket).
     */
    int place(final String name, final Membership membership, final GroupMemberships.Limits limits) {
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

    /** Socket {@code socket} of interface {@code name} joined {@code membership}. */
    void add(final String name, final int socket, final Membership membership) {
        sockets.computeIfAbsent(name, n -> new Sockets()).add(socket, membership);
    }

    /** Socket {@code socket} of interface {@code name} left {@code membership}. */
    void remove(final String name, final int socket, final Membership membership) {
        sockets.get(name).remove(socket, membership);
    }

    /** Interface {@code name} holds nothing any more (its sockets were closed). */
    void forget(final String name) {
        sockets.remove(name);
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
