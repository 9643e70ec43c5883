package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.Int2IntHashMap;
import org.junit.jupiter.api.Test;

/**
 * Which destinations a worker closes: after a rebuild, those the old table used and the new one does not, then those
 * a Sync opened ahead and nothing uses; after a change in place, those whose last use went, unless the same change
 * used them again. Always in ascending order, whatever the hash maps hold.
 */
class OpenDestinationsTest {
    private static Int2IntHashMap uses(final int... destinationAndCount) {
        final Int2IntHashMap uses = new Int2IntHashMap(0);
        for (int i = 0; i < destinationAndCount.length; i += 2) {
            uses.put(destinationAndCount[i], destinationAndCount[i + 1]);
        }
        return uses;
    }

    @Test
    void aRebuildClosesWhatTheOldTableUsedAndTheNewOneDoesNotThenWhatASyncOpenedAhead() {
        final OpenDestinations open = new OpenDestinations();
        final List<Integer> closed = new ArrayList<>();
        open.rebuilt(uses(9, 1, 3, 2, 40, 1, 7, 1), false, closed::add);
        assertEquals(List.of(), closed);
        open.prepared(12);
        open.prepared(5);
        open.prepared(3);
        open.rebuilt(uses(3, 1, 5, 1), true, closed::add); // a Sync still prepared: what it opened stays
        assertEquals(List.of(7, 9, 40), closed);
        closed.clear();
        open.rebuilt(uses(3, 1), false, closed::add);
        assertEquals(List.of(5, 12), closed, "5 left the table, 12 was opened ahead and never used");
    }

    @Test
    void aChangeInPlaceClosesOnlyWhatLostItsLastUseInAscendingOrder() {
        final OpenDestinations open = new OpenDestinations();
        final List<Integer> closed = new ArrayList<>();
        open.rebuilt(uses(30, 2, 4, 1, 17, 1, 8, 1), false, closed::add);
        open.release(30); // one of two uses
        open.release(17);
        open.release(8);
        open.release(4);
        open.retain(8); // used again in the same change: stays open
        open.retain(99);
        open.changed(closed::add);
        assertEquals(List.of(4, 17), closed);
        assertEquals(1, open.uses(30));
        assertEquals(1, open.uses(8));
        assertEquals(1, open.uses(99));
        assertEquals(0, open.uses(4));
        closed.clear();
        open.changed(closed::add);
        assertEquals(List.of(), closed, "nothing released since");
    }
}
