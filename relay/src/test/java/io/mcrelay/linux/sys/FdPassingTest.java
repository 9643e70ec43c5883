package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** SCM_RIGHTS and SO_PEERCRED against the real kernel, over AF_UNIX socket pairs. */
class FdPassingTest {

    @Test
    void aPassedDescriptorIsANewNumberForTheSameSocketAndCarriesTraffic() throws IOException {
        final int[] control = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_SEQPACKET);
        final int[] data = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        int passed = -1;
        try {
            assertEquals(5, FdPassing.send(control[0], "eth1\0".getBytes(StandardCharsets.US_ASCII), data[0]));
            final byte[] buffer = new byte[64];
            final FdPassing.Received received = FdPassing.receive(control[1], buffer);
            passed = received.fd();
            assertEquals(5, received.bytes());
            assertEquals("eth1\0", new String(buffer, 0, 5, StandardCharsets.US_ASCII));
            assertTrue(passed >= 0, "no descriptor arrived");
            assertNotEquals(data[0], passed, "the kernel installs a new descriptor number");
            assertTrue(closeOnExec(passed), "received descriptors are close-on-exec");

            // The new number refers to the same socket: a send on it arrives at data[1].
            try (IoUring ring = IoUring.open(4); Arena arena = Arena.ofConfined()) {
                final MemorySegment out = arena.allocateFrom("via passed fd");
                final MemorySegment in = arena.allocate(64);
                assertTrue(ring.prepareSend(passed, out, 13, 0, 1));
                assertTrue(ring.prepareRecv(data[1], in, 64, 0, 2));
                assertEquals(2, ring.submit(2));
                final int[] results = new int[3];
                int reaped = 0;
                while (reaped < 2) {
                    ring.submit(1);
                    reaped += ring.pollCompletions((u, r, f) -> results[(int) u] = r, 8);
                }
                assertEquals(13, results[1]);
                assertEquals(13, results[2]);
                assertEquals("via passed fd", new String(in.asSlice(0, 13).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII));
            }
        } finally {
            if (passed >= 0) {
                Syscalls.close(passed);
            }
            for (final int fd : new int[] {control[0], control[1], data[0], data[1]}) {
                Syscalls.close(fd);
            }
        }
    }

    @Test
    void aMessageWithoutADescriptorSaysSo() {
        final int[] control = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_SEQPACKET);
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            assertTrue(ring.prepareSend(control[0], arena.allocateFrom("hi"), 2, 0, 1));
            ring.submit(1);
            final FdPassing.Received received = FdPassing.receive(control[1], new byte[8]);
            assertEquals(new FdPassing.Received(2, -1), received);
        } finally {
            Syscalls.close(control[0]);
            Syscalls.close(control[1]);
        }
    }

    @Test
    void passingABadDescriptorFailsNamingTheCallAndTheCause() {
        final int[] control = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_SEQPACKET);
        try {
            final LinuxException e = assertThrows(LinuxException.class,
                () -> FdPassing.send(control[0], new byte[] {1}, 987_654));
            assertEquals(Errno.EBADF, e.errno());
            assertEquals("sendmsg(SCM_RIGHTS) of descriptor 987654 on socket " + control[0]
                + " failed: EBADF (bad file descriptor)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> FdPassing.send(control[0], new byte[0], 0));
        } finally {
            Syscalls.close(control[0]);
            Syscalls.close(control[1]);
        }
    }

    @Test
    void thePeerCredentialsAreThoseOfTheProcessAtTheOtherEnd() throws IOException {
        final int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        try {
            final FdPassing.PeerCredentials peer = FdPassing.peerCredentials(pair[1]);
            assertEquals(ProcessHandle.current().pid(), peer.pid());
            assertEquals(statusField("Uid"), peer.uid());
            assertEquals(statusField("Gid"), peer.gid());
        } finally {
            Syscalls.close(pair[0]);
            Syscalls.close(pair[1]);
        }
        final LinuxException notASocket = assertThrows(LinuxException.class, () -> FdPassing.peerCredentials(-1));
        assertEquals("getsockopt(SO_PEERCRED) on socket -1 failed: EBADF (bad file descriptor)",
            notASocket.getMessage());
    }

    /** The real (first) id of a {@code Uid:} or {@code Gid:} line of {@code /proc/self/status}. */
    private static int statusField(final String name) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(name + ":")) {
                return Integer.parseInt(line.substring(name.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + name + " line in /proc/self/status");
    }

    private static boolean closeOnExec(final int fd) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring(6).trim(), 8) & 02000000) != 0;
            }
        }
        throw new IllegalStateException("no flags line in /proc/self/fdinfo/" + fd);
    }
}
