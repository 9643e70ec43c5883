package io.mcrelay.runtime;

import java.util.Arrays;
import java.util.Objects;

import io.mcrelay.seam.Timers;

/**
 * {@link Timers} that also know their earliest pending deadline ({@link #nextDeadlineNs()}), so that an event loop
 * can sleep until then and no longer: wraps another {@code Timers} (the wheel in production) and keeps the pending
 * timers' ids and deadlines in two arrays. A worker has a handful of timers (its heartbeat), so the linear scans are
 * cheaper than any structure; nothing is allocated unless the arrays grow. Not thread-safe.
 */
public final class DeadlineTrackingTimers implements Timers {
    /** What {@link #nextDeadlineNs()} returns when no timer is pending. */
    public static final long NONE = Long.MAX_VALUE;

    private final Timers delegate;
    private long[] ids = new long[8];
    private long[] deadlines = new long[8];
    private int count;
    private Handler current;
    private final Handler onFired = this::onFired;

    public DeadlineTrackingTimers(final Timers delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public long schedule(final long deadlineNs) {
        final long id = delegate.schedule(deadlineNs);
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
            deadlines = Arrays.copyOf(deadlines, count * 2);
        }
        ids[count] = id;
        deadlines[count] = deadlineNs;
        count++;
        return id;
    }

    @Override
    public boolean cancel(final long timerId) {
        final boolean cancelled = delegate.cancel(timerId);
        forget(timerId);
        return cancelled;
    }

    @Override
    public int poll(final long nowNs, final Handler handler, final int limit) {
        current = handler;
        try {
            return delegate.poll(nowNs, onFired, limit);
        } finally {
            current = null;
        }
    }

    private void onFired(final long timerId, final long nowNs) {
        forget(timerId); // first: the handler may schedule the next one
        current.onTimer(timerId, nowNs);
    }

    private void forget(final long timerId) {
        for (int i = 0; i < count; i++) {
            if (ids[i] == timerId) {
                count--;
                ids[i] = ids[count];
                deadlines[i] = deadlines[count];
                return;
            }
        }
    }

    /**
     * The earliest deadline of the pending timers, or {@link #NONE}. The wrapped timers may fire up to
     * {@link #resolutionNs()} after it.
     */
    public long nextDeadlineNs() {
        long next = NONE;
        for (int i = 0; i < count; i++) {
            if (deadlines[i] - next < 0 || next == NONE) {
                next = deadlines[i];
            }
        }
        return next;
    }

    @Override
    public int pending() {
        return delegate.pending();
    }

    @Override
    public long resolutionNs() {
        return delegate.resolutionNs();
    }
}
