package io.mcrelay.core.worker;

import java.util.Arrays;
import java.util.function.IntConsumer;

import org.agrona.collections.IntHashSet;

/**
 * The output destinations a worker holds open: those its forwarding table sends to, and those opened ahead of the
 * install of a {@code Sync} being prepared ({@link SyncIntake}). After each rebuild of the table, what neither needs
 * is closed; what a Sync still being prepared opened waits for its install. Not thread-safe.
 */
final class OpenDestinations {
    private int[] inTable = new int[0];
    private final IntHashSet prepared = new IntHashSet();

    /** {@code destination} was opened for a Sync being prepared; returns it. */
    int prepared(final int destination) {
        prepared.add(destination);
        return destination;
    }

    /**
     * The table was rebuilt and sends to {@code used}: closes through {@code close} every destination open before
     * that it does not use, and every prepared one it does not use unless {@code preparing} (a Sync is still being
     * prepared and will want them).
     */
    void rebuilt(final IntHashSet used, final boolean preparing, final IntConsumer close) {
        for (final int destination : inTable) {
            if (!used.contains(destination)) {
                close.accept(destination);
            }
        }
        if (!preparing) {
            final int[] ahead = prepared.stream().mapToInt(Integer::intValue).sorted().toArray();
            for (final int destination : ahead) {
                if (!used.contains(destination) && Arrays.binarySearch(inTable, destination) < 0) {
                    close.accept(destination); // not closed above: it was not in the table
                }
            }
            prepared.clear();
        }
        inTable = used.stream().mapToInt(Integer::intValue).sorted().toArray();
        assert inTable.length == used.size();
    }
}
