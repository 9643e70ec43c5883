package io.mcrelay.linux.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;

/**
 * Descriptors for the channel tests: a fresh socket each (one descriptor, its own inode), what it refers to as
 * {@code /proc/self/fd} shows it ({@code socket:[inode]}, equal for every duplicate and for the copy a peer
 * receives), and how many descriptors this process holds open (a leak shows up as a count that grew).
 */
final class TestDescriptors {
    private TestDescriptors() {
    }

    /** A new unbound {@code AF_UNIX} datagram socket: a descriptor to pass around. */
    static OwnedFd newSocket() {
        return new OwnedFd(Syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0,
            "socket(AF_UNIX, SOCK_DGRAM) for a test"));
    }

    /** What descriptor {@code fd} refers to, e.g. {@code socket:[123456]}. */
    static String identity(final int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The descriptors this process has open now. */
    static long openCount() {
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.count();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
