package io.mcrelay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.SeededRandom;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The channel faults treat a frame's descriptor as part of the frame: a lost frame passes none, a duplicated frame
 * passes it with the first copy only, a delayed frame keeps it (as its own handle) until it goes, and a frame swallowed
 * by a crash point passes none. The sender's handle stays the sender's throughout, and once every frame is delivered
 * or dropped no handle but the sender's is open: the count of open handles on the referent says so.
 */
class ChannelFaultDescriptorTest {
    /** A frame as delivered, with the handle that came with it, or {@code null}. */
    private record Delivered(byte[] frame, PassedDescriptor descriptor) {
    }

    /** A one-way in-memory channel: what is sent is delivered by poll, each descriptor as a duplicate handle. */
    private static final class Loopback implements WorkerChannel {
        private final ArrayDeque<Delivered> queued = new ArrayDeque<>();
        private PassedDescriptor current;
        private boolean delivering;

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            queued.add(new Delivered(copy, null));
            return SendResult.SENT;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
            final PassedDescriptor descriptor) {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            queued.add(new Delivered(copy, descriptor.duplicate()));
            return SendResult.SENT;
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            int count = 0;
            while (count < limit && !queued.isEmpty()) {
                final Delivered frame = queued.poll();
                current = frame.descriptor();
                delivering = true;
                handler.onFrame(new UnsafeBuffer(frame.frame()), 0, frame.frame().length);
                delivering = false;
                if (current != null) {
                    current.close();
                }
                count++;
            }
            return count;
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            assertTrue(delivering, "taken inside a handler");
            final PassedDescriptor taken = current;
            current = null;
            return taken;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public int frameBytesMax() {
            return 1 << 16;
        }

        @Override
        public void close() {
            queued.forEach(frame -> {
                if (frame.descriptor() != null) {
                    frame.descriptor().close();
                }
            });
            queued.clear();
        }
    }

    /** A clock the test moves. */
    private static final class TestClock implements Clock {
        long nowNs;

        @Override
        public long nanoTime() {
            return nowNs;
        }

        @Override
        public long epochMillis() {
            return nowNs / 1_000_000L;
        }
    }

    private static FaultPlan always(final FaultKind kind) {
        return FaultPlan.of(new SeededRandom(1), 1.0, EnumSet.of(kind));
    }

    private static List<Delivered> receive(final WorkerChannel channel) {
        final List<Delivered> received = new ArrayList<>();
        channel.poll((buffer, offset, length) -> {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            received.add(new Delivered(copy, channel.takeDescriptor()));
        }, 100);
        return received;
    }

    private static UnsafeBuffer frame(final int type) {
        return new UnsafeBuffer(new byte[] {(byte) type, 1, 2});
    }

    @Test
    void aLostFramePassesNoDescriptorAndTheSenderKeepsItsOwn() {
        final Loopback wire = new Loopback();
        final FaultPlan plan = always(FaultKind.CHANNEL_LOSS);
        final FaultyWorkerChannel channel = new FaultyWorkerChannel(wire, new TestClock(), plan);
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(frame(9), 0, 3, mine), "the sender believes it went");
        assertTrue(receive(wire).isEmpty());
        assertTrue(mine.isOpen());
        assertEquals(1, mine.openHandles(), "only the sender's handle: the lost frame held none");
        assertEquals(1L, plan.firedCounts().get(FaultKind.CHANNEL_LOSS));
    }

    @Test
    void aDuplicatedFramePassesItsDescriptorWithTheFirstCopyOnly() {
        final Loopback wire = new Loopback();
        final FaultPlan plan = always(FaultKind.CHANNEL_DUPLICATION);
        final FaultyWorkerChannel channel = new FaultyWorkerChannel(wire, new TestClock(), plan);
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(frame(9), 0, 3, mine));
        final List<Delivered> received = receive(wire);
        assertEquals(2, received.size(), "the frame and its copy");
        final SharedDescriptor first = (SharedDescriptor) received.get(0).descriptor();
        assertNotSame(mine, first);
        assertSame(mine.referent(), first.referent(), "the first copy carries the descriptor");
        assertNull(received.get(1).descriptor(), "the copy carries none");
        assertEquals(1L, plan.firedCounts().get(FaultKind.CHANNEL_DUPLICATION));
        first.close();
        assertEquals(1, mine.openHandles());
    }

    @Test
    void aDelayedFrameKeepsItsDescriptorAfterTheSenderClosedItsOwn() {
        final Loopback wire = new Loopback();
        final TestClock clock = new TestClock();
        final FaultPlan plan = always(FaultKind.CHANNEL_DELAY);
        final FaultyWorkerChannel channel = new FaultyWorkerChannel(wire, clock, plan);
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(frame(9), 0, 3, mine));
        mine.close();
        assertEquals(1, mine.openHandles(), "the held frame has its own handle");
        assertEquals(1, channel.heldFrames());
        clock.nowNs = FaultyWorkerChannel.DELAY_MAX_NS + 1_000_000_000L;
        final List<Delivered> received = receive(channel);
        assertEquals(1, received.size());
        assertSame(mine.referent(), ((SharedDescriptor) received.getFirst().descriptor()).referent());
        received.getFirst().descriptor().close();
        assertEquals(0, mine.openHandles(), "the held handle was closed once the frame went");
    }

    @Test
    void aHeldFrameClosedWithItsChannelClosesItsDescriptor() {
        final Loopback wire = new Loopback();
        final FaultyWorkerChannel channel = new FaultyWorkerChannel(wire, new TestClock(),
            always(FaultKind.CHANNEL_REORDER));
        try (SharedDescriptor mine = SharedDescriptor.of("socket")) {
            channel.send(frame(9), 0, 3, mine);
            assertEquals(2, mine.openHandles());
            channel.close();
            assertEquals(1, mine.openHandles());
        }
    }

    @Test
    void aFrameSwallowedByACrashPointPassesNoDescriptor() {
        final Loopback wire = new Loopback();
        final int[] crashes = {0};
        final CrashPointChannel channel = new CrashPointChannel(wire, always(FaultKind.WORKER_CRASH_BEFORE_APPLY),
            false, () -> crashes[0]++);
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(frame(WorkerMessageCodec.TYPE_SYNC), 0, 3, mine));
        assertEquals(1, crashes[0]);
        assertTrue(receive(wire).isEmpty());
        assertEquals(1, mine.openHandles());
        assertEquals(WorkerChannel.SendResult.CLOSED, channel.send(frame(9), 0, 3, mine), "the worker is gone");
        assertEquals(1, mine.openHandles());
    }

    @Test
    void aFramePastACrashPointGoesWithItsDescriptor() {
        final Loopback wire = new Loopback();
        final CrashPointChannel channel = new CrashPointChannel(wire, FaultPlan.none(new SeededRandom(1)), false,
            () -> { });
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(frame(WorkerMessageCodec.TYPE_SYNC), 0, 3, mine));
        final List<Delivered> received = receive(channel);
        assertSame(mine.referent(), ((SharedDescriptor) received.getFirst().descriptor()).referent());
        received.getFirst().descriptor().close();
        assertEquals(1, mine.openHandles());
    }
}
