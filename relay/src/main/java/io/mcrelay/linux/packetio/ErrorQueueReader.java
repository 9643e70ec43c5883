package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import io.mcrelay.linux.sys.Syscalls;

/**
 * Reads the reports an egress socket with {@code IP_RECVERR} keeps on its error queue ({@code ip(7)}): one
 * {@code recvmsg(fd, MSG_ERRQUEUE | MSG_DONTWAIT)} per report, into a message header and control buffer allocated
 * once, and the errno of its {@code struct sock_extended_err} ({@code linux/errqueue.h}: {@code ee_errno} first), found
 * in the control message of level {@code SOL_IP} and type {@code IP_RECVERR}. A report carries the start of the packet
 * that met the error; with no data buffer given, the kernel only flags it truncated. The message's name is the
 * address and port that packet was sent to ({@link #address}, {@link #port}): on a socket shared by many destinations,
 * the one the report is for. Nothing allocates.
 *
 * <p>Layouts: {@code struct msghdr} (name at 0, its length at 8, iov at 16, iov count at 24, control at 32, its length
 * at 40, flags at 48) from {@code bits/socket.h}; {@code struct cmsghdr} (length, a {@code size_t}, at 0, level at 8,
 * type at 12, data at 16, each message aligned to 8) on 64-bit Linux. Single-threaded.
 */
final class ErrorQueueReader {
    /** What {@link #next} returns when the queue is empty (or cannot be read). */
    static final int EMPTY = -1;

    /** {@code bits/socket.h}. */
    static final int MSG_ERRQUEUE = 0x2000;
    static final int SOL_IP = 0;
    static final int IP_RECVERR = 11;
    /** {@code asm-generic/socket.h}: read and clear the socket's pending error. */
    static final int SO_ERROR = 4;
    private static final long MSGHDR_BYTES = 56;
    private static final long MSGHDR_NAMELEN = 8;
    private static final int SOCKADDR_IN_BYTES = 16;
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long MSGHDR_CONTROL = 32;
    private static final long MSGHDR_CONTROLLEN = 40;
    private static final long MSGHDR_FLAGS = 48;
    private static final long CMSGHDR_BYTES = 16;
    /** Room for the one control message a report carries: the header, the extended error and the offender's address. */
    private static final int CONTROL_BYTES = 128;
    /*
     * Through syscall(2) (Syscalls.syscall, -errno on failure), as the epoll backend's data path: a libc downcall
     * with its own errno capture allocates where the JIT does not inline it. Numbers from
     * arch/x86/entry/syscalls/syscall_64.tbl and asm-generic/unistd.h (aarch64).
     */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_RECVMSG = AARCH64 ? 212 : 47;
    private static final long SYS_GETSOCKOPT = AARCH64 ? 209 : 55;

    private final MemorySegment message;
    private final MemorySegment name;
    private final MemorySegment control;
    private final MemorySegment error;
    private final MemorySegment errorLength;

    ErrorQueueReader(final Arena arena) {
        message = arena.allocate(MSGHDR_BYTES, 8);
        name = arena.allocate(SOCKADDR_IN_BYTES, 8);
        control = arena.allocate(CONTROL_BYTES, 8);
        error = arena.allocate(ValueLayout.JAVA_INT);
        errorLength = arena.allocate(ValueLayout.JAVA_INT);
        message.set(ValueLayout.JAVA_LONG, 0, name.address()); // a name and control data, no data buffer
        message.set(ValueLayout.JAVA_LONG, MSGHDR_CONTROL, control.address());
    }

    /**
     * Takes the oldest report off {@code fd}'s error queue: its errno (positive), 0 for a message that carries no
     * extended error (none is expected), or {@link #EMPTY} when the queue is empty ({@code EAGAIN}) or the call
     * failed otherwise. One system call.
     */
    int next(final int fd) {
        message.set(ValueLayout.JAVA_LONG, MSGHDR_CONTROLLEN, CONTROL_BYTES); // the kernel writes back what it used
        message.set(ValueLayout.JAVA_INT, MSGHDR_NAMELEN, SOCKADDR_IN_BYTES);
        name.fill((byte) 0);
        message.set(ValueLayout.JAVA_INT, MSGHDR_FLAGS, 0);
        final long result = Syscalls.syscall(SYS_RECVMSG, fd, message.address(), MSG_ERRQUEUE | Syscalls.MSG_DONTWAIT,
            0, 0);
        if (result < 0) {
            return EMPTY;
        }
        final long used = Math.min(CONTROL_BYTES, message.get(ValueLayout.JAVA_LONG, MSGHDR_CONTROLLEN));
        long at = 0;
        while (at + CMSGHDR_BYTES <= used) {
            final long length = control.get(ValueLayout.JAVA_LONG, at);
            if (length < CMSGHDR_BYTES || at + length > used) {
                break;
            }
            if (control.get(ValueLayout.JAVA_INT, at + 8) == SOL_IP
                && control.get(ValueLayout.JAVA_INT, at + 12) == IP_RECVERR && length >= CMSGHDR_BYTES + 4) {
                return control.get(ValueLayout.JAVA_INT, at + CMSGHDR_BYTES);
            }
            at += (length + 7) & ~7L;
        }
        return 0;
    }

    /** The IPv4 address the packet of the last report taken by {@link #next} was sent to (0 if it named none). */
    int address() {
        return name.get(NET_INT, 4);
    }

    /** The UDP port the packet of the last report taken by {@link #next} was sent to (0 if it named none). */
    int port() {
        return name.get(NET_SHORT, 2) & 0xFFFF;
    }

    /**
     * Reads and clears the socket's pending error ({@code getsockopt(SO_ERROR)}): 0 when none. Readiness for an error
     * with an empty queue means one is pending whose report the queue could not hold (it is charged to the receive
     * buffer); left set, it would keep the socket ready forever.
     */
    int takePendingError(final int fd) {
        errorLength.set(ValueLayout.JAVA_INT, 0, Integer.BYTES);
        final long result = Syscalls.syscall(SYS_GETSOCKOPT, fd, Syscalls.SOL_SOCKET, SO_ERROR, error.address(),
            errorLength.address());
        return result == 0 ? error.get(ValueLayout.JAVA_INT, 0) : 0;
    }
}
