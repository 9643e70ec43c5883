package io.mcrelay.fault;

import java.util.ArrayDeque;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.ForwardingWorkerChannel;

/**
 * A {@link WorkerChannel} end whose sends can be lost, duplicated, delayed or reordered on their way, as the plan
 * rolls: the channel faults of the catalogue. Receiving is untouched. Held frames are released on the owner's next
 * send or poll once their time has come, so the owner's duty cycle drives them; no thread, no clock of its own.
 * A fault is counted as fired only when it changed what the peer receives. Single-threaded.
 */
public final class FaultyWorkerChannel extends ForwardingWorkerChannel {
    /** Longest delay of a held frame. */
    public static final long DELAY_MAX_NS = 200_000_000L;
    /** Frames held back at most at once; beyond this a delay is not injected. */
    private static final int HELD_MAX = 256;

    private record Held(byte[] frame, long releaseNs, boolean overtakable) {
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

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
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
            hold(buffer, offset, length, clock.nanoTime() + delayNs, false);
            plan.fired(FaultKind.CHANNEL_DELAY);
            return SendResult.SENT;
        }
        if (held.size() < HELD_MAX && plan.roll(FaultKind.CHANNEL_REORDER)) {
            // Held until the next frame has gone ahead of it: that overtaking is the reordering.
            hold(buffer, offset, length, Long.MAX_VALUE, true);
            return SendResult.SENT;
        }
        if (!held.isEmpty() && !held.peekLast().overtakable()) {
            hold(buffer, offset, length, held.peekLast().releaseNs(), false); // stay behind a delayed frame
            return SendResult.SENT;
        }
        final SendResult result = inner.send(buffer, offset, length);
        if (result == SendResult.SENT) {
            overtake();
            if (plan.roll(FaultKind.CHANNEL_DUPLICATION) && inner.send(buffer, offset, length) == SendResult.SENT) {
                plan.fired(FaultKind.CHANNEL_DUPLICATION);
            }
        }
        return result;
    }

    private void hold(final DirectBuffer buffer, final int offset, final int length, final long releaseNs,
                      final boolean overtakable) {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        held.addLast(new Held(copy, releaseNs, overtakable));
    }

    /** A frame just went ahead of the frames waiting to be overtaken: let them follow, now reordered. */
    private void overtake() {
        while (!held.isEmpty() && held.peekFirst().overtakable()) {
            final Held frame = held.pollFirst();
            forward(frame.frame());
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
            held.pollFirst();
            forward(first.frame());
        }
    }

    private void forward(final byte[] frame) {
        wrapper.wrap(frame);
        inner.send(wrapper, 0, frame.length); // FULL here loses the frame, as a peer too slow to read would
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        release();
        return inner.poll(handler, limit);
    }

    @Override
    public void close() {
        held.clear();
        inner.close();
    }

    /** Frames held back now (for checkers: the channel is not quiet while this is above zero). */
    public int heldFrames() {
        return held.size();
    }
}
