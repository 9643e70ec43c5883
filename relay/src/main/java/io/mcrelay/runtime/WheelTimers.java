package io.mcrelay.runtime;

import java.util.concurrent.TimeUnit;

import org.agrona.DeadlineTimerWheel;

import io.mcrelay.seam.Timers;

/**
 * The production {@link Timers}: Agrona's {@link DeadlineTimerWheel}, O(1) to schedule and cancel. Deadlines are
 * rounded to the tick ({@value #TICK_NS} ns, about 1 ms), so a due timer fires up to one tick late and timers within
 * one tick fire in slot order. Not thread-safe: owned by one agent.
 */
public final class WheelTimers implements Timers {
    /** Tick length; the wheel needs a power of two. */
    public static final long TICK_NS = 1L << 20;
    private static final int TICKS_PER_WHEEL = 1024;

    private final DeadlineTimerWheel wheel;
    private Handler currentHandler;
    private int remaining;

    public WheelTimers(final long startNs) {
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, startNs, TICK_NS, TICKS_PER_WHEEL);
    }

    @Override
    public long schedule(final long deadlineNs) {
        return wheel.scheduleTimer(deadlineNs);
    }

    @Override
    public boolean cancel(final long timerId) {
        return wheel.cancelTimer(timerId);
    }

    @Override
    public int poll(final long nowNs, final Handler handler, final int limit) {
        currentHandler = handler;
        remaining = limit;
        int fired = 0;
        // The wheel advances at most one tick per poll; after a long pause (or a clock jump) catch up, but visit
        // each spoke at most once per call so one poll stays bounded.
        for (int spoke = 0; spoke <= TICKS_PER_WHEEL && remaining > 0; spoke++) {
            final long tickBefore = wheel.currentTickTime();
            fired += wheel.poll(nowNs, this::onExpiry, remaining);
            if (wheel.currentTickTime() == tickBefore || wheel.currentTickTime() > nowNs + TICK_NS) {
                break;
            }
        }
        currentHandler = null;
        return fired;
    }

    private boolean onExpiry(final TimeUnit unit, final long nowNs, final long timerId) {
        remaining--;
        currentHandler.onTimer(timerId, nowNs);
        return true;
    }

    @Override
    public int pending() {
        return (int) wheel.timerCount();
    }

    @Override
    public long resolutionNs() {
        return TICK_NS;
    }
}
