package io.mcrelay.journal;

import java.util.concurrent.atomic.AtomicLong;

import net.openhft.chronicle.core.time.TimeProvider;

import io.mcrelay.seam.Clock;

/**
 * Chronicle's clock: the journal's wall clock, never decreasing (and never below the newest file's cycle), so that
 * every append goes to the newest cycle or a later one. Thread-safe: Chronicle may ask from its own threads.
 */
final class WallTime implements TimeProvider {
    private final Clock clock;
    private final AtomicLong floorMillis = new AtomicLong(Long.MIN_VALUE);

    WallTime(final Clock clock) {
        this.clock = clock;
    }

    /** From now on, never less than {@code millis}. */
    void raiseFloor(final long millis) {
        floorMillis.accumulateAndGet(millis, Math::max);
    }

    @Override
    public long currentTimeMillis() {
        return floorMillis.accumulateAndGet(clock.epochMillis(), Math::max);
    }
}
