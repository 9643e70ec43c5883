package io.mcrelay.seam.support;

import java.util.Objects;

import io.mcrelay.seam.Timers;

/**
 * {@link Timers} that forward every call to others: the base of decorators (recording into the journal or the
 * simulator's event log) that change one or two calls and must pass the rest through untouched. Threading as the
 * timers it wraps.
 */
public abstract class ForwardingTimers implements Timers {
    protected final Timers inner;

    protected ForwardingTimers(final Timers inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public long schedule(final long deadlineNs) {
        return inner.schedule(deadlineNs);
    }

    @Override
    public boolean cancel(final long timerId) {
        return inner.cancel(timerId);
    }

    @Override
    public int poll(final long nowNs, final Handler handler, final int limit) {
        return inner.poll(nowNs, handler, limit);
    }

    @Override
    public int pending() {
        return inner.pending();
    }

    @Override
    public long resolutionNs() {
        return inner.resolutionNs();
    }
}
