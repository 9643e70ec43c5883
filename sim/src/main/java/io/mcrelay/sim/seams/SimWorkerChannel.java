package io.mcrelay.sim.seams;

import java.util.ArrayDeque;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.DescriptorHandoff;
import io.mcrelay.seam.WorkerChannel;

/**
 * An in-memory {@link WorkerChannel}: two ends joined by a bounded queue of frames in each direction. Frames are
 * copied on send, like bytes written to a socket. The fault layer wraps it to delay, drop, duplicate or reorder.
 * A frame's descriptor travels as a duplicate handle on the same referent (for a {@code SharedDescriptor}, the same
 * simulated socket object), made at send, as {@code SCM_RIGHTS} makes a copy; a frame dropped by a close takes its
 * handle with it (closed). Single-threaded: both ends are driven by the simulator's one thread.
 */
public final class SimWorkerChannel implements WorkerChannel {
    /** A frame in flight and the handle it carries, or {@code null}. */
    private record Frame(byte[] bytes, PassedDescriptor descriptor) {
    }

    /** One direction: frames in flight and the bytes they hold. */
    private static final class Pipe {
        final ArrayDeque<Frame> frames = new ArrayDeque<>();
        final int capacityBytes;
        int bytes;
        boolean writerClosed;

        Pipe(final int capacityBytes) {
            this.capacityBytes = capacityBytes;
        }
    }

    private final Pipe outbound;
    private final Pipe inbound;
    private final int frameBytesMax;
    private final UnsafeBuffer lent = new UnsafeBuffer(new byte[0]);
    private boolean closed;
    private final DescriptorHandoff<PassedDescriptor> handoff = new DescriptorHandoff<>();

    private SimWorkerChannel(final Pipe outbound, final Pipe inbound, final int frameBytesMax) {
        this.outbound = outbound;
        this.inbound = inbound;
        this.frameBytesMax = frameBytesMax;
    }

    /** Two connected ends, each direction holding at most {@code capacityBytes} of frames in flight. */
    public static SimWorkerChannel[] pair(final int capacityBytes, final int frameBytesMax) {
        if (capacityBytes <= 0 || frameBytesMax <= 0) {
            throw new IllegalArgumentException("capacity and max frame size must be positive");
        }
        final Pipe aToB = new Pipe(capacityBytes);
        final Pipe bToA = new Pipe(capacityBytes);
        return new SimWorkerChannel[] {
            new SimWorkerChannel(aToB, bToA, frameBytesMax), new SimWorkerChannel(bToA, aToB, frameBytesMax)};
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        return offer(buffer, offset, length, null);
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        if (descriptor == null || !descriptor.isOpen()) {
            throw new IllegalArgumentException("a frame carries an open descriptor, not " + descriptor);
        }
        return offer(buffer, offset, length, descriptor);
    }

    private SendResult offer(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        if (length > frameBytesMax) {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds " + frameBytesMax);
        }
        if (closed || inbound.writerClosed) {
            return SendResult.CLOSED;
        }
        // A frame larger than the whole buffer still goes through an empty pipe, as a socket would take it in parts.
        if (outbound.bytes > 0 && outbound.bytes + length > outbound.capacityBytes) {
            return SendResult.FULL;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        outbound.frames.addLast(new Frame(copy, descriptor == null ? null : descriptor.duplicate()));
        outbound.bytes += length;
        return SendResult.SENT;
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        int count = 0;
        while (count < limit && !inbound.frames.isEmpty()) {
            final Frame frame = inbound.frames.pollFirst();
            inbound.bytes -= frame.bytes().length;
            count++;
            lent.wrap(frame.bytes());
            handoff.deliver(handler, lent, 0, frame.bytes().length, frame.descriptor());
        }
        return count;
    }

    @Override
    public PassedDescriptor takeDescriptor() {
        return handoff.take();
    }

    @Override
    public boolean isClosed() {
        return closed || (inbound.writerClosed && inbound.frames.isEmpty());
    }

    @Override
    public int frameBytesMax() {
        return frameBytesMax;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            outbound.writerClosed = true;
            for (final Frame frame : inbound.frames) {
                if (frame.descriptor() != null) {
                    frame.descriptor().close();
                }
            }
            inbound.frames.clear();
            inbound.bytes = 0;
        }
    }

    /** Bytes of frames sent by this end and not yet received by the other. */
    public int bytesInFlight() {
        return outbound.bytes;
    }
}
