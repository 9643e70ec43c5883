package io.mcrelay.linux.process;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.WorkerChannel;

/**
 * A {@link WorkerChannel} over a connected {@code AF_UNIX} {@code SOCK_STREAM} socket, with the length-prefixed
 * frames of {@link Frames}: unlike one {@code SOCK_SEQPACKET} message per frame, which the kernel must allocate in one
 * piece (a few MiB at most), a stream carries frames up to {@link Frames#WORKER_BYTES_MAX} — a {@code Sync} of the
 * largest table, or the heartbeat of a worker holding it.
 *
 * <p>Sending copies the frame into this end's buffer of {@code capacityBytes} and writes what the socket takes
 * ({@code MSG_DONTWAIT}); what it does not take yet is written on the next {@link #send} or {@link #poll} (the owner
 * polls its channel every duty cycle, as the supervisor and the worker do). When the
 * buffer cannot hold the whole frame, {@code send} returns {@link SendResult#FULL} with nothing queued. A frame
 * larger than the whole buffer is taken when the buffer is empty, in a buffer of its own (such frames are rare: a
 * large table's {@code Sync}). Receiving reads what is there and reassembles frames with a {@link FrameDecoder}; a
 * frame length of 0 or over the limit ends the channel ({@link #protocolErrors()}), as does EOF in the middle of a
 * frame. Bytes still unsent when this end closes are lost (a closing supervisor or worker has nothing more to say).
 *
 * <p>Not thread-safe: one thread drives an end. The control path allocates a payload array per received frame;
 * this channel is not on the packet path.
 */
public final class StreamWorkerChannel implements WorkerChannel {
    /** {@code bits/socket.h}: MSG_PEEK = 0x2, MSG_NOSIGNAL = 0x4000. */
    private static final int MSG_PEEK = 0x2;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int READ_CHUNK_BYTES = 64 * 1024;
    private static final ValueLayout.OfInt BIG_ENDIAN_INT =
        ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private final int fd;
    private final int capacityBytes;
    private int frameBytesMax;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture;
    private final MemorySegment tx;
    private final MemorySegment rx;
    private final byte[] rxBytes = new byte[READ_CHUNK_BYTES];
    private FrameDecoder decoder;
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();
    private final UnsafeBuffer lent = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer outgoing = new UnsafeBuffer(new byte[0]);
    private int txHead;
    private int txTail;
    private Arena largeArena;
    private MemorySegment large;
    private long largeSent;
    private boolean closed;
    private boolean peerClosed;
    private long protocolErrors;

    /**
     * Takes ownership of the connected {@code SOCK_STREAM} socket {@code fd}: buffers up to {@code capacityBytes}
     * of frames not yet written, and carries frames of up to {@code frameBytesMax} (at most
     * {@link Frames#WORKER_BYTES_MAX}) each way.
     */
    public StreamWorkerChannel(final int fd, final int capacityBytes, final int frameBytesMax) {
        if (capacityBytes <= Frames.HEADER_BYTES || frameBytesMax <= 0 || frameBytesMax > Frames.WORKER_BYTES_MAX) {
            throw new IllegalArgumentException("capacity must exceed " + Frames.HEADER_BYTES + " bytes and the"
                + " largest frame be 1.." + Frames.WORKER_BYTES_MAX + ", not " + capacityBytes + ", " + frameBytesMax);
        }
        this.fd = fd;
        this.capacityBytes = capacityBytes;
        this.frameBytesMax = frameBytesMax;
        this.capture = arena.allocate(Syscalls.CAPTURE);
        this.tx = arena.allocate(capacityBytes, 8);
        this.rx = arena.allocate(READ_CHUNK_BYTES, 8);
        this.decoder = new FrameDecoder(frameBytesMax);
    }

    /** Two connected ends over {@code socketpair(AF_UNIX, SOCK_STREAM)}: for tests and in-process use. */
    public static StreamWorkerChannel[] pair(final int capacityBytes, final int frameBytesMax) {
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        return new StreamWorkerChannel[] {
            new StreamWorkerChannel(fds[0], capacityBytes, frameBytesMax),
            new StreamWorkerChannel(fds[1], capacityBytes, frameBytesMax)};
    }

    /**
     * Raises the largest frame this end accepts (and sends) to {@code newMaxFrameBytes}: a supervisor reads an
     * unproven connection with a small limit, so that a stranger's length prefix cannot make it buffer 64 MiB, and
     * raises it once the worker proved itself. Only between frames.
     */
    public void raiseMaxFrameBytes(final int newMaxFrameBytes) {
        if (newMaxFrameBytes < frameBytesMax || newMaxFrameBytes > Frames.WORKER_BYTES_MAX) {
            throw new IllegalArgumentException("the frame limit can only rise, up to " + Frames.WORKER_BYTES_MAX
                + ": " + frameBytesMax + " -> " + newMaxFrameBytes);
        }
        if (decoder.isMidFrame() || !received.isEmpty()) {
            throw new IllegalStateException("the frame limit changes between frames only");
        }
        frameBytesMax = newMaxFrameBytes;
        decoder = new FrameDecoder(newMaxFrameBytes);
    }

    /** The socket; owned by this channel (for polling its readiness). */
    public int fd() {
        return fd;
    }

    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
        if (length <= 0 || length > frameBytesMax) {
            throw new IllegalArgumentException("a frame is 1.." + frameBytesMax + " bytes, not " + length);
        }
        if (closed || peerClosed) {
            return SendResult.CLOSED;
        }
        flush();
        if (peerClosed) {
            return SendResult.CLOSED;
        }
        final int need = Frames.HEADER_BYTES + length;
        if (large != null) {
            return SendResult.FULL;
        }
        if (txHead == txTail) {
            txHead = 0;
            txTail = 0;
        }
        if (need > capacityBytes - txTail && txHead > 0) {
            MemorySegment.copy(tx, txHead, tx, 0, txTail - txHead); // compact: the unsent bytes to the front
            txTail -= txHead;
            txHead = 0;
        }
        if (need <= capacityBytes - txTail) {
            put(tx, txTail, buffer, offset, length);
            txTail += need;
        } else if (txHead == txTail && need > capacityBytes) {
            largeArena = Arena.ofConfined();
            large = largeArena.allocate(need, 8);
            largeSent = 0;
            put(large, 0, buffer, offset, length);
        } else {
            return SendResult.FULL;
        }
        flush();
        return SendResult.SENT;
    }

    /** Writes the length prefix (big-endian) and the payload at {@code at}. */
    private void put(final MemorySegment into, final long at, final DirectBuffer buffer, final int offset,
        final int length) {
        into.set(BIG_ENDIAN_INT, at, length);
        outgoing.wrap(into.address() + at + Frames.HEADER_BYTES, length);
        outgoing.putBytes(0, buffer, offset, length);
    }

    /** Writes what the socket takes of the unsent bytes. */
    private void flush() {
        while (!peerClosed && txHead < txTail) {
            final long sent = write(tx.asSlice(txHead), txTail - txHead);
            if (sent <= 0) {
                return;
            }
            txHead += (int) sent;
        }
        while (!peerClosed && large != null) {
            final long sent = write(large.asSlice(largeSent), large.byteSize() - largeSent);
            if (sent <= 0) {
                return;
            }
            largeSent += sent;
            if (largeSent == large.byteSize()) {
                large = null;
                largeArena.close();
                largeArena = null;
            }
        }
    }

    /** One non-blocking send: bytes written, 0 when the socket is full, -1 when the peer is gone. */
    private long write(final MemorySegment from, final long length) {
        final long sent = Syscalls.send(capture, fd, from, length, Syscalls.MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent >= 0) {
            return sent;
        }
        final int errno = Syscalls.errno(capture);
        return switch (errno) {
            case Errno.EAGAIN, Errno.ENOBUFS -> 0;
            case Errno.EPIPE, Errno.ECONNRESET, Errno.ENOTCONN -> {
                peerClosed = true;
                yield -1;
            }
            default -> throw new LinuxException("send on worker channel " + fd, errno);
        };
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        flush();
        int delivered = 0;
        while (delivered < limit) {
            final byte[] frame = received.pollFirst();
            if (frame != null) {
                lent.wrap(frame);
                handler.onFrame(lent, 0, frame.length);
                delivered++;
            } else if (peerClosed || !read()) {
                break;
            }
        }
        return delivered;
    }

    /** Reads one chunk and decodes the frames it completes; false when there was nothing to read. */
    private boolean read() {
        final long got = Syscalls.recv(capture, fd, rx, READ_CHUNK_BYTES, Syscalls.MSG_DONTWAIT);
        if (got > 0) {
            MemorySegment.copy(rx, ValueLayout.JAVA_BYTE, 0, rxBytes, 0, (int) got);
            try {
                decoder.feed(rxBytes, 0, (int) got, received::addLast);
            } catch (final CodecException e) {
                protocolErrors++; // a bad length: the stream cannot be trusted any further
                peerClosed = true;
            }
            return true;
        }
        if (got == 0) {
            peerClosed = true; // EOF
            if (decoder.isMidFrame()) {
                protocolErrors++; // the peer was cut off in the middle of a frame
            }
            return false;
        }
        final int errno = Syscalls.errno(capture);
        if (errno == Errno.EAGAIN) {
            return false;
        }
        if (errno == Errno.ECONNRESET || errno == Errno.ENOTCONN) {
            peerClosed = true;
            return false;
        }
        throw new LinuxException("recv on worker channel " + fd, errno);
    }

    @Override
    public boolean isClosed() {
        if (closed) {
            return true;
        }
        if (!peerClosed && received.isEmpty()) {
            // Peek: 0 with nothing queued means the peer closed; waiting bytes stay for poll.
            final long peeked = Syscalls.recv(capture, fd, rx, 1L, Syscalls.MSG_DONTWAIT | MSG_PEEK);
            if (peeked == 0 || (peeked < 0 && Syscalls.errno(capture) == Errno.ECONNRESET)) {
                peerClosed = true;
            }
        }
        return peerClosed && received.isEmpty();
    }

    @Override
    public int frameBytesMax() {
        return frameBytesMax;
    }

    /** Frames with a bad length, or cut off by EOF (each ends the channel). */
    public long protocolErrors() {
        return protocolErrors;
    }

    @Override
    public void close() {
        if (!closed) {
            flush(); // what the socket takes now; the rest is lost with this end
            closed = true;
            Syscalls.close(fd);
            if (largeArena != null) {
                largeArena.close();
            }
            arena.close();
        }
    }
}
