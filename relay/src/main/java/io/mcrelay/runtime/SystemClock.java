package io.mcrelay.runtime;

import io.mcrelay.seam.Clock;

/** The production {@link Clock}: {@link System#nanoTime()} and {@link System#currentTimeMillis()}. Thread-safe. */
public final class SystemClock implements Clock {
    public static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long epochMillis() {
        return System.currentTimeMillis();
    }
}
