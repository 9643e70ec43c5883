package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Descriptor passing over Unix sockets ({@code SCM_RIGHTS}, {@code unix(7)}) and the peer's credentials
 * ({@code SO_PEERCRED}): how the supervisor hands its privileged sockets to unprivileged workers and checks who
 * connected. Control path only (it allocates per call); failures throw a {@link LinuxException} naming the call.
 * Struct offsets are those of {@code struct msghdr}, {@code struct iovec}, {@code struct cmsghdr} and
 * {@code struct ucred} on 64-bit Linux.
 */
public final class FdPassing {
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // struct cmsghdr: len@0 (size_t) level@8 type@12 data@16; CMSG_SPACE(sizeof(int)) = 24, CMSG_LEN = 20
    private static final long CMSG_SPACE_ONE_FD = 24;
    private static final long CMSG_LEN_ONE_FD = 20;

    private static final MethodHandle SENDMSG = Syscalls.downcall("sendmsg",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVMSG = Syscalls.downcall("recvmsg",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Syscalls.downcall("getsockopt",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    /** What one {@link #receive} got: the payload's length and the passed descriptor, or -1 when none came. */
    public record Received(int bytes, int fd) {
    }

    /** Who is at the other end of a Unix socket, as the kernel recorded it at connect time. */
    public record PeerCredentials(long pid, int uid, int gid) {
    }

    private FdPassing() {
    }

    /**
     * Sends {@code payload} with descriptor {@code fd} attached (nothing attached when {@code fd} is negative);
     * returns the bytes sent.
     */
    public static int send(final int socket, final byte[] payload, final int fd) {
        if (payload.length == 0) {
            throw new IllegalArgumentException("a passed descriptor needs at least one byte of payload with it");
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment data = arena.allocate(payload.length);
            MemorySegment.copy(payload, 0, data, ValueLayout.JAVA_BYTE, 0, payload.length);
            final MemorySegment control = arena.allocate(CMSG_SPACE_ONE_FD, 8);
            control.set(ValueLayout.JAVA_LONG, 0, CMSG_LEN_ONE_FD);
            control.set(ValueLayout.JAVA_INT, 8, Syscalls.SOL_SOCKET);
            control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
            control.set(ValueLayout.JAVA_INT, 16, fd);
            final MemorySegment header = message(arena, data, payload.length, fd < 0 ? MemorySegment.NULL : control);
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final long sent = (long) SENDMSG.invokeExact(capture, socket, header, 0);
            if (sent < 0) {
                throw new LinuxException("sendmsg(SCM_RIGHTS) of descriptor " + fd + " on socket " + socket,
                    Syscalls.errno(capture));
            }
            return (int) sent;
        } catch (final LinuxException | IllegalArgumentException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("sendmsg could not be called", t);
        }
    }

    /**
     * Receives into {@code buffer} and takes the descriptor passed with it, if any (close-on-exec set). A message
     * whose control data was cut short fails rather than leaking or losing descriptors.
     */
    public static Received receive(final int socket, final byte[] buffer) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment data = arena.allocate(Math.max(1, buffer.length));
            final MemorySegment control = arena.allocate(CMSG_SPACE_ONE_FD, 8);
            final MemorySegment header = message(arena, data, buffer.length, control);
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final long received = (long) RECVMSG.invokeExact(capture, socket, header, MSG_CMSG_CLOEXEC);
            if (received < 0) {
                throw new LinuxException("recvmsg on socket " + socket, Syscalls.errno(capture));
            }
            final int flags = header.get(ValueLayout.JAVA_INT, 48);
            final long controlLength = header.get(ValueLayout.JAVA_LONG, 40);
            int fd = -1;
            if (controlLength >= CMSG_LEN_ONE_FD && control.get(ValueLayout.JAVA_INT, 8) == Syscalls.SOL_SOCKET
                && control.get(ValueLayout.JAVA_INT, 12) == SCM_RIGHTS) {
                fd = control.get(ValueLayout.JAVA_INT, 16);
            }
            if ((flags & MSG_CTRUNC) != 0) {
                if (fd >= 0) {
                    Syscalls.close(fd);
                }
                throw new IllegalStateException("recvmsg on socket " + socket
                    + ": control data truncated (more than one descriptor sent?); the message was dropped");
            }
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, buffer, 0, (int) received);
            return new Received((int) received, fd);
        } catch (final LinuxException | IllegalStateException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("recvmsg could not be called", t);
        }
    }

    /** The credentials of the process at the other end of Unix socket {@code socket}. */
    public static PeerCredentials peerCredentials(final int socket) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ucred = arena.allocate(12, 4);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 12);
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final int result = (int) GETSOCKOPT.invokeExact(capture, socket, Syscalls.SOL_SOCKET, SO_PEERCRED, ucred,
                length);
            if (result != 0) {
                throw new LinuxException("getsockopt(SO_PEERCRED) on socket " + socket, Syscalls.errno(capture));
            }
            return new PeerCredentials(Integer.toUnsignedLong(ucred.get(ValueLayout.JAVA_INT, 0)),
                ucred.get(ValueLayout.JAVA_INT, 4), ucred.get(ValueLayout.JAVA_INT, 8));
        } catch (final LinuxException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("getsockopt could not be called", t);
        }
    }

    private static MemorySegment message(final Arena arena, final MemorySegment data, final int length,
        final MemorySegment control) {
        final MemorySegment iov = arena.allocate(16, 8);
        iov.set(ValueLayout.ADDRESS, 0, data);
        iov.set(ValueLayout.JAVA_LONG, 8, length);
        final MemorySegment header = arena.allocate(Syscalls.MSGHDR_BYTES, 8);
        header.set(ValueLayout.ADDRESS, 16, iov);
        header.set(ValueLayout.JAVA_LONG, 24, 1);
        header.set(ValueLayout.ADDRESS, 32, control);
        header.set(ValueLayout.JAVA_LONG, 40, control.byteSize());
        return header;
    }
}
