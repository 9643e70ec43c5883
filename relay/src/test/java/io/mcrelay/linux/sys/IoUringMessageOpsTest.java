package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SENDMSG, RECVMSG, READ and multishot receive into provided-buffer rings, on the real kernel's io_uring. */
class IoUringMessageOpsTest {
    /** {@code MSG_TRUNC} in {@code msg_flags}: the datagram was longer than the buffers. */
    private static final int MSG_TRUNC = 0x20;

    private int[] pair;
    private IoUring ring;
    private Arena arena;

    @BeforeEach
    void open() {
        pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        ring = IoUring.open(16);
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
        ring.close();
        Syscalls.close(pair[0]);
        Syscalls.close(pair[1]);
    }

    private static byte[] ascii(final String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private MemorySegment nativeCopy(final byte[] bytes) {
        final MemorySegment segment = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment;
    }

    /** A msghdr over the given buffers (one iovec each), no name, no control. */
    private MemorySegment msghdr(final MemorySegment... buffers) {
        final MemorySegment iov = arena.allocate(16L * buffers.length, 8);
        for (int i = 0; i < buffers.length; i++) {
            iov.set(ValueLayout.ADDRESS, 16L * i, buffers[i]);
            iov.set(ValueLayout.JAVA_LONG, 16L * i + 8, buffers[i].byteSize());
        }
        final MemorySegment header = arena.allocate(Syscalls.MSGHDR_BYTES, 8);
        header.set(ValueLayout.ADDRESS, 16, iov);
        header.set(ValueLayout.JAVA_LONG, 24, buffers.length);
        return header;
    }

    /**
     * Submits what is queued and collects completions ({userData, result, flags}) until {@code expected} arrived or
     * 5 s passed (never blocking in the kernel, so a missing completion fails the test instead of hanging it), then
     * checks that no extra one follows.
     */
    private List<long[]> reap(final int expected) throws InterruptedException {
        final List<long[]> completions = new ArrayList<>();
        final IoUring.CompletionHandler collect =
            (userData, result, flags) -> completions.add(new long[] {userData, result, flags});
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (completions.size() < expected && System.nanoTime() < deadline) {
            final int entered = ring.submit(0);
            assertTrue(entered >= 0, "io_uring_enter: " + entered);
            if (ring.pollCompletions(collect, 64) == 0) {
                Thread.sleep(1);
            }
        }
        Thread.sleep(20);
        ring.pollCompletions(collect, 64);
        assertEquals(expected, completions.size(), "completions");
        return completions;
    }

    @Test
    void sendmsgGathersIovecsAndRecvmsgScattersThemWithItsFlags() throws InterruptedException {
        // Gather two pieces into one datagram; scatter it over a 4-byte and a 16-byte buffer.
        final MemorySegment header = nativeCopy(ascii("head:"));
        final MemorySegment body = nativeCopy(ascii("239.1.1.1:5000"));
        final MemorySegment first = arena.allocate(4);
        final MemorySegment second = arena.allocate(16);
        final MemorySegment receive = msghdr(first, second);
        assertTrue(ring.prepareRecvmsg(pair[1], receive, 0, 1));
        assertTrue(ring.prepareSendmsg(pair[0], msghdr(header, body), 0, 2));
        final List<long[]> completions = reap(2);
        final long[] results = new long[3];
        completions.forEach(c -> results[(int) c[0]] = c[1]);
        assertEquals(19, results[2], "SENDMSG result: both iovecs");
        assertEquals(19, results[1], "RECVMSG result");
        assertArrayEquals(ascii("head"), first.toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(ascii(":239.1.1.1:5000"), second.asSlice(0, 15).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(0, receive.get(ValueLayout.JAVA_INT, 48), "msg_flags");
    }

    @Test
    void recvmsgReportsATruncatedDatagramInMsgFlags() throws InterruptedException {
        final MemorySegment small = arena.allocate(3);
        final MemorySegment receive = msghdr(small);
        assertTrue(ring.prepareSendmsg(pair[0], msghdr(nativeCopy(ascii("longer than three"))), 0, 1));
        assertTrue(ring.prepareRecvmsg(pair[1], receive, 0, 2));
        reap(2);
        assertEquals(MSG_TRUNC, receive.get(ValueLayout.JAVA_INT, 48) & MSG_TRUNC, "MSG_TRUNC expected");
        assertArrayEquals(ascii("lon"), small.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void readTakesWhatWasWrittenAndFailsWithMinusErrnoOnABadDescriptor() throws InterruptedException {
        final MemorySegment out = nativeCopy(ascii("wake"));
        final MemorySegment in = arena.allocate(16);
        assertTrue(ring.prepareSend(pair[0], out, 4, 0, 1));
        assertTrue(ring.prepareRead(pair[1], in, 16, -1, 2));
        assertTrue(ring.prepareRead(-1, in, 16, -1, 3));
        final long[] results = new long[4];
        reap(3).forEach(c -> results[(int) c[0]] = c[1]);
        assertEquals(4, results[2], "READ result");
        assertArrayEquals(ascii("wake"), in.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(-Errno.EBADF, results[3], "READ of fd -1");
    }

    @Test
    void aMultishotReceiveTakesOneProvidedBufferPerDatagramUntilTheyRunOut() throws InterruptedException {
        try (ProvidedBuffers buffers = ring.registerBuffers(7, 4, 64)) {
            assertTrue(ring.prepareRecvMultishot(pair[1], buffers, 0, 42));
            assertEquals(1, ring.submit(0));
            // Five datagrams, four buffers: four receives each in its own buffer, then ENOBUFS ends the multishot.
            for (int i = 0; i < 5; i++) {
                assertTrue(ring.prepareSend(pair[0], nativeCopy(ascii("datagram " + i)), 10, 0, 100 + i));
            }
            final List<long[]> completions = reap(10);
            final List<String> received = new ArrayList<>();
            final List<Integer> ids = new ArrayList<>();
            int ended = 0;
            for (final long[] c : completions) {
                if (c[0] != 42) {
                    assertEquals(10, c[1], "SEND result");
                    continue;
                }
                final int flags = (int) c[2];
                if (c[1] < 0) {
                    assertEquals(-Errno.ENOBUFS, c[1], "the receive after the last buffer");
                    assertFalse((flags & IoUring.IORING_CQE_F_MORE) != 0, "no longer armed");
                    ended++;
                    continue;
                }
                assertTrue(ProvidedBuffers.hasBuffer(flags), "flags " + flags);
                assertTrue((flags & IoUring.IORING_CQE_F_MORE) != 0, "still armed");
                final int id = ProvidedBuffers.bufferId(flags);
                ids.add(id);
                received.add(new String(buffers.buffer(id).asSlice(0, c[1]).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII));
            }
            assertEquals(List.of("datagram 0", "datagram 1", "datagram 2", "datagram 3"), received);
            assertEquals(4, ids.stream().distinct().count(), "each datagram in its own buffer: " + ids);
            assertEquals(1, ended, "one ENOBUFS completion");

            // Give two buffers back and arm it again: the fifth datagram, still queued, arrives in a recycled one.
            buffers.recycle(ids.get(0));
            buffers.recycle(ids.get(1));
            buffers.publish();
            assertTrue(ring.prepareRecvMultishot(pair[1], buffers, 0, 43));
            final long[] fifth = reap(1).getFirst();
            assertEquals(10, fifth[1]);
            final int id = ProvidedBuffers.bufferId((int) fifth[2]);
            assertTrue(id == ids.get(0) || id == ids.get(1), "a recycled buffer, not " + id);
            assertEquals("datagram 4", new String(buffers.buffer(id).asSlice(0, 10).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII));
        }
    }

    @Test
    void badBufferRingsAreRefusedAndTheKernelsRefusalNamesTheCall() {
        final IllegalArgumentException notPowerOfTwo = assertThrows(IllegalArgumentException.class,
            () -> ring.registerBuffers(1, 3, 64));
        assertEquals("a buffer ring holds a power of two of 1..32768 buffers, not 3", notPowerOfTwo.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ring.registerBuffers(70_000, 4, 64));
        assertThrows(IllegalArgumentException.class, () -> ring.registerBuffers(1, 4, 0));
        try (ProvidedBuffers first = ring.registerBuffers(1, 4, 64)) {
            final LinuxException twice = assertThrows(LinuxException.class, () -> ring.registerBuffers(1, 4, 64));
            assertEquals(Errno.EEXIST, twice.errno());
            assertTrue(twice.getMessage().startsWith("io_uring_register(IORING_REGISTER_PBUF_RING, group 1) failed:"
                + " EEXIST"), twice.getMessage());
            assertEquals(4, first.count());
        }
        // Unregistered on close: the same group can be registered again.
        ring.registerBuffers(1, 4, 64).close();
    }
}
