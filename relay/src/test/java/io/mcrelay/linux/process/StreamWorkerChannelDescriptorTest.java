package io.mcrelay.linux.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * Descriptor passing on the socket channel, against the kernel: a descriptor goes with its frame's first byte
 * whatever is queued before it (frames of megabytes, a full socket), and a peer that breaks the rules (a flagged frame
 * without a descriptor, a descriptor without a flagged frame, more descriptors than one read takes) ends the channel
 * with the error that names it. Every test counts this process's open descriptors ({@code /proc/self/fd}) before and
 * after: none leaks.
 */
class StreamWorkerChannelDescriptorTest {
    /** A received frame and the descriptor taken with it, or {@code null}. */
    private record Arrival(byte[] frame, OwnedFd descriptor) {
    }

    private static UnsafeBuffer buffer(final byte[] bytes) {
        return new UnsafeBuffer(bytes);
    }

    /** Polls both ends until {@code count} frames arrived at {@code to}, taking their descriptors. */
    private static List<Arrival> pump(final WorkerChannel from, final WorkerChannel to, final int count) {
        final List<Arrival> received = new ArrayList<>();
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (received.size() < count && System.nanoTime() < deadline) {
            from.poll((buffer, offset, length) -> { }, 0);
            to.poll((buffer, offset, length) -> {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(new Arrival(copy, (OwnedFd) to.takeDescriptor()));
            }, 100);
        }
        assertEquals(count, received.size(), "frames received");
        return received;
    }

    private static void closeAll(final List<Arrival> arrivals) {
        arrivals.stream().filter(a -> a.descriptor() != null).forEach(a -> a.descriptor().close());
    }

    /** A frame as the wire carries it: the length prefix, with the descriptor flag when asked, then the payload. */
    private static byte[] wire(final byte[] payload, final boolean flagged) {
        final byte[] framed = Frames.frame(payload, Frames.WORKER_BYTES_MAX);
        if (flagged) {
            framed[0] |= (byte) 0x80;
        }
        return framed;
    }

    private static byte[] concat(final byte[] first, final byte[] second) {
        final byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** Writes {@code bytes} on {@code socket} as plain bytes, no descriptor. */
    private static void writeRaw(final int socket, final byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment data = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            assertEquals(bytes.length, Syscalls.send(arena.allocate(Syscalls.CAPTURE), socket, data, bytes.length, 0));
        }
    }

    /** Polls {@code end} until it ends (or 5 s pass), keeping what it delivers. */
    private static List<Arrival> drainUntilClosed(final StreamWorkerChannel end) {
        final List<Arrival> received = new ArrayList<>();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!end.isClosed() && System.nanoTime() < deadline) {
            end.poll((buffer, offset, length) -> {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(new Arrival(copy, (OwnedFd) end.takeDescriptor()));
            }, 10);
        }
        assertTrue(end.isClosed(), "a peer that broke the rules ends the channel");
        return received;
    }

    @Test
    void aDescriptorGoesWithItsFrameBetweenFramesOfTensOfMegabytes() {
        final long before = TestDescriptors.openCount();
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(1 << 20, Frames.WORKER_BYTES_MAX);
        final byte[] huge = new byte[10 << 20];
        new Random(11).nextBytes(huge);
        final byte[] small = {1, 2, 3};
        try (OwnedFd first = TestDescriptors.newSocket(); OwnedFd second = TestDescriptors.newSocket()) {
            final String firstIs = TestDescriptors.identity(first.fd());
            final String secondIs = TestDescriptors.identity(second.fd());
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(small), 0, small.length));
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(huge), 0, huge.length));
            assertEquals(WorkerChannel.SendResult.FULL, ends[0].send(buffer(small), 0, small.length, first),
                "nothing queues behind a large frame still being written, a descriptor neither");
            final List<Arrival> plain = pump(ends[0], ends[1], 2);
            assertNull(plain.get(0).descriptor());
            assertNull(plain.get(1).descriptor());
            assertArrayEquals(huge, plain.get(1).frame());
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(small), 0, small.length, first));
            // Larger than the whole buffer: its descriptor goes with the first of many writes.
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(huge), 0, huge.length, second));
            final List<Arrival> flagged = pump(ends[0], ends[1], 2);
            assertArrayEquals(small, flagged.get(0).frame());
            assertEquals(firstIs, TestDescriptors.identity(flagged.get(0).descriptor().fd()));
            assertArrayEquals(huge, flagged.get(1).frame());
            assertEquals(secondIs, TestDescriptors.identity(flagged.get(1).descriptor().fd()));
            closeAll(flagged);
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(small), 0, small.length));
            assertNull(pump(ends[0], ends[1], 1).getFirst().descriptor());
            assertEquals(0, ends[1].protocolErrors());
        } finally {
            ends[0].close();
            ends[1].close();
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void aFlaggedFrameQueuedBehindAFullSocketKeepsItsDescriptorUntilItsTurn() {
        final long before = TestDescriptors.openCount();
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(1 << 20, 1 << 16);
        try {
            final byte[] frame = new byte[1000];
            int plainSent = 0;
            while (ends[0].send(buffer(frame), 0, frame.length) == WorkerChannel.SendResult.SENT) {
                plainSent++;
            }
            assertTrue(plainSent > 1000, "the socket and a MiB of buffer filled up: " + plainSent);
            // One read of the receiver makes room in the socket for the sender's next flush, not for its buffer.
            final List<Arrival> early = new ArrayList<>();
            ends[1].poll((buffer, offset, length) -> early.add(new Arrival(new byte[length], null)), 1);
            final byte[] marked = new byte[1000];
            marked[0] = 42;
            final long beforeFlagged;
            try (OwnedFd mine = TestDescriptors.newSocket()) {
                final String mineIs = TestDescriptors.identity(mine.fd());
                beforeFlagged = TestDescriptors.openCount();
                assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(buffer(marked), 0, marked.length, mine));
                assertEquals(beforeFlagged + 1, TestDescriptors.openCount(),
                    "queued behind bytes the socket has no room for, the frame holds a duplicate of the descriptor");
                mine.close(); // the sender's own goes; the queued frame's stays
                int after = 0;
                while (ends[0].send(buffer(frame), 0, frame.length) == WorkerChannel.SendResult.SENT) {
                    after++;
                }
                final List<Arrival> rest = pump(ends[0], ends[1], plainSent + 1 + after - early.size());
                int carrying = 0;
                for (int i = 0; i < rest.size(); i++) {
                    final Arrival arrival = rest.get(i);
                    if (arrival.descriptor() != null) {
                        carrying++;
                        assertEquals(42, arrival.frame()[0], "the descriptor came with the marked frame");
                        assertEquals(plainSent - early.size(), i, "in its place");
                        assertEquals(mineIs, TestDescriptors.identity(arrival.descriptor().fd()));
                    }
                }
                assertEquals(1, carrying);
                closeAll(rest);
            }
            assertEquals(0, ends[1].protocolErrors());
        } finally {
            ends[0].close();
            ends[1].close();
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void aFrameAnnouncingADescriptorThatDidNotComeEndsTheChannel() {
        final long before = TestDescriptors.openCount();
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        final StreamWorkerChannel end = new StreamWorkerChannel(fds[1], 4096, 1 << 16);
        try {
            writeRaw(fds[0], concat(wire(new byte[] {1}, false), wire(new byte[] {2}, true)));
            final List<Arrival> received = drainUntilClosed(end);
            assertEquals(1, received.size(), "the whole frame before the broken one is delivered");
            assertNull(received.getFirst().descriptor());
            assertEquals(StreamWorkerChannel.ProtocolError.DESCRIPTOR_MISSING, end.protocolError());
            assertEquals("frame announced a descriptor that did not arrive", end.protocolError().message());
            assertEquals(1, end.protocolErrors());
        } finally {
            end.close();
            Syscalls.close(fds[0]);
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void aDescriptorThatNoFrameAnnouncedEndsTheChannelAndIsClosed() {
        final long before = TestDescriptors.openCount();
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        final StreamWorkerChannel end = new StreamWorkerChannel(fds[1], 4096, 1 << 16);
        try (OwnedFd stray = TestDescriptors.newSocket()) {
            FdPassing.send(fds[0], wire(new byte[] {5}, false), stray.fd());
            final long withStray = TestDescriptors.openCount();
            drainUntilClosed(end);
            assertEquals(StreamWorkerChannel.ProtocolError.DESCRIPTOR_UNANNOUNCED, end.protocolError());
            assertEquals("a descriptor arrived without a frame announcing it", end.protocolError().message());
            assertEquals(withStray, TestDescriptors.openCount(), "the stray descriptor received was closed");
        } finally {
            end.close();
            Syscalls.close(fds[0]);
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void moreDescriptorsThanOneReadTakesEndTheChannel() {
        final long before = TestDescriptors.openCount();
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        final StreamWorkerChannel end = new StreamWorkerChannel(fds[1], 4096, 1 << 16);
        try (OwnedFd one = TestDescriptors.newSocket()) {
            final int[] many = new int[FdPassing.Scratch.RECEIVE_FDS_MAX * 2];
            Arrays.fill(many, one.fd());
            FdPassing.sendAll(fds[0], wire(new byte[] {6}, true), many);
            final long sent = TestDescriptors.openCount();
            drainUntilClosed(end);
            assertEquals(StreamWorkerChannel.ProtocolError.CONTROL_TRUNCATED, end.protocolError());
            assertEquals(sent, TestDescriptors.openCount(), "the descriptors that did arrive were closed");
        } finally {
            end.close();
            Syscalls.close(fds[0]);
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void eachDescriptorOfAReadGoesToItsFlaggedFrameInOrderEvenOnTheFirstByteAlone() {
        final long before = TestDescriptors.openCount();
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        final StreamWorkerChannel end = new StreamWorkerChannel(fds[1], 4096, 1 << 16);
        try (OwnedFd a = TestDescriptors.newSocket(); OwnedFd b = TestDescriptors.newSocket();
             OwnedFd c = TestDescriptors.newSocket()) {
            // Two flagged frames and a plain one in one message with two descriptors: matched in order.
            FdPassing.sendAll(fds[0], concat(concat(wire(new byte[] {1}, true), wire(new byte[] {2}, false)),
                wire(new byte[] {3}, true)), new int[] {a.fd(), b.fd()});
            // A descriptor on the first byte alone, the rest of its frame after it as plain bytes.
            final byte[] fourth = wire(new byte[] {4, 4}, true);
            FdPassing.send(fds[0], Arrays.copyOf(fourth, 1), c.fd());
            writeRaw(fds[0], Arrays.copyOfRange(fourth, 1, fourth.length));
            final List<Arrival> received = new ArrayList<>();
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (received.size() < 4 && System.nanoTime() < deadline) {
                end.poll((buffer, offset, length) -> {
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    received.add(new Arrival(copy, (OwnedFd) end.takeDescriptor()));
                }, 10);
            }
            assertEquals(4, received.size());
            assertEquals(TestDescriptors.identity(a.fd()), TestDescriptors.identity(received.get(0).descriptor().fd()));
            assertNull(received.get(1).descriptor());
            assertEquals(TestDescriptors.identity(b.fd()), TestDescriptors.identity(received.get(2).descriptor().fd()));
            assertEquals(TestDescriptors.identity(c.fd()), TestDescriptors.identity(received.get(3).descriptor().fd()));
            assertArrayEquals(new byte[] {4, 4}, received.get(3).frame());
            assertNull(end.protocolError());
            closeAll(received);
        } finally {
            end.close();
            Syscalls.close(fds[0]);
        }
        assertEquals(before, TestDescriptors.openCount());
    }

    @Test
    void onlyOpenDescriptorsOfThisProcessGo() {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(4096, 1 << 16);
        try {
            final UnsafeBuffer one = buffer(new byte[] {1});
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(one, 0, 1, SharedDescriptor.of("sim")));
            final OwnedFd closed = TestDescriptors.newSocket();
            closed.close();
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(one, 0, 1, closed));
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(one, 0, 1, null));
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }

    @Test
    void manyDescriptorsBothWaysLeakNone() {
        scenario(); // loads every class the scenario needs: a class loader may keep what it opened
        final long before = TestDescriptors.openCount();
        for (int i = 0; i < 3; i++) {
            scenario();
        }
        assertEquals(before, TestDescriptors.openCount(), "no descriptor left open by 3 runs");
    }

    /** Descriptors taken, left untaken, and in flight at the close, both ways. */
    private static void scenario() {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(64 * 1024, 1 << 16);
        try (OwnedFd mine = TestDescriptors.newSocket()) {
            final byte[] frame = new byte[100];
            for (int i = 0; i < 50; i++) {
                frame[0] = (byte) i;
                assertEquals(WorkerChannel.SendResult.SENT, ends[i % 2].send(buffer(frame), 0, frame.length, mine));
            }
            final List<Arrival> taken = new ArrayList<>();
            for (int round = 0; round < 100 && taken.size() < 20; round++) {
                ends[0].poll((buffer, offset, length) -> {
                    final OwnedFd descriptor = (OwnedFd) ends[0].takeDescriptor();
                    assertNotNull(descriptor);
                    taken.add(new Arrival(null, descriptor));
                }, 20 - taken.size());
            }
            ends[1].poll((buffer, offset, length) -> { }, 10); // arrive, untaken: closed by the channel
            closeAll(taken);
            for (int i = 0; i < 10; i++) {
                ends[0].send(buffer(frame), 0, frame.length, mine); // in flight when the channel closes
            }
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }
}
