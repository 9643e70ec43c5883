package io.mcrelay.sim;

import io.mcrelay.seam.Timers;
import io.mcrelay.seam.support.ForwardingTimers;

/** {@link Timers} that fold every timer that fires into the {@link EventLog}. */
final class RecordingTimers extends ForwardingTimers {
    private final EventLog log;
    private Handler handler;
    private final Handler recording = this::onTimer;

    RecordingTimers(final Timers inner, final EventLog log) {
        super(inner);
        this.log = log;
    }

    private void onTimer(final long timerId, final long nowNs) {
        log.record(EventLog.TIMER, timerId, nowNs, 0);
        handler.onTimer(timerId, nowNs);
    }

    @Override
    public int poll(final long nowNs, final Handler timerHandler, final int limit) {
        handler = timerHandler;
        return inner.poll(nowNs, recording, limit);
    }
}
