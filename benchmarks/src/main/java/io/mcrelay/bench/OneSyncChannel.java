package io.mcrelay.bench;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/** Hands the worker one Sync, then nothing; keeps nothing of what the worker says. */
final class OneSyncChannel implements WorkerChannel {
    private byte[] sync;

    OneSyncChannel(final byte[] sync) {
        this.sync = sync;
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        return SendResult.SENT;
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        throw new UnsupportedOperationException("the worker sends no descriptors");
    }

    @Override
    public PassedDescriptor takeDescriptor() {
        return null; // no frame here carries a descriptor
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        if (sync == null || limit < 1) {
            return 0;
        }
        final byte[] frame = sync;
        sync = null;
        handler.onFrame(new UnsafeBuffer(frame), 0, frame.length);
        return 1;
    }

    @Override
    public boolean isClosed() {
        return false;
    }

    @Override
    public int frameBytesMax() {
        return Frames.WORKER_BYTES_MAX;
    }

    @Override
    public void close() {
    }
}

