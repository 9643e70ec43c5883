package io.mcrelay.fault;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.ForwardingWorkerChannel;

/**
 * A fault decorator's sending side: both {@code send}s (with and without a descriptor) go through one
 * {@link #offer}, which decides the frame's fate; a send with a descriptor must carry one.
 */
abstract class OfferingWorkerChannel extends ForwardingWorkerChannel {
    OfferingWorkerChannel(final WorkerChannel inner) {
        super(inner);
    }

    @Override
    public final SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        return offer(buffer, offset, length, null);
    }

    @Override
    public final SendResult send(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        if (descriptor == null) {
            throw new IllegalArgumentException("a frame with a descriptor needs one");
        }
        return offer(buffer, offset, length, descriptor);
    }

    /** One frame to send, with {@code descriptor} (the caller's, never closed here) or {@code null}. */
    abstract SendResult offer(DirectBuffer buffer, int offset, int length, PassedDescriptor descriptor);
}
