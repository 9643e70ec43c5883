package io.mcrelay.linux.process;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.DescriptorHandoff;

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
 * frame length of 0 or over the limit ends the channel ({@link #protocolError()}), as does EOF in the middle of a
 * frame. Bytes still unsent when this end closes are lost (a closing supervisor or worker has nothing more to say).
 *
 * <p>Descriptors ({@link OwnedFd} only): a frame that carries one has {@link Frames#DESCRIPTOR_FLAG} in its length
 * prefix. Queued, it holds a duplicate of the sender's descriptor; the bytes before it are written first, then its
 * first byte goes in a {@code sendmsg} with the descriptor attached ({@code SCM_RIGHTS}), which the kernel passes with
 * that byte; the rest of the frame follows as plain bytes. Every read is a {@code recvmsg} with room for a few
 * descriptors ({@code MSG_CMSG_CLOEXEC}). A read that returns descriptors ends with the message that carried them
 * (the kernel stops there), so each descriptor belongs to a flagged frame whose first byte is in the same read, in
 * order: a flagged frame with no descriptor left in its read, a descriptor left over once the read is decoded, or
 * control data cut short ({@code MSG_CTRUNC}) ends the channel with the {@link ProtocolError} naming it. Every
 * descriptor the channel holds (queued to send, received and not yet delivered or taken) is closed on
 * {@link #close()}.
 *
 * <p>Not thread-safe: one thread drives an end. The control path allocates a payload array per received frame;
 * this channel is not on the packet path.
 */
public final class StreamWorkerChannel implements WorkerChannel {
    /** Why this end stopped reading its peer: each ends the channel. */
    public enum ProtocolError {
        /** A length prefix of 0 or over the limit. */
        BAD_LENGTH("a frame length of 0 or over the limit"),
        /** EOF in the middle of a frame. */
        CUT_OFF("the peer closed in the middle of a frame"),
        /** {@code MSG_CTRUNC}: more descriptors in one read than the control buffer holds. */
        CONTROL_TRUNCATED("control data truncated (MSG_CTRUNC): more descriptors in one read than frames carry"),
        /** A flagged frame whose descriptor did not come with its first byte. */
        DESCRIPTOR_MISSING("frame announced a descriptor that did not arrive"),
        /** A descriptor with no flagged frame starting in its read. */
        DESCRIPTOR_UNANNOUNCED("a descriptor arrived without a frame announcing it");

        private final String message;

        ProtocolError(final String message) {
            this.message = message;
        }

        /** What went wrong, in words. */
        public String message() {
            return message;
        }
    }

    /** A whole received frame and the descriptor that came with it, or {@code null}. */
    private record Incoming(byte[] payload, OwnedFd descriptor) {
    }

    /** A queued frame's descriptor (a duplicate): it goes with the byte at {@code start}, up to {@code end}. */
    private record Outgoing(long start, long end, OwnedFd descriptor) {
    }

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
    private final FdPassing.Scratch messages;
    private final MemorySegment tx;
    private final MemorySegment rx;
    private final byte[] rxBytes = new byte[READ_CHUNK_BYTES];
    private FrameDecoder decoder;
    private final FrameDecoder.FlaggedFrameHandler frames = new Reassembly();
    private final ArrayDeque<Incoming> received = new ArrayDeque<>();
    private final ArrayDeque<OwnedFd> arrived = new ArrayDeque<>();
    private final ArrayDeque<OwnedFd> announced = new ArrayDeque<>();
    private final ArrayDeque<Outgoing> outgoing = new ArrayDeque<>();
    private final UnsafeBuffer lent = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer payloadView = new UnsafeBuffer(new byte[0]);
    private int txHead;
    private int txTail;
    /** Stream offsets: bytes ever queued, and ever written (the next byte to write is at {@code txWritten}). */
    private long txQueued;
    private long txWritten;
    private Arena largeArena;
    private MemorySegment large;
    private long largeSent;
    private boolean closed;
    private boolean peerClosed;
    /**
     * The last read found the stream empty and open ({@code EAGAIN}) and no {@link #isClosed} has asked since: that
     * one answers from it instead of peeking, so that a loop that polls and then asks each turn (a worker's duty
     * cycle) makes one system call a turn for the channel, not two. An EOF is then seen by the next poll.
     */
    private boolean emptyAndOpenAtLastRead;
    private final DescriptorHandoff<OwnedFd> handoff = new DescriptorHandoff<>();
    private long protocolErrors;
    private ProtocolError protocolError;

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
        this.messages = new FdPassing.Scratch(arena);
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
        return offer(buffer, offset, length, null);
    }

    /** As the seam says; {@code descriptor} must be an open {@link OwnedFd}, which stays the caller's. */
    @Override
    public SendResult send(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        if (!(descriptor instanceof OwnedFd owned) || !owned.isOpen()) {
            throw new IllegalArgumentException("a socket channel passes an open OwnedFd, not " + descriptor);
        }
        return offer(buffer, offset, length, owned);
    }

    private SendResult offer(final DirectBuffer buffer, final int offset, final int length, final OwnedFd descriptor) {
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
        final boolean fits = need <= capacityBytes - txTail;
        if (!fits && !(txHead == txTail && need > capacityBytes)) {
            return SendResult.FULL;
        }
        final Arena ownArena = fits ? null : Arena.ofConfined();
        final OwnedFd copy;
        try {
            if (fits) {
                put(tx, txTail, buffer, offset, length, descriptor != null);
            } else {
                large = ownArena.allocate(need, 8);
                put(large, 0, buffer, offset, length, descriptor != null);
            }
            copy = descriptor == null ? null : descriptor.duplicate(); // the caller's stays the caller's
        } catch (final RuntimeException e) {
            if (ownArena != null) {
                large = null; // nothing of the frame stays queued
                ownArena.close();
            }
            throw e;
        }
        if (copy != null) {
            outgoing.addLast(new Outgoing(txQueued, txQueued + need, copy));
        }
        if (fits) {
            txTail += need;
        } else {
            largeArena = ownArena;
            largeSent = 0;
        }
        txQueued += need;
        flush();
        return SendResult.SENT;
    }

    /** Writes the length prefix (big-endian, flagged when a descriptor goes with it) and the payload at {@code at}. */
    private void put(final MemorySegment into, final long at, final DirectBuffer buffer, final int offset,
        final int length, final boolean carriesDescriptor) {
        into.set(BIG_ENDIAN_INT, at, carriesDescriptor ? length | Frames.DESCRIPTOR_FLAG : length);
        payloadView.wrap(into.address() + at + Frames.HEADER_BYTES, length);
        payloadView.putBytes(0, buffer, offset, length);
    }

    /** True while queued bytes wait for room in the socket: a loop sleeping in {@code poll(2)} must come back soon. */
    public boolean hasUnsent() {
        return !closed && !peerClosed && txWritten < txQueued;
    }

    /**
     * Writes what the socket takes of the unsent bytes, in stream order: up to the next frame that carries a
     * descriptor with plain sends, then that frame with a {@code sendmsg} carrying its descriptor.
     */
    private void flush() {
        while (!peerClosed) {
            final MemorySegment from;
            final long unsent;
            if (txHead < txTail) {
                from = tx.asSlice(txHead);
                unsent = txTail - txHead;
            } else if (large != null) {
                from = large.asSlice(largeSent);
                unsent = large.byteSize() - largeSent;
            } else {
                return;
            }
            final Outgoing next = outgoing.peekFirst();
            final long sent;
            if (next != null && next.start() == txWritten) {
                sent = write(from, Math.min(unsent, next.end() - txWritten), next.descriptor().fd());
                if (sent > 0) {
                    outgoing.pollFirst();
                    next.descriptor().close(); // the kernel passes its own reference with the first byte
                }
            } else {
                assert next == null || next.start() > txWritten : "a descriptor's first byte was written without it";
                sent = write(from, next == null ? unsent : Math.min(unsent, next.start() - txWritten), -1);
            }
            if (sent <= 0) {
                return;
            }
            txWritten += sent;
            if (txHead < txTail) {
                txHead += (int) sent;
            } else {
                largeSent += sent;
                if (largeSent == large.byteSize()) {
                    large = null;
                    largeArena.close();
                    largeArena = null;
                }
            }
        }
    }

    /**
     * One non-blocking send, with {@code descriptor} attached unless negative: bytes written, 0 when the socket is
     * full, -1 when the peer is gone.
     */
    private long write(final MemorySegment from, final long length, final int descriptor) {
        final long sent = descriptor < 0
            ? Syscalls.send(capture, fd, from, length, Syscalls.MSG_DONTWAIT | MSG_NOSIGNAL)
            : messages.send(fd, from, length, descriptor, Syscalls.MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent >= 0) {
            return sent;
        }
        final int errno = descriptor < 0 ? Syscalls.errno(capture) : messages.errno();
        return switch (errno) {
            case Errno.EAGAIN, Errno.ENOBUFS -> 0;
            case Errno.EPIPE, Errno.ECONNRESET, Errno.ENOTCONN -> {
                peerGone();
                yield -1;
            }
            default -> throw new LinuxException((descriptor < 0 ? "send" : "sendmsg(SCM_RIGHTS)")
                + " on worker channel " + fd, errno);
        };
    }

    @Override
    public int poll(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        flush();
        int delivered = 0;
        while (delivered < limit && !closed) {
            final Incoming frame = received.pollFirst();
            if (frame != null) {
                lent.wrap(frame.payload());
                handoff.deliver(handler, lent, 0, frame.payload().length, frame.descriptor());
                delivered++;
            } else if (peerClosed || !read()) {
                break;
            }
        }
        return delivered;
    }

    @Override
    public PassedDescriptor takeDescriptor() {
        return handoff.take();
    }

    /** Reads one chunk (and the descriptors with it) and decodes the frames it completes; false when nothing came. */
    private boolean read() {
        emptyAndOpenAtLastRead = false;
        final long got = messages.receive(fd, rx, READ_CHUNK_BYTES,
            Syscalls.MSG_DONTWAIT | FdPassing.MSG_CMSG_CLOEXEC);
        for (int i = 0; i < messages.descriptorCount(); i++) {
            arrived.addLast(new OwnedFd(messages.descriptor(i))); // ours to close from here on, whatever follows
        }
        if (got >= 0 && messages.controlTruncated()) {
            fail(ProtocolError.CONTROL_TRUNCATED);
            return got > 0;
        }
        if (got > 0) {
            MemorySegment.copy(rx, ValueLayout.JAVA_BYTE, 0, rxBytes, 0, (int) got);
            try {
                decoder.feedFlagged(rxBytes, 0, (int) got, frames);
            } catch (final CodecException e) {
                fail(ProtocolError.BAD_LENGTH); // unless the reassembly named the error first
                return true;
            }
            if (!arrived.isEmpty()) {
                fail(ProtocolError.DESCRIPTOR_UNANNOUNCED);
            }
            return true;
        }
        if (got == 0) {
            if (!arrived.isEmpty()) {
                fail(ProtocolError.DESCRIPTOR_UNANNOUNCED);
            } else if (decoder.isMidFrame()) {
                fail(ProtocolError.CUT_OFF);
            }
            peerGone(); // EOF
            return false;
        }
        final int errno = messages.errno();
        if (errno == Errno.EAGAIN) {
            emptyAndOpenAtLastRead = true;
            return false;
        }
        if (errno == Errno.ECONNRESET || errno == Errno.ENOTCONN) {
            peerGone();
            return false;
        }
        throw new LinuxException("recvmsg on worker channel " + fd, errno);
    }

    /** Binds each descriptor of a read to the flagged frame it came with, in order, and queues whole frames. */
    private final class Reassembly implements FrameDecoder.FlaggedFrameHandler {
        @Override
        public void onDescriptorAnnounced() {
            final OwnedFd descriptor = arrived.pollFirst();
            if (descriptor == null) {
                fail(ProtocolError.DESCRIPTOR_MISSING);
                throw new CodecException(ProtocolError.DESCRIPTOR_MISSING.message());
            }
            announced.addLast(descriptor);
        }

        @Override
        public void onFrame(final byte[] payload, final boolean carriesDescriptor) {
            final OwnedFd descriptor = carriesDescriptor ? announced.pollFirst() : null;
            assert carriesDescriptor == (descriptor != null) : "a flagged frame completed without its descriptor";
            received.addLast(new Incoming(payload, descriptor));
        }
    }

    /** The stream broke: counts the first error, and reads or writes no more (frames already whole still go). */
    private void fail(final ProtocolError error) {
        if (protocolError == null) {
            protocolError = error;
            protocolErrors++;
        }
        peerGone();
        closeAll(arrived);
        closeAll(announced);
    }

    /** Nothing more goes to the peer: the descriptors queued for it are released. */
    private void peerGone() {
        peerClosed = true;
        for (final Outgoing frame : outgoing) {
            frame.descriptor().close();
        }
        outgoing.clear();
    }

    private static void closeAll(final ArrayDeque<OwnedFd> descriptors) {
        for (final OwnedFd descriptor : descriptors) {
            descriptor.close();
        }
        descriptors.clear();
    }

    @Override
    public boolean isClosed() {
        if (closed) {
            return true;
        }
        if (emptyAndOpenAtLastRead) {
            emptyAndOpenAtLastRead = false; // answered from the read just before; the next call peeks
        } else if (!peerClosed && received.isEmpty()) {
            // Peek: 0 with nothing queued means the peer closed; waiting bytes (and descriptors) stay for poll.
            final long peeked = Syscalls.recv(capture, fd, rx, 1L, Syscalls.MSG_DONTWAIT | MSG_PEEK);
            if (peeked == 0 || (peeked < 0 && Syscalls.errno(capture) == Errno.ECONNRESET)) {
                if (decoder.isMidFrame()) {
                    fail(ProtocolError.CUT_OFF);
                }
                peerGone();
            }
        }
        return peerClosed && received.isEmpty();
    }

    @Override
    public int frameBytesMax() {
        return frameBytesMax;
    }

    /** Frames with a bad length, cut off by EOF, or whose descriptors broke the rules: 0 or 1 (each ends it). */
    public long protocolErrors() {
        return protocolErrors;
    }

    /** The error that ended the channel, or {@code null}. */
    public ProtocolError protocolError() {
        return protocolError;
    }

    @Override
    public void close() {
        if (!closed) {
            flush(); // what the socket takes now; the rest is lost with this end
            closed = true;
            Syscalls.close(fd);
            peerGone();
            closeAll(arrived);
            closeAll(announced);
            for (final Incoming frame : received) {
                if (frame.descriptor() != null) {
                    frame.descriptor().close();
                }
            }
            received.clear();
            if (largeArena != null) {
                largeArena.close();
            }
            arena.close();
        }
    }
}
