package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A batch of UDP messages sent with one {@code sendmmsg(2)} (Linux 3.0) on a connected socket: {@link #put} copies a
 * payload into a preallocated native slot, {@link #send} hands slots {@code [0, count)} to the kernel. All native
 * memory (the {@code struct mmsghdr} array, one {@code struct iovec} and one slot per message) is allocated once, and
 * the call goes through {@code syscall(2)} with the per-thread errno capture of {@link Syscalls#syscall}, so sending
 * allocates nothing per packet. Layouts from {@code linux/socket.h} / {@code bits/socket.h} ({@code struct msghdr},
 * 56 bytes on 64-bit: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48; {@code struct mmsghdr}
 * adds msg_len@56, 64 bytes) and {@code linux/uio.h} ({@code struct iovec}: base@0 len@8, 16 bytes). Not
 * thread-safe: one sender owns it; {@link #close} frees the memory.
 */
public final class SendBatch implements AutoCloseable {
    /** The most messages one batch holds; {@code UIO_MAXIOV} (1024) is the kernel's limit per call. */
    public static final int MESSAGES_MAX = 1024;

    private static final int MSGHDR_IOV = 16;
    private static final int MSGHDR_IOVLEN = 24;
    private static final int MMSGHDR_BYTES = 64;
    private static final int IOVEC_BYTES = 16;
    private static final int IOVEC_LEN = 8;
    /** {@code bits/socket.h}: MSG_DONTWAIT = 0x40, so a full send buffer is {@code EAGAIN}, never a wait. */
    private static final int MSG_DONTWAIT = 0x40;
    /** {@code arch/x86/entry/syscalls/syscall_64.tbl} (307) and {@code asm-generic/unistd.h} (269, aarch64). */
    private static final long SYS_SENDMMSG = "aarch64".equals(System.getProperty("os.arch")) ? 269 : 307;

    private final Arena arena = Arena.ofShared();
    private final int messagesMax;
    private final int messageBytesMax;
    private final MemorySegment messages;
    private final MemorySegment iovecs;
    private final MemorySegment slots;
    private boolean closed;

    /**
     * @param messagesMax     messages per batch, 1 to {@link #MESSAGES_MAX}
     * @param messageBytesMax the largest payload a slot holds, 1 to 65535
     */
    public SendBatch(final int messagesMax, final int messageBytesMax) {
        if (messagesMax < 1 || messagesMax > MESSAGES_MAX) {
            throw new IllegalArgumentException("a batch holds 1 to " + MESSAGES_MAX + " messages, not " + messagesMax);
        }
        if (messageBytesMax < 1 || messageBytesMax > 65_535) {
            throw new IllegalArgumentException("a message is 1 to 65535 bytes, not " + messageBytesMax);
        }
        this.messagesMax = messagesMax;
        this.messageBytesMax = messageBytesMax;
        messages = arena.allocate((long) messagesMax * MMSGHDR_BYTES, 8);
        iovecs = arena.allocate((long) messagesMax * IOVEC_BYTES, 8);
        slots = arena.allocate((long) messagesMax * messageBytesMax, 8);
        for (int i = 0; i < messagesMax; i++) {
            final long message = (long) i * MMSGHDR_BYTES;
            final long iovec = (long) i * IOVEC_BYTES;
            // No msg_name (the socket is connected), no control data: only the one iovec per message.
            messages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOV, iovecs.address() + iovec);
            messages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOVLEN, 1);
            iovecs.set(ValueLayout.JAVA_LONG, iovec, slots.address() + (long) i * messageBytesMax);
        }
    }

    public int messagesMax() {
        return messagesMax;
    }

    /** Copies {@code length} bytes of {@code source} from {@code offset} into message {@code index}'s slot. */
    public void put(final int index, final byte[] source, final int offset, final int length) {
        if (closed) {
            throw new IllegalStateException("the batch is closed");
        }
        if (index < 0 || index >= messagesMax || length < 0 || length > messageBytesMax) {
            throw new IndexOutOfBoundsException("message " + index + " of " + length + " bytes does not fit a batch of "
                + messagesMax + " slots of " + messageBytesMax + " bytes");
        }
        MemorySegment.copy(source, offset, slots, ValueLayout.JAVA_BYTE, (long) index * messageBytesMax, length);
        iovecs.set(ValueLayout.JAVA_LONG, (long) index * IOVEC_BYTES + IOVEC_LEN, length);
    }

    /**
     * One {@code sendmmsg(fd, messages, count, MSG_DONTWAIT)} of messages {@code [0, count)} as last {@link #put}.
     *
     * @return how many messages the kernel took (from the first, in order; fewer than {@code count} when one failed,
     *     whose error the next call reports), or {@code -errno} when it took none ({@code -EAGAIN} when the socket's
     *     send buffer is full, {@code -ENOBUFS} when a device queue was)
     */
    public int send(final int fd, final int count) {
        if (closed) {
            throw new IllegalStateException("the batch is closed");
        }
        if (count < 1 || count > messagesMax) {
            throw new IllegalArgumentException("send 1 to " + messagesMax + " messages, not " + count);
        }
        return (int) Syscalls.syscall(SYS_SENDMMSG, fd, messages.address(), count, MSG_DONTWAIT, 0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
