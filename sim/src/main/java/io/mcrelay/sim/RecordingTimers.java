package io.mcrelay.sim;

import io.mcrelay.seam.Timers;

/** {@link Timers} that fold every timer that fires into the {@link EventLog}. */
final class RecordingTimers implements Timers {
    private final Timers inner;
    private final EventLog log;
    private Handler handler;
    private final Handler recording = this::onTimer;

    RecordingTimers(final Timers inner, final EventLog log) {
        this.inner = inner;
        this.log = log;
    }

    private void onTimer(final long timerId, final long nowNs) {
        log.record(EventLog.TIMER, timerId, nowNs, 0);
        handler.onTimer(timerId, nowNs);
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
    public int poll(final long nowNs, final Handler timerHandler, final int limit) {
        handler = timerHandler;
        return inner.poll(nowNs, recording, limit);
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
