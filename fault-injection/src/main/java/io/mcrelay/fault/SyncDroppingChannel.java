package io.mcrelay.fault;

import org.agrona.DirectBuffer;

import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.ForwardingWorkerChannel;

/**
 * The supervisor's end of a worker channel that drops every {@code Sync} it is asked to send (the sender believes it
 * went): {@link Break#SYNC}. Every other frame goes through. Single-threaded.
 */
public final class SyncDroppingChannel extends ForwardingWorkerChannel {
    private long dropped;

    public SyncDroppingChannel(final WorkerChannel inner) {
        super(inner);
    }

    private static boolean isSync(final DirectBuffer buffer, final int offset, final int length) {
        return length > 0 && buffer.getByte(offset) == WorkerMessageCodec.TYPE_SYNC;
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        if (isSync(buffer, offset, length)) {
            dropped++;
            return SendResult.SENT;
        }
        return super.send(buffer, offset, length);
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length,
                           final PassedDescriptor descriptor) {
        if (isSync(buffer, offset, length)) {
            dropped++;
            return SendResult.SENT;
        }
        return super.send(buffer, offset, length, descriptor);
    }

    /** Sync frames dropped so far. */
    public long dropped() {
        return dropped;
    }
}
