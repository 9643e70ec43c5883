package io.mcrelay.sim.seams;

import io.mcrelay.seam.Clock;

/**
 * A {@link Clock} that moves only when told: the simulator's virtual time. The wall clock can be made to jump both
 * ways (a fault the core must tolerate); the monotonic clock only forward. Not thread-safe.
 */
public final class ManualClock implements Clock {
    private long nanoTime;
    private long epochMillis;

    /** A clock at monotonic time {@code startNs} and wall time {@code startEpochMillis}. */
    public ManualClock(final long startNs, final long startEpochMillis) {
        this.nanoTime = startNs;
        this.epochMillis = startEpochMillis;
    }

    @Override
    public long nanoTime() {
        return nanoTime;
    }

    @Override
    public long epochMillis() {
        return epochMillis;
    }

    /** Advances both clocks by {@code durationNs} (the wall clock by whole milliseconds of it). */
    public void advance(final long durationNs) {
        if (durationNs < 0) {
            throw new IllegalArgumentException("monotonic time cannot go back: " + durationNs);
        }
        final long before = nanoTime;
        nanoTime += durationNs;
        epochMillis += nanoTime / 1_000_000 - before / 1_000_000;
    }

    /** Moves monotonic time to {@code targetNs}, which must not be in the past. */
    public void advanceTo(final long targetNs) {
        advance(targetNs - nanoTime);
    }

    /** Makes the wall clock jump by {@code deltaMillis}, either way; monotonic time is unaffected. */
    public void jumpWallClock(final long deltaMillis) {
        epochMillis += deltaMillis;
    }
}
