package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Descriptor passing over Unix sockets ({@code SCM_RIGHTS}, {@code unix(7)}) and the peer's credentials
 * ({@code SO_PEERCRED}): how the supervisor hands its privileged sockets to unprivileged workers and checks who
 * connected; and, through a {@link Scratch} allocated once, the worker channel's every read and descriptor write.
 * Control path only (the static calls allocate per call); failures throw a {@link LinuxException} naming the call.
 * Struct offsets are those of {@code struct msghdr}, {@code struct iovec}, {@code struct cmsghdr} and
 * {@code struct ucred} on 64-bit Linux.
 */
public final class FdPassing {
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    /** {@code bits/socket.h}: the control data did not fit. */
    public static final int MSG_CTRUNC = 0x8;
    /** {@code bits/socket.h}: descriptors received are close-on-exec. */
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // struct cmsghdr: len@0 (size_t) level@8 type@12 data@16; CMSG_SPACE(sizeof(int)) = 24, CMSG_LEN = 20
    private static final long CMSG_HEADER_BYTES = 16;
    private static final long CMSG_SPACE_ONE_FD = 24;
    private static final long CMSG_LEN_ONE_FD = 20;

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
        return sendAll(socket, payload, fd < 0 ? new int[0] : new int[] {fd});
    }

    /**
     * Sends {@code payload} with every descriptor of {@code fds} attached in one {@code SCM_RIGHTS} control message
     * (none attached when {@code fds} is empty); returns the bytes sent.
     */
    public static int sendAll(final int socket, final byte[] payload, final int[] fds) {
        if (payload.length == 0) {
            throw new IllegalArgumentException("a passed descriptor needs at least one byte of payload with it");
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment data = arena.allocate(payload.length);
            MemorySegment.copy(payload, 0, data, ValueLayout.JAVA_BYTE, 0, payload.length);
            final MemorySegment control = arena.allocate(cmsgSpace(fds.length), 8);
            control.set(ValueLayout.JAVA_LONG, 0, CMSG_HEADER_BYTES + (long) Integer.BYTES * fds.length);
            control.set(ValueLayout.JAVA_INT, 8, Syscalls.SOL_SOCKET);
            control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                control.set(ValueLayout.JAVA_INT, CMSG_HEADER_BYTES + (long) Integer.BYTES * i, fds[i]);
            }
            final MemorySegment header = message(arena, data, payload.length,
                fds.length == 0 ? MemorySegment.NULL : control);
            final long sent = Syscalls.syscall(Syscalls.SYS_SENDMSG, socket, header.address(), 0, 0, 0);
            if (sent < 0) {
                throw new LinuxException("sendmsg(SCM_RIGHTS) of descriptor" + (fds.length == 1 ? " " + fds[0]
                    : "s " + java.util.Arrays.toString(fds)) + " on socket " + socket, (int) -sent);
            }
            return (int) sent;
        }
    }

    /** {@code CMSG_SPACE(count * sizeof(int))}: the header and the descriptors, padded to 8 bytes. */
    private static long cmsgSpace(final int count) {
        return CMSG_HEADER_BYTES + ((long) Integer.BYTES * count + 7 & ~7L);
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
            final long received = Syscalls.syscall(Syscalls.SYS_RECVMSG, socket, header.address(), MSG_CMSG_CLOEXEC, 0,
                0);
            if (received < 0) {
                throw new LinuxException("recvmsg on socket " + socket, (int) -received);
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

    /**
     * The native memory of one socket's {@code sendmsg}/{@code recvmsg} with descriptors, allocated once in the
     * owner's arena (a worker channel's every read and descriptor write goes through it): a {@code msghdr}, an
     * {@code iovec} and a control buffer with room for {@link #RECEIVE_FDS_MAX} descriptors. After a
     * {@link #receive}, {@link #descriptorCount()} and {@link #descriptor(int)} say which descriptors arrived (now
     * the caller's, close-on-exec when received with {@code MSG_CMSG_CLOEXEC}), and {@link #controlTruncated()}
     * whether more came than the buffer had room for (those the kernel closed). Single-threaded.
     */
    public static final class Scratch {
        /** Descriptors one receive can take: one read carries at most one frame's descriptor from a correct peer. */
        public static final int RECEIVE_FDS_MAX = 4;

        private final MemorySegment header;
        private final MemorySegment iov;
        private final MemorySegment control;
        /** The errno of the last failed call. */
        private int lastErrno;
        private final int[] received = new int[RECEIVE_FDS_MAX];
        private int receivedCount;
        private boolean truncated;

        public Scratch(final Arena arena) {
            header = arena.allocate(Syscalls.MSGHDR_BYTES, 8);
            iov = arena.allocate(16, 8);
            control = arena.allocate(cmsgSpace(RECEIVE_FDS_MAX), 8);
            header.set(ValueLayout.ADDRESS, 16, iov);
            header.set(ValueLayout.JAVA_LONG, 24, 1);
        }

        /**
         * {@code sendmsg} of {@code length} bytes at {@code data} with {@code fd} attached ({@code SCM_RIGHTS}; the
         * kernel passes it with the first byte sent): bytes sent, or -1 with the errno in {@link #errno()}.
         */
        public long send(final int socket, final MemorySegment data, final long length, final int fd,
            final int flags) {
            iov.set(ValueLayout.ADDRESS, 0, data);
            iov.set(ValueLayout.JAVA_LONG, 8, length);
            control.set(ValueLayout.JAVA_LONG, 0, CMSG_LEN_ONE_FD);
            control.set(ValueLayout.JAVA_INT, 8, Syscalls.SOL_SOCKET);
            control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
            control.set(ValueLayout.JAVA_INT, 16, fd);
            header.set(ValueLayout.ADDRESS, 32, control);
            header.set(ValueLayout.JAVA_LONG, 40, CMSG_SPACE_ONE_FD);
            header.set(ValueLayout.JAVA_INT, 48, 0);
            return result(Syscalls.syscall(Syscalls.SYS_SENDMSG, socket, header.address(), flags, 0, 0));
        }

        /**
         * {@code recvmsg} of up to {@code length} bytes into {@code into}, with room for descriptors: bytes, 0 at
         * EOF, or -1 with the errno in {@link #errno()}. Pass {@link #MSG_CMSG_CLOEXEC} in {@code flags}.
         */
        public long receive(final int socket, final MemorySegment into, final long length, final int flags) {
            iov.set(ValueLayout.ADDRESS, 0, into);
            iov.set(ValueLayout.JAVA_LONG, 8, length);
            header.set(ValueLayout.ADDRESS, 32, control);
            header.set(ValueLayout.JAVA_LONG, 40, control.byteSize());
            header.set(ValueLayout.JAVA_INT, 48, 0);
            receivedCount = 0;
            truncated = false;
            final long got = result(Syscalls.syscall(Syscalls.SYS_RECVMSG, socket, header.address(), flags, 0, 0));
            if (got >= 0) {
                truncated = (header.get(ValueLayout.JAVA_INT, 48) & MSG_CTRUNC) != 0;
                collect(header.get(ValueLayout.JAVA_LONG, 40));
            }
            return got;
        }

        /** Walks the control messages the kernel filled in ({@code CMSG_NXTHDR}) and keeps every descriptor. */
        private void collect(final long controlLength) {
            long at = 0;
            while (at + CMSG_HEADER_BYTES <= controlLength) {
                final long cmsgLength = control.get(ValueLayout.JAVA_LONG, at);
                if (cmsgLength < CMSG_HEADER_BYTES || at + cmsgLength > controlLength) {
                    break;
                }
                if (control.get(ValueLayout.JAVA_INT, at + 8) == Syscalls.SOL_SOCKET
                    && control.get(ValueLayout.JAVA_INT, at + 12) == SCM_RIGHTS) {
                    for (long fd = at + CMSG_HEADER_BYTES; fd + Integer.BYTES <= at + cmsgLength
                        && receivedCount < RECEIVE_FDS_MAX; fd += Integer.BYTES) {
                        received[receivedCount++] = control.get(ValueLayout.JAVA_INT, fd);
                    }
                }
                at += cmsgLength + 7 & ~7L;
            }
        }

        /** -1 with the errno kept for {@link #errno()} when {@code result} is {@code -errno}; else {@code result}. */
        private long result(final long result) {
            if (result < 0) {
                lastErrno = (int) -result;
                return -1;
            }
            return result;
        }

        /** The errno of the last failed call. */
        public int errno() {
            return lastErrno;
        }

        /** How many descriptors the last {@link #receive} took. */
        public int descriptorCount() {
            return receivedCount;
        }

        /** Descriptor {@code index} of the last {@link #receive}. */
        public int descriptor(final int index) {
            if (index < 0 || index >= receivedCount) {
                throw new IndexOutOfBoundsException("descriptor " + index + " of " + receivedCount);
            }
            return received[index];
        }

        /** True when the last {@link #receive} carried more descriptors than the control buffer had room for. */
        public boolean controlTruncated() {
            return truncated;
        }
    }

    /** The credentials of the process at the other end of Unix socket {@code socket}. */
    public static PeerCredentials peerCredentials(final int socket) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ucred = arena.allocate(12, 4);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 12);
            final long result = Syscalls.syscall(Syscalls.SYS_GETSOCKOPT, socket, Syscalls.SOL_SOCKET, SO_PEERCRED,
                ucred.address(), length.address());
            if (result != 0) {
                throw new LinuxException("getsockopt(SO_PEERCRED) on socket " + socket, (int) -result);
            }
            return new PeerCredentials(Integer.toUnsignedLong(ucred.get(ValueLayout.JAVA_INT, 0)),
                ucred.get(ValueLayout.JAVA_INT, 4), ucred.get(ValueLayout.JAVA_INT, 8));
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
