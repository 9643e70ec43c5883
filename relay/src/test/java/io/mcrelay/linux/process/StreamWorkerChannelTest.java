package io.mcrelay.linux.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerChannelContract;

/**
 * The SOCK_STREAM channel keeps the {@link WorkerChannel} contract over a real {@code socketpair}, carries frames
 * far larger than one {@code SOCK_SEQPACKET} message can be (a table's {@code Sync} of tens of MiB) interleaved with
 * small ones, and ends on a peer that breaks the framing.
 */
class StreamWorkerChannelTest extends WorkerChannelContract {
    /** What each descriptor made here refers to, read while it was open. */
    private final Map<PassedDescriptor, String> identities = new IdentityHashMap<>();

    @Override
    protected PassedDescriptor newDescriptor() {
        final OwnedFd socket = TestDescriptors.newSocket();
        identities.put(socket, TestDescriptors.identity(socket.fd()));
        return socket;
    }

    @Override
    protected boolean sameFile(final PassedDescriptor sent, final PassedDescriptor arrived) {
        return identities.get(sent).equals(TestDescriptors.identity(((OwnedFd) arrived).fd()));
    }

    @Override
    protected long openDescriptors() {
        return TestDescriptors.openCount();
    }

    @Override
    protected Pair createPair(final int capacityBytes) {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(capacityBytes, Frames.WORKER_BYTES_MAX);
        return new Pair(ends[0], ends[1]);
    }

    @Override
    protected void settle(final Pair pair) {
        // Bytes the socket did not take yet move when their end is polled, as every duty cycle does.
        pair.supervisorEnd().poll((buffer, offset, length) -> { }, 0);
        pair.workerEnd().poll((buffer, offset, length) -> { }, 0);
    }

    /** Polls both ends until {@code count} frames arrived at {@code to}. */
    private static List<byte[]> pump(final WorkerChannel from, final WorkerChannel to, final int count) {
        final List<byte[]> received = new ArrayList<>();
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (received.size() < count && System.nanoTime() < deadline) {
            from.poll((buffer, offset, length) -> { }, 0);
            to.poll((buffer, offset, length) -> {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(copy);
            }, 100);
        }
        assertEquals(count, received.size(), "frames received");
        return received;
    }

    @Test
    void framesOfTensOfMegabytesArriveWholeBetweenSmallOnes() {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(1 << 20, Frames.WORKER_BYTES_MAX);
        try {
            final Random random = new Random(7);
            final byte[] huge = new byte[40 << 20]; // ten times what one SOCK_SEQPACKET message can carry here
            random.nextBytes(huge);
            final byte[] small = {1, 2, 3};
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(new UnsafeBuffer(small), 0, small.length));
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(new UnsafeBuffer(huge), 0, huge.length));
            assertEquals(WorkerChannel.SendResult.FULL, ends[0].send(new UnsafeBuffer(small), 0, small.length),
                "nothing queues behind a large frame still being written");
            final List<byte[]> first = pump(ends[0], ends[1], 2);
            assertArrayEquals(small, first.get(0));
            assertArrayEquals(huge, first.get(1));
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(new UnsafeBuffer(small), 0, small.length));
            assertArrayEquals(small, pump(ends[0], ends[1], 1).getFirst());
            assertEquals(0, ends[1].protocolErrors());
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }

    @Test
    void emptyAndOversizedFramesAreProgrammingErrors() {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(4096, 1 << 16);
        try {
            final UnsafeBuffer big = new UnsafeBuffer(new byte[(1 << 16) + 1]);
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(big, 0, big.capacity()));
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(big, 0, 0));
            assertEquals(1 << 16, ends[0].frameBytesMax());
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }

    /**
     * A worker's duty cycle polls its channel and then asks whether it closed: after a poll that found the stream empty
     * and open, the question is answered from that read, without a second system call (a peek) per cycle. So a close
     * between the two is seen one turn later: by the next poll, which reads the EOF.
     */
    @Test
    void isClosedRightAfterAPollThatFoundNothingAnswersFromThatRead() {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(4096, Frames.WORKER_BYTES_MAX);
        try {
            assertEquals(0, ends[1].poll((buffer, offset, length) -> { }, 10), "nothing was sent");
            ends[0].close();
            assertFalse(ends[1].isClosed(), "answered from the poll just before: no peek, so the close is not seen yet");
            assertTrue(ends[1].isClosed(), "asked again without a poll in between: it peeks, and sees the EOF");

            final StreamWorkerChannel[] next = StreamWorkerChannel.pair(4096, Frames.WORKER_BYTES_MAX);
            try {
                assertEquals(0, next[1].poll((buffer, offset, length) -> { }, 10));
                next[0].close();
                assertFalse(next[1].isClosed());
                assertEquals(0, next[1].poll((buffer, offset, length) -> { }, 10), "the next turn's poll reads the EOF");
                assertTrue(next[1].isClosed());
            } finally {
                next[1].close();
            }
        } finally {
            ends[1].close();
        }
    }

    @Test
    void aPeerThatBreaksTheFramingEndsTheChannel() {
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        final StreamWorkerChannel end = new StreamWorkerChannel(fds[1], 4096, 1 << 16);
        try (Arena arena = Arena.ofConfined()) {
            // A length prefix of 1 MiB, over this end's limit of 64 KiB: refused before any payload is buffered.
            final MemorySegment prefix = arena.allocate(4);
            prefix.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0, 1 << 20);
            try (IoUring ring = IoUring.open(2)) {
                assertTrue(ring.prepareSend(fds[0], prefix, 4, 0, 1));
                assertEquals(1, ring.submit(1));
                ring.pollCompletions((userData, result, flags) -> assertEquals(4, result), 1);
            }
            assertEquals(0, end.poll((buffer, offset, length) -> { }, 10));
            assertEquals(1, end.protocolErrors());
            assertEquals(StreamWorkerChannel.ProtocolError.BAD_LENGTH, end.protocolError());
            assertTrue(end.isClosed(), "a stream whose framing broke cannot go on");
        } finally {
            end.close();
            Syscalls.close(fds[0]);
        }
    }
}
