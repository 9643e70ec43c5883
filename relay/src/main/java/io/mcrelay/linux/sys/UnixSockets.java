package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Named {@code AF_UNIX} sockets through FFM: {@code SOCK_STREAM} (the worker channel, over which workers connect back
 * to the supervisor and receive their descriptors with {@link FdPassing}) or {@code SOCK_SEQPACKET}. The JDK's
 * Unix-domain channels hide the descriptor, which {@code SCM_RIGHTS} and {@code SO_PEERCRED} need. Every descriptor
 * is close-on-exec; failures throw a {@link LinuxException} naming the call and the path.
 */
public final class UnixSockets {
    /** {@code sizeof(sockaddr_un.sun_path)}: the path and its terminating NUL must fit. */
    public static final int PATH_BYTES_MAX = 107;
    private static final long SOCKADDR_UN_BYTES = 110;
    public static final int SOCK_NONBLOCK = 0x800;

    private static final MethodHandle BIND = Syscalls.downcall("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CONNECT = Syscalls.downcall("connect",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LISTEN = Syscalls.downcall("listen",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle ACCEPT4 = Syscalls.downcall("accept4",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));

    /** The socket type. */
    public enum Kind {
        /** {@code SOCK_STREAM}: a byte stream (the worker channel, framed by {@link StreamWorkerChannel}). */
        STREAM(Syscalls.SOCK_STREAM, "SOCK_STREAM"),
        /** {@code SOCK_SEQPACKET}: messages with their boundaries kept. */
        SEQPACKET(Syscalls.SOCK_SEQPACKET, "SOCK_SEQPACKET");

        private final int type;
        private final String label;

        Kind(final int type, final String label) {
            this.type = type;
            this.label = label;
        }
    }

    private UnixSockets() {
    }

    /**
     * A listening socket bound to {@code path} (which must not exist). With {@code nonBlocking}, {@link #accept}
     * returns -1 instead of waiting.
     */
    public static int listen(final Path path, final int backlog, final boolean nonBlocking) {
        return listen(path, backlog, nonBlocking, Kind.SEQPACKET);
    }

    /** {@link #listen(Path, int, boolean)} for a socket of {@code kind}. */
    public static int listen(final Path path, final int backlog, final boolean nonBlocking, final Kind kind) {
        final int fd = socket(nonBlocking, kind);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            if ((int) BIND.invokeExact(capture, fd, address(arena, path), (int) SOCKADDR_UN_BYTES) != 0) {
                throw new LinuxException("bind of a Unix socket to " + path, Syscalls.errno(capture));
            }
            if ((int) LISTEN.invokeExact(capture, fd, backlog) != 0) {
                throw new LinuxException("listen on " + path, Syscalls.errno(capture));
            }
            return fd;
        } catch (final Throwable t) {
            Syscalls.close(fd);
            throw rethrow(t, "bind");
        }
    }

    /** A {@code SOCK_SEQPACKET} socket connected to the listener at {@code path}. */
    public static int connect(final Path path) {
        return connect(path, Kind.SEQPACKET);
    }

    /** A socket of {@code kind} connected to the listener at {@code path} (which must be of the same kind). */
    public static int connect(final Path path, final Kind kind) {
        final int fd = socket(false, kind);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            if ((int) CONNECT.invokeExact(capture, fd, address(arena, path), (int) SOCKADDR_UN_BYTES) != 0) {
                throw new LinuxException("connect to the Unix socket " + path, Syscalls.errno(capture));
            }
            return fd;
        } catch (final Throwable t) {
            Syscalls.close(fd);
            throw rethrow(t, "connect");
        }
    }

    /** The next connection on {@code listener}, or -1 when a non-blocking listener has none waiting. */
    public static int accept(final int listener) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final int fd = (int) ACCEPT4.invokeExact(capture, listener, MemorySegment.NULL, MemorySegment.NULL,
                Syscalls.SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            final int errno = Syscalls.errno(capture);
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            throw new LinuxException("accept on socket " + listener, errno);
        } catch (final Throwable t) {
            throw rethrow(t, "accept4");
        }
    }

    /** Closes a descriptor this class or {@link FdPassing} gave out. */
    public static void close(final int fd) {
        Syscalls.close(fd);
    }

    private static int socket(final boolean nonBlocking, final Kind kind) {
        return Syscalls.socket(Syscalls.AF_UNIX, kind.type | Syscalls.SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0),
            0, "socket(AF_UNIX, " + kind.label + ")");
    }

    /** {@code struct sockaddr_un}: family at 0, the NUL-terminated path at 2. */
    private static MemorySegment address(final Arena arena, final Path path) {
        final byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > PATH_BYTES_MAX) {
            throw new IllegalArgumentException("Unix socket path must be 1 to " + PATH_BYTES_MAX + " bytes, not "
                + bytes.length + ": " + path);
        }
        final MemorySegment address = arena.allocate(SOCKADDR_UN_BYTES, 2); // zeroed: the path ends with NUL
        address.set(ValueLayout.JAVA_SHORT, 0, (short) Syscalls.AF_UNIX);
        MemorySegment.copy(bytes, 0, address, ValueLayout.JAVA_BYTE, 2, bytes.length);
        return address;
    }

    private static RuntimeException rethrow(final Throwable t, final String call) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        return new IllegalStateException(call + " could not be called", t);
    }
}
