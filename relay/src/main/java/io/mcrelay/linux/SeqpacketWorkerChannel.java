package io.mcrelay.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.WorkerChannel;

/**
 * The production {@link WorkerChannel}: a connected {@code AF_UNIX} {@code SOCK_SEQPACKET} socket, one message per
 * frame. The socket keeps message boundaries, so no length prefix is needed and a frame is never split or merged.
 *
 * <p>Non-blocking: every call passes {@code MSG_DONTWAIT}. The bound on frames in flight is the sender's
 * {@code SO_SNDBUF} (a connected Unix datagram peer is not limited by {@code net.unix.max_dgram_qlen}): when it is
 * used up, {@code send} gets {@code EAGAIN} and returns {@link SendResult#FULL} with nothing queued ({@code ENOBUFS},
 * the kernel failing to allocate a large message for now, is {@code FULL} too). A frame must
 * also fit in the send buffer ({@code EMSGSIZE} otherwise), so {@link #maxFrameBytes()} is the smaller of the
 * requested maximum and what the socket's send buffer carries. A zero-length frame is refused (a zero-length read is
 * how the peer's close shows). {@code SO_SNDBUFFORCE} is tried first (a root supervisor gets the buffer it asks for),
 * then {@code SO_SNDBUF} (capped by {@code net.core.wmem_max}). One message is one kernel allocation: on Linux 6.x
 * about 4 MiB is the largest that goes through (8 MiB fails with {@code ENOBUFS}), so keep frames well below that.
 *
 * <p>Not thread-safe: one thread drives an end. Frames are copied into and out of native buffers owned by this end;
 * nothing is allocated per frame.
 */
public final class SeqpacketWorkerChannel implements WorkerChannel {
    /** {@code asm-generic/socket.h}: SO_SNDBUF = 7, SO_SNDBUFFORCE = 32. */
    static final int SO_SNDBUF = 7;
    static final int SO_SNDBUFFORCE = 32;
    /** {@code bits/socket.h}: MSG_PEEK = 0x2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000. */
    static final int MSG_PEEK = 0x2;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_NOSIGNAL = 0x4000;
    /** Room the kernel keeps in the send buffer besides the message ({@code af_unix.c}: len > sk_sndbuf - 32). */
    static final int SEND_BUFFER_OVERHEAD_BYTES = 32;

    private static final MethodHandle SEND = Syscalls.downcall("send",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = Syscalls.downcall("recv",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT));

    private final int fd;
    private final int maxSendBytes;
    private final int maxReceiveBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture;
    private final MemorySegment txSegment;
    private final MemorySegment rxSegment;
    private final UnsafeBuffer txView;
    private final UnsafeBuffer rxView;
    private boolean closed;
    private boolean peerClosed;
    private long protocolErrors;

    /**
     * Takes ownership of the connected {@code SOCK_SEQPACKET} socket {@code fd}: sets its send buffer to about
     * {@code capacityBytes} and accepts frames of up to {@code maxFrameBytes} from the peer.
     */
    public SeqpacketWorkerChannel(final int fd, final int capacityBytes, final int maxFrameBytes) {
        if (capacityBytes <= 0 || maxFrameBytes <= 0) {
            throw new IllegalArgumentException("capacity and max frame size must be positive: " + capacityBytes
                + ", " + maxFrameBytes);
        }
        this.fd = fd;
        final int sendBufferBytes = setSendBuffer(fd, Math.max(capacityBytes, 1));
        this.maxSendBytes = Math.min(maxFrameBytes, sendBufferBytes - SEND_BUFFER_OVERHEAD_BYTES);
        this.maxReceiveBytes = maxFrameBytes;
        this.capture = arena.allocate(Syscalls.CAPTURE);
        this.txSegment = arena.allocate(maxSendBytes, 8);
        this.rxSegment = arena.allocate(maxReceiveBytes, 8);
        this.txView = new UnsafeBuffer(txSegment.address(), maxSendBytes);
        this.rxView = new UnsafeBuffer(rxSegment.address(), maxReceiveBytes);
    }

    /** Two connected ends over {@code socketpair(AF_UNIX, SOCK_SEQPACKET)}: for tests and in-process use. */
    public static SeqpacketWorkerChannel[] pair(final int capacityBytes, final int maxFrameBytes) {
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_SEQPACKET);
        return new SeqpacketWorkerChannel[] {
            new SeqpacketWorkerChannel(fds[0], capacityBytes, maxFrameBytes),
            new SeqpacketWorkerChannel(fds[1], capacityBytes, maxFrameBytes)};
    }

    /** Sets the send buffer (forced when permitted) and returns what the kernel granted (it doubles the request). */
    private static int setSendBuffer(final int fd, final int bytes) {
        try (Arena scratch = Arena.ofConfined()) {
            final MemorySegment value = scratch.allocate(ValueLayout.JAVA_INT);
            value.set(ValueLayout.JAVA_INT, 0, bytes);
            try {
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_SNDBUFFORCE, value,
                    "setsockopt(SO_SNDBUFFORCE) on socket " + fd);
            } catch (final LinuxException e) {
                if (e.errno() != Errno.EPERM) {
                    throw e;
                }
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_SNDBUF, value, "setsockopt(SO_SNDBUF) on socket " + fd);
            }
        }
        return Syscalls.getsockoptInt(fd, Syscalls.SOL_SOCKET, SO_SNDBUF, "getsockopt(SO_SNDBUF) on socket " + fd);
    }

    /** The socket; owned by this channel (for polling its readiness, and for the handshake before it is used). */
    public int fd() {
        return fd;
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        if (length <= 0 || length > maxSendBytes) {
            throw new IllegalArgumentException("a frame is 1.." + maxSendBytes + " bytes, not " + length);
        }
        if (closed || peerClosed) {
            return SendResult.CLOSED;
        }
        txView.putBytes(0, buffer, offset, length);
        final long sent;
        try {
            sent = (long) SEND.invokeExact(capture, fd, txSegment, (long) length,
                Syscalls.MSG_DONTWAIT | MSG_NOSIGNAL);
        } catch (final Throwable t) {
            throw new IllegalStateException("send could not be called", t);
        }
        if (sent == length) {
            return SendResult.SENT;
        }
        if (sent >= 0) {
            throw new IllegalStateException("send on a SOCK_SEQPACKET socket took " + sent + " of " + length
                + " bytes");
        }
        final int errno = Syscalls.errno(capture);
        return switch (errno) {
            case Errno.EAGAIN, Errno.ENOBUFS -> SendResult.FULL;
            case Errno.EPIPE, Errno.ECONNRESET, Errno.ENOTCONN, Errno.ECONNREFUSED -> {
                peerClosed = true;
                yield SendResult.CLOSED;
            }
            default -> throw new LinuxException("send of a " + length + "-byte frame on worker channel " + fd, errno);
        };
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        int delivered = 0;
        while (delivered < limit && !closed && !peerClosed) {
            final long received;
            try {
                received = (long) RECV.invokeExact(capture, fd, rxSegment, (long) maxReceiveBytes,
                    Syscalls.MSG_DONTWAIT | MSG_TRUNC);
            } catch (final Throwable t) {
                throw new IllegalStateException("recv could not be called", t);
            }
            if (received > maxReceiveBytes) {
                // MSG_TRUNC reports the real length: the peer broke the frame limit; the channel cannot go on.
                protocolErrors++;
                peerClosed = true;
                break;
            }
            if (received > 0) {
                delivered++;
                handler.onFrame(rxView, 0, (int) received);
            } else if (received == 0) {
                peerClosed = true; // EOF: the peer closed and everything it sent before was read
            } else {
                final int errno = Syscalls.errno(capture);
                if (errno == Errno.EAGAIN) {
                    break;
                }
                if (errno == Errno.ECONNRESET || errno == Errno.ENOTCONN) {
                    peerClosed = true;
                } else {
                    throw new LinuxException("recv on worker channel " + fd, errno);
                }
            }
        }
        return delivered;
    }

    @Override
    public boolean isClosed() {
        if (closed || peerClosed) {
            return true;
        }
        // Peek: 0 with nothing queued means the peer closed; a waiting frame stays for poll.
        final long peeked;
        try {
            peeked = (long) RECV.invokeExact(capture, fd, rxSegment, 1L, Syscalls.MSG_DONTWAIT | MSG_PEEK);
        } catch (final Throwable t) {
            throw new IllegalStateException("recv could not be called", t);
        }
        if (peeked == 0 || (peeked < 0 && Syscalls.errno(capture) == Errno.ECONNRESET)) {
            peerClosed = true;
        }
        return peerClosed;
    }

    @Override
    public int maxFrameBytes() {
        return maxSendBytes;
    }

    /** Frames that broke the size limit (each ends the channel). */
    public long protocolErrors() {
        return protocolErrors;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.close(fd);
            arena.close();
        }
    }
}
