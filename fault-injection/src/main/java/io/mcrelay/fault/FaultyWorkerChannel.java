package io.mcrelay.fault;

import java.util.ArrayDeque;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * A {@link WorkerChannel} end whose sends can be lost, duplicated, delayed or reordered on their way, as the plan
 * rolls: the channel faults of the catalogue. Receiving is untouched. Held frames are released on the owner's next
 * send or poll once their time has come, so the owner's duty cycle drives them; no thread, no clock of its own.
 * A fault is counted as fired only when it changed what the peer receives.
 *
 * <p>A frame's descriptor shares its frame's fate: a lost frame passes none (the sender's own handle stays the
 * sender's); a delayed or reordered frame keeps it, held as a duplicate handle until the frame goes and closed then
 * (or when this end closes); a duplicated frame passes it with the first copy only, the second copy carrying none, as
 * a network that repeats a frame cannot repeat the descriptor the kernel passed once. Plain sends roll the plan
 * exactly as before. Single-threaded.
 */
public final class FaultyWorkerChannel extends OfferingWorkerChannel {
    /** Longest delay of a held frame. */
    public static final long DELAY_MAX_NS = 200_000_000L;
    /** Frames held back at most at once; beyond this a delay is not injected. */
    private static final int HELD_MAX = 256;

    /** A frame held back, with the duplicate handle of its descriptor or {@code null}. */
    private record Held(byte[] frame, PassedDescriptor descriptor, long releaseNs, boolean overtakable) {
    }

    private final Clock clock;
    private final FaultPlan plan;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private final UnsafeBuffer wrapper = new UnsafeBuffer(new byte[0]);

    public FaultyWorkerChannel(final WorkerChannel inner, final Clock clock, final FaultPlan plan) {
        super(inner);
        this.clock = clock;
        this.plan = plan;
    }

    /** One send as the plan rolls; {@code descriptor} (the caller's, never closed here) or {@code null}. */
    @Override
    SendResult offer(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        release();
        if (inner.isClosed()) {
            return SendResult.CLOSED;
        }
        if (plan.roll(FaultKind.CHANNEL_LOSS)) {
            plan.fired(FaultKind.CHANNEL_LOSS);
            return SendResult.SENT; // the sender believes it went
        }
        if (held.size() < HELD_MAX && plan.roll(FaultKind.CHANNEL_DELAY)) {
            final long delayNs = 1_000_000L + plan.draw((int) (DELAY_MAX_NS / 1_000_000L)) * 1_000_000L;
            hold(buffer, offset, length, descriptor, clock.nanoTime() + delayNs, false);
            plan.fired(FaultKind.CHANNEL_DELAY);
            return SendResult.SENT;
        }
        if (held.size() < HELD_MAX && plan.roll(FaultKind.CHANNEL_REORDER)) {
            // Held until the next frame has gone ahead of it: that overtaking is the reordering.
            hold(buffer, offset, length, descriptor, Long.MAX_VALUE, true);
            return SendResult.SENT;
        }
        if (!held.isEmpty() && !held.peekLast().overtakable()) {
            // stay behind a delayed frame
            hold(buffer, offset, length, descriptor, held.peekLast().releaseNs(), false);
            return SendResult.SENT;
        }
        final SendResult result = descriptor == null ? inner.send(buffer, offset, length)
            : inner.send(buffer, offset, length, descriptor);
        if (result == SendResult.SENT) {
            overtake();
            // The copy is plain: the descriptor went with the first.
            if (plan.roll(FaultKind.CHANNEL_DUPLICATION) && inner.send(buffer, offset, length) == SendResult.SENT) {
                plan.fired(FaultKind.CHANNEL_DUPLICATION);
            }
        }
        return result;
    }

    private void hold(final DirectBuffer buffer, final int offset, final int length,
                      final PassedDescriptor descriptor, final long releaseNs, final boolean overtakable) {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        // The caller keeps its handle and may close it once this returns: the held frame keeps a duplicate.
        held.addLast(new Held(copy, descriptor == null ? null : descriptor.duplicate(), releaseNs, overtakable));
    }

    /** A frame just went ahead of the frames waiting to be overtaken: let them follow, now reordered. */
    private void overtake() {
        while (!held.isEmpty() && held.peekFirst().overtakable()) {
            forward(held.pollFirst());
            plan.fired(FaultKind.CHANNEL_REORDER);
        }
    }

    /** Sends the held frames whose time has come, in order; an overtakable frame waits only while faults last. */
    private void release() {
        final long nowNs = clock.nanoTime();
        while (!held.isEmpty()) {
            final Held first = held.peekFirst();
            final boolean due = first.overtakable() ? !plan.isActive() : first.releaseNs() <= nowNs;
            if (!due) {
                break;
            }
            forward(held.pollFirst());
        }
    }

    private void forward(final Held frame) {
        wrapper.wrap(frame.frame());
        // FULL here loses the frame, as a peer too slow to read would.
        if (frame.descriptor() == null) {
            inner.send(wrapper, 0, frame.frame().length);
        } else {
            inner.send(wrapper, 0, frame.frame().length, frame.descriptor());
            frame.descriptor().close(); // the inner channel holds its own now, or the frame was lost
        }
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        release();
        return inner.poll(handler, limit);
    }

    @Override
    public void close() {
        for (final Held frame : held) {
            if (frame.descriptor() != null) {
                frame.descriptor().close();
            }
        }
        held.clear();
        inner.close();
    }

    /** Frames held back now (for checkers: the channel is not quiet while this is above zero). */
    public int heldFrames() {
        return held.size();
    }
}
