package io.mcrelay.runtime;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ClockContract;

/** The production clock keeps the {@link Clock} contract. */
class SystemClockTest extends ClockContract {
    @Override
    protected Clock createClock() {
        return SystemClock.INSTANCE;
    }

    @Override
    protected void elapse(final Clock clock, final long durationNs) {
        // Real time cannot be advanced: wait for it, spinning (this is a test of the real clock, not core code).
        final long until = System.nanoTime() + durationNs;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
