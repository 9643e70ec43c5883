package io.mcrelay.sim.seams;

import java.util.ArrayDeque;
import java.util.List;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;

/**
 * One in-memory client of a {@link SimControlServer}: it writes raw bytes (whole frames, or anything at all, to test
 * the server's framing) and receives the server's response frames, decoded by the real {@link FrameDecoder}. Writes
 * never block: like a non-blocking socket, a write the buffer cannot take is refused whole.
 *
 * <p>A client can stop reading ({@link #setReading}) to play a slow or stuck peer; it also stops by itself while it
 * holds {@link #RECEIVED_CAPACITY_FRAMES} frames nobody took with {@link #pollReceived()}.
 *
 * <p>Single-threaded: created by {@link SimControlServer#connect()}, driven by the simulator's one thread.
 */
public final class SimControlClient implements AutoCloseable {
    /** Response frames a client holds before it stops reading. */
    public static final int RECEIVED_CAPACITY_FRAMES = 1 << 16;

    private final SimControlServer server;
    private final long connectionId;
    private final int writtenCapacityBytes;

    // Client to server: bytes written and not yet read by the server, and the server's decoder for them.
    private final ArrayDeque<byte[]> written = new ArrayDeque<>();
    private int writtenBytes;
    private final FrameDecoder serverDecoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);

    // Server to client: framed responses not yet read, and what the client decoded from them.
    final ArrayDeque<byte[]> outbound = new ArrayDeque<>();
    int outboundBytes;
    private final FrameDecoder clientDecoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();

    /** The client hung up. */
    boolean closed;
    /** The server ended the connection, or read the client's EOF: it was reported disconnected. */
    boolean serverGone;
    /** The client has seen EOF: the server is gone and every response it queued was read or discarded. */
    boolean serverClosed;
    private boolean reading = true;

    SimControlClient(final SimControlServer server, final long connectionId, final int writtenCapacityBytes) {
        assert connectionId > 0 && writtenCapacityBytes > 0;
        this.server = server;
        this.connectionId = connectionId;
        this.writtenCapacityBytes = writtenCapacityBytes;
    }

    /** The id the server reports this connection under. */
    public long connectionId() {
        return connectionId;
    }

    /** Writes one whole frame: the payload behind its length prefix. See {@link #sendRaw}. */
    public boolean sendFrame(final byte[] payload) {
        return sendRaw(Frames.frame(payload, Frames.CONTROL_BYTES_MAX));
    }

    /**
     * Writes raw bytes, copied. Returns false when they were not taken: the server ended the connection (a write would
     * fail with {@code EPIPE}), or its unread bytes plus these exceed the buffer (a write would fail with
     * {@code EAGAIN}); an empty buffer takes any write, as a socket takes a large one in parts.
     */
    public boolean sendRaw(final byte[] bytes) {
        if (closed) {
            throw new IllegalStateException("client " + connectionId + " is closed");
        }
        if (serverGone || server.isClosed()) {
            return false;
        }
        if (writtenBytes > 0 && (long) writtenBytes + bytes.length > writtenCapacityBytes) {
            return false;
        }
        if (bytes.length > 0) {
            written.addLast(bytes.clone());
            writtenBytes += bytes.length;
        }
        assert writtenBytes >= 0;
        return true;
    }

    /** The response frames received and not yet taken, oldest first; the arrays are the caller's. */
    public List<byte[]> received() {
        return List.copyOf(received);
    }

    /** Takes the oldest received response frame, or null when there is none. */
    public byte[] pollReceived() {
        return received.pollFirst();
    }

    /** Starts or stops reading responses; a client that stops long enough is disconnected by the server. */
    public void setReading(final boolean reading) {
        this.reading = reading;
    }

    /** True once the server ended the connection and this client read everything it sent before (EOF). */
    public boolean isClosedByServer() {
        return serverClosed && !closed;
    }

    /** Hangs up: the server still reads what was written before, then reports the disconnect. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            outbound.clear();
            outboundBytes = 0;
        }
    }

    /** Called by the server's read: feeds everything written so far to its decoder. */
    void drainWritten(final FrameDecoder.FrameHandler handler) throws CodecException {
        int chunks = written.size();
        while (chunks-- > 0) {
            final byte[] chunk = written.pollFirst();
            writtenBytes -= chunk.length;
            serverDecoder.feed(chunk, 0, chunk.length, handler);
        }
        assert writtenBytes >= 0;
    }

    /** Called by the server when it ends the connection: what it did not read is lost. */
    void discardWritten() {
        written.clear();
        writtenBytes = 0;
    }

    /** At EOF: whether the client stopped in the middle of a frame. */
    boolean isMidFrame() {
        return serverDecoder.isMidFrame();
    }

    /** Called by the server's step: reads queued responses if this client is reading; returns how many frames. */
    int receiveResponses() {
        if (closed) {
            assert outbound.isEmpty();
            return 0;
        }
        int frames = 0;
        while (reading && !outbound.isEmpty() && received.size() < RECEIVED_CAPACITY_FRAMES) {
            final byte[] framed = outbound.pollFirst();
            outboundBytes -= framed.length;
            frames += clientDecoder.feed(framed, 0, framed.length, received::addLast);
        }
        assert outboundBytes >= 0 && received.size() <= RECEIVED_CAPACITY_FRAMES;
        return frames;
    }
}
