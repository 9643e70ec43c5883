package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Chronicle's clock follows the journal's wall clock forward, never back, and never below a floor raised to the
 * newest file's cycle: an append can then never go to a file before entries already written.
 */
class WallTimeTest {
    @Test
    void itFollowsTheClockForwardButNeverBack() {
        final JournalFiles.TestClock clock = new JournalFiles.TestClock();
        final WallTime time = new WallTime(clock);
        final long start = clock.epochMillis;
        assertEquals(start, time.currentTimeMillis());
        clock.epochMillis = start + 5_000;
        assertEquals(start + 5_000, time.currentTimeMillis());
        clock.epochMillis = start - 60_000; // the wall clock steps back a minute
        assertEquals(start + 5_000, time.currentTimeMillis());
        clock.epochMillis = start + 6_000;
        assertEquals(start + 6_000, time.currentTimeMillis());
    }

    @Test
    void aRaisedFloorHoldsUntilTheClockPassesIt() {
        final JournalFiles.TestClock clock = new JournalFiles.TestClock();
        final WallTime time = new WallTime(clock);
        final long floor = clock.epochMillis + JournalFiles.TestClock.DAY_MILLIS;
        time.raiseFloor(floor);
        assertEquals(floor, time.currentTimeMillis());
        time.raiseFloor(floor - 1); // lowering is not raising
        assertEquals(floor, time.currentTimeMillis());
        clock.epochMillis = floor + 1;
        assertEquals(floor + 1, time.currentTimeMillis());
    }
}
