package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What every {@link Clock} guarantees. Subclasses supply the clock and a way to let time pass. */
public abstract class ClockContract {
    /** A new clock. */
    protected abstract Clock createClock();

    /** Lets at least {@code durationNs} of the clock's monotonic time pass (advance it, or wait for it). */
    protected abstract void elapse(Clock clock, long durationNs);

    @Test
    void nanoTimeNeverGoesBackwards() {
        final Clock clock = createClock();
        long previous = clock.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            if (i % 1000 == 0) {
                elapse(clock, 1_000);
            }
            final long now = clock.nanoTime();
            final long before = previous;
            assertTrue(now >= before, () -> "nanoTime went from " + before + " back to " + now);
            previous = now;
        }
    }

    @Test
    void elapsedTimeIsVisible() {
        final Clock clock = createClock();
        final long before = clock.nanoTime();
        elapse(clock, 2_000_000);
        final long after = clock.nanoTime();
        assertTrue(after - before >= 2_000_000, () -> "only " + (after - before) + " ns passed");
    }
}
