package io.mcrelay.seam.support;

import java.util.Objects;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * A {@link WorkerChannel} that forwards every call to another: the base of decorators (faults, recording) that
 * change one or two calls and must pass the rest through untouched. Threading as the channel it wraps.
 */
public abstract class ForwardingWorkerChannel implements WorkerChannel {
    protected final WorkerChannel inner;

    protected ForwardingWorkerChannel(final WorkerChannel inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        return inner.send(buffer, offset, length);
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        return inner.send(buffer, offset, length, descriptor);
    }

    @Override
    public PassedDescriptor takeDescriptor() {
        return inner.takeDescriptor();
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        return inner.poll(handler, limit);
    }

    @Override
    public boolean isClosed() {
        return inner.isClosed();
    }

    @Override
    public int frameBytesMax() {
        return inner.frameBytesMax();
    }

    @Override
    public void close() {
        inner.close();
    }
}
