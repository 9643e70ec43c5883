package io.mcrelay.sim;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.ForwardingWorkerChannel;

/** A {@link WorkerChannel} end that folds every frame it delivers to its owner into the {@link EventLog}. */
final class RecordingWorkerChannel extends ForwardingWorkerChannel {
    private final EventLog log;
    private final int endId;
    private final byte[] scratch = new byte[256];
    private FrameHandler handler;
    private final FrameHandler recording = this::onFrame;

    RecordingWorkerChannel(final WorkerChannel inner, final EventLog log, final int endId) {
        super(inner);
        this.log = log;
        this.endId = endId;
    }

    private void onFrame(final DirectBuffer buffer, final int offset, final int length) {
        // The type byte and up to 256 bytes identify the message; whole Sync frames would cost more than they tell.
        final int sampled = Math.min(length, scratch.length);
        buffer.getBytes(offset, scratch, 0, sampled);
        log.record(EventLog.CHANNEL_FRAME, endId, length, 0);
        log.record(EventLog.CHANNEL_FRAME, scratch, 0, sampled);
        handler.onFrame(buffer, offset, length);
    }

    @Override
    public int poll(final FrameHandler frameHandler, final int limit) {
        handler = frameHandler;
        return inner.poll(recording, limit);
    }
}
