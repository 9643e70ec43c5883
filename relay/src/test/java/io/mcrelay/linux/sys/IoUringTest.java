package io.mcrelay.linux.sys;

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
import org.junit.jupiter.api.Test;

/** The real kernel's io_uring, driven through {@link IoUring}: no mocks. */
class IoUringTest {

    @Test
    void noOpsComeBackWithTheirUserDataInSubmissionOrder() {
        try (IoUring ring = IoUring.open(32)) {
            final List<Long> seen = new ArrayList<>();
            int rounds = 0;
            long next = 1_000;
            // More NOPs than the queue holds: several rounds, each filling the queue until it refuses.
            while (next < 1_100) {
                int queued = 0;
                while (next < 1_100 && ring.prepareNop(next)) {
                    next++;
                    queued++;
                }
                assertTrue(queued > 0, "round " + rounds + " queued nothing");
                assertEquals(queued, ring.submit(queued), "io_uring_enter result");
                int reaped = 0;
                while (reaped < queued) {
                    reaped += ring.pollCompletions((userData, result, flags) -> {
                        assertEquals(0, result, "NOP result for " + userData);
                        seen.add(userData);
                    }, 1_000);
                }
                rounds++;
            }
            assertTrue(rounds > 3, "100 NOPs through a 32-entry queue took only " + rounds + " rounds");
            final List<Long> expected = new ArrayList<>();
            for (long v = 1_000; v < 1_100; v++) {
                expected.add(v);
            }
            assertEquals(expected, seen);
            assertEquals(0, ring.pollCompletions((u, r, f) -> seen.add(-1L), 10), "nothing left over");
        }
    }

    @Test
    void aFullSubmissionQueueRefusesInsteadOfOverwriting() {
        try (IoUring ring = IoUring.open(4)) {
            assertEquals(4, ring.entries());
            for (int i = 0; i < 4; i++) {
                assertTrue(ring.prepareNop(i));
            }
            assertFalse(ring.prepareNop(99), "fifth entry in a 4-entry queue");
            assertEquals(4, ring.submit(4));
            final long[] sum = {0};
            int reaped = 0;
            while (reaped < 4) {
                reaped += ring.pollCompletions((u, r, f) -> sum[0] += u, 16);
            }
            assertEquals(0 + 1 + 2 + 3, sum[0]);
            assertTrue(ring.prepareNop(5), "room again once the kernel consumed the entries");
        }
    }

    @Test
    void theProbeReportsTheOperationsTheRelayNeeds() {
        try (IoUring ring = IoUring.open(8)) {
            final IoUring.Probe probe = ring.probe();
            assertTrue(probe.lastOp() >= IoUring.IORING_OP_RECV, "last op " + probe.lastOp());
            assertTrue(probe.supports(IoUring.IORING_OP_NOP));
            assertTrue(probe.supports(IoUring.IORING_OP_RECV));
            assertTrue(probe.supports(IoUring.IORING_OP_SEND));
            assertEquals(List.of(), probe.missing());
            assertFalse(probe.supports(-1));
            assertFalse(probe.supports(10_000));
        }
    }

    @Test
    void aProbeMissingOperationsNamesThemWithTheKernelThatBroughtThem() {
        final boolean[] onlyNop = new boolean[256];
        onlyNop[IoUring.IORING_OP_NOP] = true;
        final List<String> missing = new IoUring.Probe(IoUring.IORING_OP_NOP, onlyNop).missing();
        assertTrue(missing.contains("IORING_OP_RECV (Linux 5.6+)"), missing.toString());
        assertTrue(missing.contains("IORING_OP_TIMEOUT (Linux 5.4+)"), missing.toString());
        assertFalse(missing.contains("IORING_OP_NOP (Linux 5.1+)"), missing.toString());
        assertEquals(IoUring.REQUIRED_OPS.length - 1, missing.size(), missing.toString());
    }

    @Test
    void badSizesAreRefusedBeforeTheKernelIsAsked() {
        final IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> IoUring.open(0));
        assertEquals("entries must be between 1 and 32768, not 0", zero.getMessage());
        final IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
            () -> IoUring.open(65_536));
        assertTrue(big.getMessage().endsWith("not 65536"), big.getMessage());
    }

    @Test
    void aFailedSystemCallComesBackAsMinusErrnoFromTheRealKernel() {
        // io_uring_enter on a descriptor that cannot be open: the kernel says EBADF.
        assertEquals(-Errno.EBADF, Syscalls.syscall(Syscalls.SYS_IO_URING_ENTER, -1, 0, 0, 0, 0));
        // io_uring_setup with a null parameter block: EFAULT.
        assertEquals(-Errno.EFAULT, Syscalls.syscall(Syscalls.SYS_IO_URING_SETUP, 4, 0, 0, 0, 0));
    }

    @Test
    void aFailureNamesTheCallTheCauseAndWhatToCheck() {
        final LinuxException blocked = new LinuxException("io_uring_setup", Errno.EPERM);
        assertEquals(Errno.EPERM, blocked.errno());
        assertEquals("io_uring_setup failed: EPERM (operation not permitted): io_uring is missing or blocked here"
            + " (check sysctl kernel.io_uring_disabled and any seccomp profile of the container)",
            blocked.getMessage());
        assertEquals("io_uring_setup failed: ENOMEM (out of memory): the ring needs locked memory; raise"
            + " 'ulimit -l' or ask for fewer entries", new LinuxException("io_uring_setup", Errno.ENOMEM).getMessage());
        assertEquals("mmap of the io_uring rings failed: errno 75",
            new LinuxException("mmap of the io_uring rings", 75).getMessage());
    }

    @Test
    void aDatagramSentThroughTheRingIsReceivedThroughTheRing() {
        final int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        try (IoUring ring = IoUring.open(8); Arena arena = Arena.ofConfined()) {
            final byte[] payload = "239.1.1.1:5000 -> eth1".getBytes(StandardCharsets.US_ASCII);
            final MemorySegment out = arena.allocate(64);
            MemorySegment.copy(payload, 0, out, ValueLayout.JAVA_BYTE, 0, payload.length);
            final MemorySegment in = arena.allocate(64);
            // The receive goes in first and waits in the kernel; the send in the same batch completes it.
            assertTrue(ring.prepareRecv(pair[1], in, 64, 0, 7));
            assertTrue(ring.prepareSend(pair[0], out, payload.length, 0, 8));
            assertEquals(2, ring.submit(2));
            final long[] results = new long[16];
            int reaped = 0;
            while (reaped < 2) {
                final int n = ring.submit(1); // wait for the remaining completion if it is not in yet
                assertTrue(n >= 0, "io_uring_enter: " + n);
                reaped += ring.pollCompletions((userData, result, flags) -> results[(int) userData] = result, 16);
            }
            assertEquals(payload.length, results[8], "SEND result");
            assertEquals(payload.length, results[7], "RECV result");
            final byte[] received = in.asSlice(0, payload.length).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(new String(payload, StandardCharsets.US_ASCII),
                new String(received, StandardCharsets.US_ASCII));
        } finally {
            Syscalls.close(pair[0]);
            Syscalls.close(pair[1]);
        }
    }

    @Test
    void socketErrorsArriveInTheCompletionAsMinusErrno() {
        final int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        try (IoUring ring = IoUring.open(8); Arena arena = Arena.ofConfined()) {
            final MemorySegment buffer = arena.allocate(32);
            assertTrue(ring.prepareRecv(pair[1], buffer, 32, Syscalls.MSG_DONTWAIT, 1)); // nothing queued
            assertTrue(ring.prepareSend(-1, buffer, 32, 0, 2)); // no such descriptor
            assertEquals(2, ring.submit(2));
            final int[] results = new int[3];
            int reaped = 0;
            while (reaped < 2) {
                reaped += ring.pollCompletions((userData, result, flags) -> results[(int) userData] = result, 16);
            }
            assertEquals(-Errno.EAGAIN, results[1], "RECV with MSG_DONTWAIT on an empty socket");
            assertEquals(-Errno.EBADF, results[2], "SEND on descriptor -1");
        } finally {
            Syscalls.close(pair[0]);
            Syscalls.close(pair[1]);
        }
    }

    @Test
    void buffersOutsideNativeMemoryOrTooShortAreRefused() {
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            final IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> ring.prepareSend(0, MemorySegment.ofArray(new byte[8]), 8, 0, 1));
            assertEquals("io_uring buffers must be native memory", heap.getMessage());
            final IllegalArgumentException shortBuffer = assertThrows(IllegalArgumentException.class,
                () -> ring.prepareRecv(0, arena.allocate(8), 9, 0, 1));
            assertEquals("length 9 outside the buffer of 8 bytes", shortBuffer.getMessage());
            assertTrue(ring.prepareNop(3), "a refused entry takes no slot");
            assertTrue(ring.prepareNop(4));
            assertFalse(ring.prepareNop(5));
        }
    }

    @Test
    void aMultishotPollCompletesOnEveryReadinessAndStaysArmed() {
        final int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        try (IoUring ring = IoUring.open(8); Arena arena = Arena.ofConfined()) {
            assertTrue(ring.preparePoll(pair[1], IoUring.POLLIN, true, 42));
            assertEquals(1, ring.submit(0));
            assertEquals(0, ring.pollCompletions((u, r, f) -> { }, 8), "nothing readable yet");
            final MemorySegment buffer = arena.allocate(16);
            final List<int[]> polls = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                assertTrue(ring.prepareSend(pair[0], buffer, 4, 0, 100 + round));
                assertTrue(ring.prepareRecv(pair[1], buffer, 16, 0, 200 + round)); // drain, so it can fire again
                ring.submit(0);
                int sawPoll = 0;
                int sawRecv = 0;
                final long start = System.nanoTime();
                while (sawPoll == 0 || sawRecv == 0) {
                    // Never block: a poll that stopped firing must fail the test, not hang it.
                    assertTrue(System.nanoTime() - start < 10_000_000_000L, "round " + round + ": poll fired "
                        + sawPoll + " times, receive completed " + sawRecv + " times within 10 s");
                    ring.submit(0);
                    final int[] counts = new int[2];
                    ring.pollCompletions((u, r, f) -> {
                        if (u == 42) {
                            polls.add(new int[] {r, f});
                            counts[0]++;
                        } else if (u >= 200) {
                            counts[1]++;
                        }
                    }, 8);
                    sawPoll += counts[0];
                    sawRecv += counts[1];
                }
            }
            assertTrue(polls.size() >= 3, "one completion per readiness at least: " + polls.size());
            for (final int[] poll : polls) {
                assertTrue((poll[0] & IoUring.POLLIN) != 0, "POLLIN in the result " + poll[0]);
                assertTrue((poll[1] & IoUring.IORING_CQE_F_MORE) != 0, "still armed (IORING_CQE_F_MORE)");
            }
        } finally {
            Syscalls.close(pair[0]);
            Syscalls.close(pair[1]);
        }
    }

    @Test
    void aTimeoutCompletesWithEtime() {
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            final MemorySegment timespec = arena.allocate(16, 8);
            IoUring.timespec(timespec, 2_000_000L); // 2 ms
            assertEquals(0L, timespec.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(2_000_000L, timespec.get(ValueLayout.JAVA_LONG, 8));
            assertTrue(ring.prepareTimeout(timespec, 9));
            assertEquals(1, ring.submit(1)); // waits for the timeout's completion
            final int[] result = {0};
            assertEquals(1, ring.pollCompletions((u, r, f) -> result[0] = r, 2));
            assertEquals(-IoUring.ETIME, result[0]);
            assertThrows(IllegalArgumentException.class, () -> IoUring.timespec(timespec, -1));
            IoUring.timespec(timespec, 3_500_000_000L);
            assertEquals(3L, timespec.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(500_000_000L, timespec.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    @Test
    void closingTwiceIsHarmless() {
        final IoUring ring = IoUring.open(2);
        ring.close();
        ring.close();
    }
}
