package io.mcrelay.core.worker;

import java.util.Arrays;
import java.util.function.IntConsumer;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.IntHashSet;

/**
 * The output destinations a worker holds open: those its forwarding table sends to, each with the number of rule
 * outputs that send to it, and those opened ahead of the install of a {@code Sync} being prepared
 * ({@link SyncIntake}). After each rebuild or change of the table, what neither needs is closed, in ascending order;
 * what a Sync still being prepared opened waits for its install. Lookups only (never iterated in hash order: what is
 * closed is sorted first). Not thread-safe.
 */
final class OpenDestinations {
    private static final int NONE = 0;

    /** Destination → rule outputs of the table that send to it (absent: none). */
    private Int2IntHashMap uses = new Int2IntHashMap(NONE);
    private final IntHashSet prepared = new IntHashSet();
    /** Destinations whose last use went in the change under way: closed at its end unless used again. */
    private final IntArrayList released = new IntArrayList();

    /** {@code destination} was opened for a Sync being prepared; returns it. */
    int prepared(final int destination) {
        prepared.add(destination);
        return destination;
    }

    /** True if no destination was opened for a Sync that is not installed yet. */
    boolean nonePrepared() {
        return prepared.isEmpty();
    }

    /**
     * The table was rebuilt whole and its outputs send to {@code used} (destination → outputs): closes through
     * {@code close} every destination the table used before and does not use now, and every prepared one it does not
     * use unless {@code preparing} (a Sync is still being prepared and will want them).
     */
    void rebuilt(final Int2IntHashMap used, final boolean preparing, final IntConsumer close) {
        final IntArrayList gone = new IntArrayList();
        uses.keySet().forEach(destination -> {
            if (!used.containsKey(destination)) {
                gone.addInt(destination);
            }
        });
        closeSorted(gone, close);
        if (!preparing) {
            final IntArrayList ahead = new IntArrayList();
            prepared.forEach(destination -> {
                if (!used.containsKey(destination) && !uses.containsKey(destination)) {
                    ahead.addInt(destination); // not closed above: it was not in the table
                }
            });
            closeSorted(ahead, close);
            prepared.clear();
        }
        uses = used;
    }

    /** A rule output of the table sends to {@code destination} from now on (a change in place). */
    void retain(final int destination) {
        uses.put(destination, uses.get(destination) + 1);
    }

    /** A rule output of the table no longer sends to {@code destination} (a change in place). */
    void release(final int destination) {
        final int left = uses.get(destination) - 1;
        assert left >= 0 : "released more often than retained: " + destination;
        if (left == 0) {
            uses.remove(destination);
            released.addInt(destination);
        } else {
            uses.put(destination, left);
        }
    }

    /** Ends a change in place: closes, in ascending order, the destinations it left without any use. */
    void changed(final IntConsumer close) {
        final IntArrayList gone = new IntArrayList();
        final IntHashSet seen = new IntHashSet();
        for (int i = 0; i < released.size(); i++) {
            final int destination = released.getInt(i);
            if (!uses.containsKey(destination) && seen.add(destination)) {
                gone.addInt(destination);
            }
        }
        released.clear();
        closeSorted(gone, close);
    }

    /** How many rule outputs of the table send to {@code destination} (for tests). */
    int uses(final int destination) {
        return uses.get(destination);
    }

    private static void closeSorted(final IntArrayList destinations, final IntConsumer close) {
        final int[] sorted = destinations.toIntArray();
        Arrays.sort(sorted);
        for (final int destination : sorted) {
            close.accept(destination);
        }
    }
}
