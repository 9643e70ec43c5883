package io.mcrelay.sim.seams;

import java.util.Iterator;
import java.util.TreeMap;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.support.ControlEvents;

/**
 * A {@link ControlServer} with in-memory clients ({@link #connect()}), speaking the real framing: a client's bytes go
 * through a {@link io.mcrelay.protocol.FrameDecoder} bounded by {@link Frames#CONTROL_BYTES_MAX}, so a bad length
 * disconnects that client alone, with the {@link CodecException}'s message as the reason.
 *
 * <p>Bytes move as on a socket, at two moments the simulator controls: {@link #poll} reads what clients wrote (every
 * connection in id order, only when the events read before have all been delivered), and {@link #step()} moves
 * responses to the clients that are reading. A connection's bytes never wait for another's, so a silent client
 * delays nobody. Responses wait in a bounded per-connection buffer; a client that lets it fill is disconnected.
 *
 * <p>Every connection, whoever ends it, is reported {@code onDisconnected} exactly once, after its last frame.
 * Connection ids start at 1 and only grow.
 *
 * <p>Single-threaded: the server and its clients are driven by the simulator's one thread.
 */
public final class SimControlServer implements ControlServer {
    /** Unread response bytes a connection may hold; an empty buffer still takes any one legal frame. */
    public static final int DEFAULT_OUTBOUND_CAPACITY_BYTES = 1 << 20;
    /** Request bytes a client may have written that the server has not read; as above, an empty buffer takes any. */
    public static final int DEFAULT_INBOUND_CAPACITY_BYTES = 1 << 20;
    /** Connections open at once. */
    public static final int CONNECTIONS_MAX_DEFAULT = 1024;

    // By id: the order in which the server reads and clients receive, independent of creation or hash order.
    private final TreeMap<Long, SimControlClient> connections = new TreeMap<>();
    private final ControlEvents events = new ControlEvents();
    private final int outboundCapacityBytes;
    private final int inboundCapacityBytes;
    private final int connectionsMax;
    private long nextConnectionId = 1;
    private boolean closed;

    /** A server with the default buffer sizes and connection limit. */
    public SimControlServer() {
        this(DEFAULT_OUTBOUND_CAPACITY_BYTES, DEFAULT_INBOUND_CAPACITY_BYTES, CONNECTIONS_MAX_DEFAULT);
    }

    /** A server whose connections buffer at most the given bytes each way, at most {@code connectionsMax} open. */
    public SimControlServer(final int outboundCapacityBytes, final int inboundCapacityBytes, final int connectionsMax) {
        if (outboundCapacityBytes <= 0 || inboundCapacityBytes <= 0 || connectionsMax <= 0) {
            throw new IllegalArgumentException("buffer sizes and connection limit must be positive");
        }
        this.outboundCapacityBytes = outboundCapacityBytes;
        this.inboundCapacityBytes = inboundCapacityBytes;
        this.connectionsMax = connectionsMax;
    }

    /** A new client, connected: the server reports it before any of its frames. */
    public SimControlClient connect() {
        if (closed) {
            throw new IllegalStateException("control server is closed");
        }
        if (connections.size() == connectionsMax) {
            throw new IllegalStateException("more than " + connectionsMax + " control connections open");
        }
        final SimControlClient client = new SimControlClient(this, nextConnectionId++, inboundCapacityBytes);
        connections.put(client.connectionId(), client);
        events.connected(client.connectionId());
        assert connections.size() <= connectionsMax;
        return client;
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        // Each read empties every client's written bytes, so a second read in one poll finds only what listeners
        // made clients write meanwhile; the limit bounds the loop either way.
        while (delivered < limit) {
            if (events.isEmpty() && read() == 0) {
                break;
            }
            delivered += events.deliver(listener, 1);
        }
        assert delivered <= limit;
        return delivered;
    }

    @Override
    public boolean send(final long connectionId, final byte[] payload) {
        final SimControlClient client = connections.get(connectionId);
        if (closed || client == null || client.serverGone) {
            return false;
        }
        // Refuses an empty or oversized response: a bug in the caller, not an operating condition.
        final byte[] framed = Frames.frame(payload, Frames.CONTROL_BYTES_MAX);
        if (client.closed) {
            // The client hung up but the server has not read its EOF yet: the bytes vanish, as on a socket.
            return true;
        }
        if (client.outboundBytes > 0 && client.outboundBytes + framed.length > outboundCapacityBytes) {
            final String reason = "client is not reading: " + (client.outboundBytes + framed.length)
                + " bytes of responses would exceed the buffer of " + outboundCapacityBytes + " bytes";
            // A reset, not a close: what the client never read is lost with the connection.
            client.outbound.clear();
            client.outboundBytes = 0;
            serverDisconnect(client, reason);
            return false;
        }
        client.outbound.addLast(framed);
        client.outboundBytes += framed.length;
        assert client.outboundBytes > 0;
        return true;
    }

    @Override
    public void disconnect(final long connectionId) {
        final SimControlClient client = connections.get(connectionId);
        if (client != null && !client.serverGone) {
            serverDisconnect(client, "closed by the server");
        }
    }

    /**
     * Moves queued responses to every client that is reading, in id order, and ends connections that both sides are
     * done with; returns how many frames moved.
     */
    public int step() {
        int moved = 0;
        final Iterator<SimControlClient> each = connections.values().iterator();
        while (each.hasNext()) {
            final SimControlClient client = each.next();
            moved += client.receiveResponses();
            if (client.serverGone && (client.outbound.isEmpty() || client.closed)) {
                client.serverClosed = true;
                each.remove();
            }
        }
        assert moved >= 0;
        return moved;
    }

    /** Connections the server still holds (open, or closed with responses not yet read). */
    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection without reporting them (the listener is going away too); idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (final SimControlClient client : connections.values()) {
                client.serverGone = true;
                client.serverClosed = true;
                client.outbound.clear();
                client.outboundBytes = 0;
            }
            connections.clear();
            events.clear();
        }
    }

    /** Reads what every connection wrote, in id order; returns how many events that made. */
    private int read() {
        final int before = events.size();
        for (final SimControlClient client : connections.values()) {
            if (client.serverGone) {
                continue;
            }
            final long id = client.connectionId();
            try {
                client.drainWritten(payload -> events.frame(id, payload));
            } catch (final CodecException e) {
                serverDisconnect(client, e.getMessage());
                continue;
            }
            if (client.closed) {
                client.serverGone = true;
                events.disconnected(id, client.isMidFrame() ? "client closed mid-frame" : "client closed");
            }
        }
        assert events.size() >= before;
        return events.size() - before;
    }

    /**
     * Ends a connection from the server's side: what the client wrote and was not yet delivered is discarded (its
     * requests are not served), and the listener hears of it once, after any frame already delivered.
     */
    private void serverDisconnect(final SimControlClient client, final String reason) {
        assert !client.serverGone : "a connection is reported disconnected once";
        client.serverGone = true;
        client.discardWritten();
        final long id = client.connectionId();
        events.discardFrames(id);
        events.disconnected(id, reason);
    }

    boolean isClosed() {
        return closed;
    }
}
