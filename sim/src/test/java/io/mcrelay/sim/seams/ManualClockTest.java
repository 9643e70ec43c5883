package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ClockContract;

/** The simulator's clock keeps the {@link Clock} contract and moves only when told. */
class ManualClockTest extends ClockContract {
    @Override
    protected Clock createClock() {
        return new ManualClock(5_000, 1_700_000_000_000L);
    }

    @Override
    protected void elapse(final Clock clock, final long durationNs) {
        ((ManualClock) clock).advance(durationNs);
    }

    @Test
    void theWallClockJumpsBothWaysWithoutMovingMonotonicTime() {
        final ManualClock clock = new ManualClock(0, 1_000);
        clock.jumpWallClock(-500);
        assertEquals(500, clock.epochMillis());
        assertEquals(0, clock.nanoTime());
        clock.advance(3_000_000);
        assertEquals(503, clock.epochMillis());
        assertThrows(IllegalArgumentException.class, () -> clock.advance(-1));
    }
}
