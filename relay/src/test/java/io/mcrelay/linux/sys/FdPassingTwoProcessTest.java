package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A descriptor passed to another process over a named Unix socket is usable there: the child JVM
 * ({@link FdPassingChild}) sends a datagram through the socket it was handed, and it arrives at the socket's peer
 * here, after this process has closed its own copy.
 */
class FdPassingTwoProcessTest {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    @Test
    void aDescriptorPassedToAnotherProcessWorksThere() throws Exception {
        final Path socketPath = dir.resolve("worker.sock");
        final int listener = UnixSockets.listen(socketPath, 4, true);
        final int[] data = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM);
        final Path childOutput = dir.resolve("child.log");
        final Process child = new ProcessBuilder(javaCommand(socketPath)).redirectErrorStream(true)
            .redirectOutput(childOutput.toFile()).start();
        int connection = -1;
        try {
            final long start = System.nanoTime();
            while ((connection = UnixSockets.accept(listener)) < 0) {
                assertTrue(child.isAlive(), () -> "the child exited before connecting: " + read(childOutput));
                assertTrue(System.nanoTime() - start < DEADLINE_NANOS, "the child did not connect within 30 s");
                Thread.sleep(10);
            }
            assertEquals(child.pid(), FdPassing.peerCredentials(connection).pid(), "SO_PEERCRED names the child");

            FdPassing.send(connection, new byte[] {'w'}, data[0]);
            Syscalls.close(data[0]); // the child's copy must keep the socket alive
            data[0] = -1;

            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not finish within 30 s");
            assertEquals(0, child.exitValue(), () -> "child failed: " + read(childOutput));
            try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
                final MemorySegment in = arena.allocate(64);
                assertTrue(ring.prepareRecv(data[1], in, 64, Syscalls.MSG_DONTWAIT, 1));
                ring.submit(1);
                final int[] result = {Integer.MIN_VALUE};
                while (ring.pollCompletions((u, r, f) -> result[0] = r, 1) == 0) {
                    ring.submit(1);
                }
                assertTrue(result[0] > 0, "nothing arrived from the child: " + result[0]);
                assertEquals("from child " + child.pid(), new String(
                    in.asSlice(0, result[0]).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            }
        } finally {
            child.destroyForcibly();
            for (final int fd : new int[] {listener, connection, data[0], data[1]}) {
                if (fd >= 0) {
                    Syscalls.close(fd);
                }
            }
        }
    }

    @Test
    void unixSocketErrorsNameTheCallAndThePath() {
        final Path missing = dir.resolve("nobody-listens.sock");
        final LinuxException refused = assertThrows(LinuxException.class, () -> UnixSockets.connect(missing));
        assertEquals("connect to the Unix socket " + missing + " failed: ENOENT (no such file or directory)",
            refused.getMessage());
        final Path tooLong = dir.resolve("x".repeat(120));
        final IllegalArgumentException longPath = assertThrows(IllegalArgumentException.class,
            () -> UnixSockets.connect(tooLong));
        assertTrue(longPath.getMessage().startsWith("Unix socket path must be 1 to 107 bytes, not "),
            longPath.getMessage());
        final int listener = UnixSockets.listen(dir.resolve("taken.sock"), 1, true);
        try {
            assertEquals(-1, UnixSockets.accept(listener), "nothing waiting on a non-blocking listener");
            final LinuxException taken = assertThrows(LinuxException.class,
                () -> UnixSockets.listen(dir.resolve("taken.sock"), 1, true));
            assertTrue(taken.getMessage().startsWith("bind of a Unix socket to " + dir.resolve("taken.sock")
                + " failed: "), taken.getMessage());
        } finally {
            Syscalls.close(listener);
        }
    }

    private static List<String> javaCommand(final Path socketPath) {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            FdPassingChild.class.getName(), socketPath.toString());
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
