package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.TreeMap;

import org.agrona.DirectBuffer;

/**
 * The input groups open on a {@link SimNetwork}'s links, by link name, each link's in opening order, and the counts
 * of the members that left their group before anyone read them. The network's own state, read and written by it
 * alone; single-threaded. Offering a frame allocates nothing.
 */
final class InputGroups {
    // Looked up per frame by link name; iterated in name order only for the checkers' sums.
    private final TreeMap<String, ArrayList<SimInputGroup>> byLink = new TreeMap<>();
    /** Counts of members that left their group before anyone read them: {@code tp_packets}, {@code tp_drops}. */
    private long packetsNeverRead;
    private long ringFullNeverRead;

    /** Adds a new group on link {@code linkName}, after those open there already. */
    void add(final String linkName, final SimInputGroup group) {
        byLink.computeIfAbsent(linkName, ignored -> new ArrayList<>()).add(group);
    }

    /**
     * Offers a frame of link {@code linkName} (index {@code ifIndex} now) to every group open on it, in opening order;
     * groups every member of which left are dropped on the way. True when some group had a member to offer it to
     * (each group counts what became of its copy).
     */
    boolean offer(final String linkName, final int ifIndex, final DirectBuffer frame, final int offset,
                  final int length) {
        final ArrayList<SimInputGroup> groups = byLink.isEmpty() ? null : byLink.get(linkName);
        if (groups == null) {
            return false;
        }
        boolean offered = false;
        for (int i = 0; i < groups.size(); ) {
            final SimInputGroup group = groups.get(i);
            if (group.ended()) {
                groups.remove(i); // every member left: no socket of it is open any more
                continue;
            }
            // A group of the link as it was before it was re-created is bound to an index that is gone.
            if (group.ifIndex == ifIndex && group.receive(frame, offset, length)) {
                offered = true;
            }
            i++;
        }
        return offered;
    }

    /** Link {@code linkName} (index {@code ifIndex}) came back up: its groups link their members again. */
    void relink(final String linkName, final int ifIndex) {
        final ArrayList<SimInputGroup> groups = byLink.get(linkName);
        if (groups != null) {
            for (final SimInputGroup group : groups) {
                if (group.ifIndex == ifIndex) {
                    group.relink();
                }
            }
        }
    }

    /** A member left its group with these counts unread: nobody will read them now. */
    void countNeverRead(final long packets, final long ringFull) {
        assert packets >= ringFull && ringFull >= 0;
        packetsNeverRead += packets;
        ringFullNeverRead += ringFull;
    }

    /** See {@link SimNetwork#inputsUnread()}. */
    long[] unread() {
        final long[] unread = new long[3];
        for (final ArrayList<SimInputGroup> groups : byLink.values()) {
            for (final SimInputGroup group : groups) {
                group.addUnread(unread); // first: members whose last handle closed leave now, counted below
            }
        }
        unread[0] += packetsNeverRead;
        unread[1] += ringFullNeverRead;
        return unread;
    }
}
