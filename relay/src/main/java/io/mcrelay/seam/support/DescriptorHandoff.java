package io.mcrelay.seam.support;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * The {@link WorkerChannel#takeDescriptor()} half of a channel: lends a frame to the handler with the descriptor
 * that came with it, lets the handler take that descriptor during the call, and closes it if the handler did not
 * (the contract: a frame's untaken descriptor is the channel's to close). One per channel end; single-threaded.
 *
 * @param <D> the descriptor type the channel holds (production: its own file descriptor wrapper)
 */
public final class DescriptorHandoff<D extends PassedDescriptor> {
    private boolean delivering;
    private D current;

    /** Calls {@code handler} with the frame; {@code descriptor} (or {@code null}) is takeable during the call. */
    public void deliver(final WorkerChannel.FrameHandler handler, final DirectBuffer buffer, final int offset,
        final int length, final D descriptor) {
        current = descriptor;
        delivering = true;
        try {
            handler.onFrame(buffer, offset, length);
        } finally {
            delivering = false;
            if (current != null) {
                current.close(); // not taken by the handler
                current = null;
            }
        }
    }

    /**
     * The descriptor of the frame being delivered, or {@code null}; the caller owns it from now on.
     *
     * @throws IllegalStateException outside a {@link #deliver} call
     */
    public D take() {
        if (!delivering) {
            throw new IllegalStateException("takeDescriptor outside a frame handler");
        }
        final D taken = current;
        current = null;
        return taken;
    }
}
