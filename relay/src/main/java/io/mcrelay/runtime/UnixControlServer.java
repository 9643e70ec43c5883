package io.mcrelay.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.support.ControlEvents;

/**
 * The production {@link ControlServer}: a non-blocking Unix stream socket server ({@link ServerSocketChannel} with a
 * {@link UnixDomainSocketAddress}) and a {@link Selector} of its own, driven by the supervisor's thread through
 * {@link #poll}, which never blocks. Frames are those of {@link Frames}, at most {@link Frames#CONTROL_BYTES_MAX}.
 *
 * <p>Behaviour (see docs/reference/protocols.md, "The control socket server"):
 * <ul>
 *   <li>ControlConnection ids start at 1 and only grow. A connection is reported connected before any of its frames and
 *       disconnected exactly once, after its last delivered frame, whoever ends it.</li>
 *   <li>Each I/O round reads at most 4 chunks of 64 KiB per connection, and reads only once the events read before
 *       have all been delivered: a busy client cannot starve another, and a supervisor that falls behind pushes
 *       back on its clients through the kernel's buffers.</li>
 *   <li>Who may connect, and how much: each accepted connection's peer is identified ({@link ControlPeer.Source},
 *       {@code SO_PEERCRED}) and admitted by {@link PeerLimits} (connections per user and in all, bytes held for
 *       them; root unlimited). A connection over a limit is answered with a {@code refused} frame (code
 *       {@code limit}) and closed at once, never reported; the server keeps accepting.</li>
 *   <li>A connection that completes no frame for {@link Config#idleTimeoutNs} after its accept, its last frame or
 *       its last response is disconnected, whether it is silent or holds half a frame; so is one that stalls in the
 *       middle of a frame (no byte for {@link Config#readTimeoutNs}).</li>
 *   <li>A frame length of 0 or over the limit, or a frame that would make its user hold more bytes than
 *       {@link PeerLimits} allow, is answered with a {@code refused} frame ({@code bad_request} or {@code limit})
 *       and its connection disconnected; a frame's buffer grows with the bytes that arrive, never to the length
 *       announced before they do.</li>
 *   <li>{@link #send} writes what the socket takes at once and queues the rest; a client whose unread responses
 *       would exceed {@link Config#outputBytesMax}, or its user's share of held bytes, is disconnected (what it did
 *       not read is lost).</li>
 *   <li>{@link #disconnect} (and a client's EOF) stops reading and reports the disconnect; the connection closes once
 *       its queued responses are written, or after {@link Config#flushTimeoutNs}. Frames read but not yet delivered
 *       when the server disconnects a client are discarded, as the simulated server does.</li>
 *   <li>When a limit bites it is logged at WARN, at most one line per limit every 10 s ({@link LimitWarnings}).</li>
 * </ul>
 *
 * <p>The socket file: the parent directory is created (0755) when missing; the socket is bound in a private
 * directory (0700) beside its final place, given its group (if one is named) and mode 0660 there, then renamed into
 * place, so it is never reachable with the umask's looser mode or the wrong group, and a stale socket is replaced
 * atomically. A socket at the path that still accepts a connection belongs to a live supervisor: opening fails
 * ("another supervisor is listening on PATH"). A socket that refuses connections is stale and replaced; anything
 * else at the path is left alone and opening fails. {@link #close} removes the socket file if it is still the one
 * this server bound.
 *
 * <p>Not thread-safe: one thread opens, polls, sends and closes. Time comes from the injected {@link Clock}.
 */
public final class UnixControlServer implements ControlServer {
    /** Mode of the socket file: owner and group may connect. */
    public static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
    /** Mode of a parent directory the server creates. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    /** Longest socket path the kernel accepts, in bytes ({@code linux/un.h}: {@code sun_path[108]}, NUL-ended). */
    public static final int PATH_BYTES_MAX = 107;
    /** How often, at most, one limit's WARN line is logged. */
    public static final long LIMIT_LOG_INTERVAL_NS = 10_000_000_000L;

    private static final int READ_CHUNK_BYTES = 64 * 1024;
    private static final int READS_PER_ROUND = 4;
    private static final int WRITE_CHUNK_BYTES = 256 * 1024;
    private static final int ACCEPTS_PER_ROUND = 64;
    private static final int LISTEN_BACKLOG = 64;
    private static final long NS_PER_S = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(UnixControlServer.class);

    /**
     * Tunables.
     *
     * @param readTimeoutNs  how long a client may stall in the middle of a frame
     * @param idleTimeoutNs  how long a connection may go without completing a frame, silent or in the middle of one,
     *                       counted from its accept, its last frame or the last response queued for it (a client
     *                       waiting for a slow answer is not idle)
     * @param outputBytesMax unread response bytes a client may hold before it is disconnected
     * @param flushTimeoutNs how long a disconnected client's queued responses may take to be written
     * @param peers          what unprivileged peers may hold: connections and bytes, per user and in all
     */
    public record Config(long readTimeoutNs, long idleTimeoutNs, int outputBytesMax, long flushTimeoutNs,
        PeerLimits.Config peers) {
        /** 10 s read timeout, 60 s idle timeout, 32 MiB output bound, 10 s flush, {@link PeerLimits.Config#DEFAULTS}. */
        public static final Config DEFAULTS = new Config(10 * NS_PER_S, 60 * NS_PER_S, 32 * 1024 * 1024,
            10 * NS_PER_S, PeerLimits.Config.DEFAULTS);

        public Config {
            Objects.requireNonNull(peers, "peers");
            if (readTimeoutNs <= 0 || idleTimeoutNs <= 0 || outputBytesMax <= 0 || flushTimeoutNs <= 0) {
                throw new IllegalArgumentException("control server options must be positive: readTimeoutNs="
                    + readTimeoutNs + ", idleTimeoutNs=" + idleTimeoutNs + ", outputBytesMax=" + outputBytesMax
                    + ", flushTimeoutNs=" + flushTimeoutNs);
            }
        }

        /** The same with another idle timeout. */
        public Config withIdleTimeoutNs(final long timeoutNs) {
            return new Config(readTimeoutNs, timeoutNs, outputBytesMax, flushTimeoutNs, peers);
        }

        /** The same with other peer limits. */
        public Config withPeers(final PeerLimits.Config limits) {
            return new Config(readTimeoutNs, idleTimeoutNs, outputBytesMax, flushTimeoutNs, limits);
        }
    }

    private final Path path;
    private final Clock clock;
    private final Config options;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Object socketFileKey;
    private final ControlAdmission admission;
    // By id: rounds visit connections in a stable order.
    private final TreeMap<Long, ControlConnection> connections = new TreeMap<>();
    private final ControlEvents events = new ControlEvents();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_CHUNK_BYTES);
    private long nextControlConnectionId = 1;
    private long nextDeadlineNs = Long.MAX_VALUE;
    private boolean closed;

    private UnixControlServer(final Path path, final Clock clock, final Config options,
        final ServerSocketChannel server, final Selector selector, final Object socketFileKey,
        final ControlPeer.Source peers) {
        this.path = path;
        this.clock = clock;
        this.options = options;
        this.server = server;
        this.selector = selector;
        this.socketFileKey = socketFileKey;
        this.admission = new ControlAdmission(path, peers, new PeerLimits(options.peers()), LOG,
            LIMIT_LOG_INTERVAL_NS);
    }

    /** {@link #open(Path, Clock, Config)} with {@link Config#DEFAULTS}. */
    public static UnixControlServer open(final Path path, final Clock clock) {
        return open(path, clock, Config.DEFAULTS);
    }

    /** {@link #open(Path, Clock, Config, GroupPrincipal, ControlPeer.Source)}: the kernel's group and peers. */
    public static UnixControlServer open(final Path path, final Clock clock, final Config options) {
        return open(path, clock, options, null, ControlPeer.kernel());
    }

    /** The group named {@code name} (or a gid); {@link IllegalArgumentException} naming it when there is none. */
    public static GroupPrincipal lookUpGroup(final String name) {
        return ControlSocketFile.lookUpGroup(name);
    }

    /**
     * Creates the socket file at {@code path} (mode 0660, parent created 0755 if missing) and listens on it.
     *
     * @param group the socket file's group, or {@code null} for the kernel's choice (the process's primary group, or
     *              the directory's when it is set-group-id)
     * @param peers tells who is at the other end of each accepted connection
     * @throws IllegalStateException if another supervisor is listening on {@code path}, or something other than a
     *     socket is there
     * @throws UncheckedIOException if the directory or socket cannot be made; the message names the path and cause
     */
    public static UnixControlServer open(final Path path, final Clock clock, final Config options,
        final GroupPrincipal group, final ControlPeer.Source peers) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(peers, "peers");
        final Path target = path.toAbsolutePath().normalize();
        final ControlSocketFile.Listening listening = ControlSocketFile.listen(target, group, LISTEN_BACKLOG);
        Selector selector = null;
        try {
            listening.server().configureBlocking(false);
            selector = Selector.open();
            listening.server().register(selector, SelectionKey.OP_ACCEPT);
            final PeerLimits.Config limits = options.peers();
            LOG.info("control socket listening on {} (group {}, mode 0660); users other than root: {} connections "
                    + "each, {} in all; {} MiB held each, {} MiB in all; idle timeout {} s", target,
                listening.group(), limits.connectionsPerUserMax(), limits.connectionsMax(),
                limits.heldBytesPerUserMax() >> 20, limits.heldBytesMax() >> 20, options.idleTimeoutNs() / NS_PER_S);
            return new UnixControlServer(target, clock, options, listening.server(), selector, listening.fileKey(),
                peers);
        } catch (final IOException e) {
            closeQuietly(selector);
            closeQuietly(listening.server());
            ControlSocketFile.deleteQuietly(target);
            throw new UncheckedIOException("cannot listen on the control socket " + target + ": "
                + ControlSocketFile.describe(e), e);
        }
    }

    /** The socket file's path (absolute). */
    public Path path() {
        return path;
    }

    /** ControlConnections held: open, or disconnected with responses still being written. */
    public int connectionCount() {
        return connections.size();
    }

    /** The ledger of what unprivileged peers hold, for tests and diagnostics. */
    public PeerLimits limits() {
        return admission.limits();
    }

    /**
     * For a loop sleeping in {@code poll(2)}: the listening socket's and every connection's descriptor, readable when
     * there is a client to accept or bytes to read. False when one cannot be named ({@link ChannelDescriptors}).
     */
    public boolean descriptors(final IntConsumer out) {
        final int listening = ChannelDescriptors.of(server);
        if (listening < 0) {
            return false;
        }
        out.accept(listening);
        for (final ControlConnection connection : connections.values()) {
            final int fd = ChannelDescriptors.of(connection.channel);
            if (fd < 0) {
                return false;
            }
            out.accept(fd);
        }
        return true;
    }

    /** True while a response waits for room in its socket: a sleeping loop must come back soon to write it. */
    public boolean outputPending() {
        for (final ControlConnection connection : connections.values()) {
            if (connection.outputBytes > 0) {
                return true;
            }
        }
        return false;
    }

    /** When the next connection timeout (idle, mid-frame, flush) falls due, or {@link Long#MAX_VALUE}. */
    public long nextDeadlineNs() {
        return nextDeadlineNs;
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        if (closed) {
            return 0;
        }
        final long nowNs = clock.nanoTime();
        final boolean readEvents = events.isEmpty();
        ioRound(nowNs, readEvents);
        // A listener that closes the server empties the queue, which ends the delivery.
        return events.deliver(listener, limit);
    }

    @Override
    public boolean send(final long connectionId, final byte[] payload) {
        final ControlConnection connection = connections.get(connectionId);
        if (closed || connection == null || connection.reported) {
            return false;
        }
        // Refuses an empty or oversized response: a bug in the caller, not an operating condition.
        final byte[] framed = Frames.frame(payload, Frames.CONTROL_BYTES_MAX);
        if (connection.outputBytes > 0 && connection.outputBytes + framed.length > options.outputBytesMax()) {
            final String reason = "client is not reading: " + (connection.outputBytes + framed.length)
                + " bytes of responses would exceed the buffer of " + options.outputBytesMax() + " bytes";
            admission.warn(LimitWarnings.Limit.NOT_READING, clock.nanoTime(), () -> "connection " + connectionId
                + " of user " + connection.peer + " closed: " + reason);
            drop(connection, reason);
            return false;
        }
        final long heldBytes = connection.decoder.bufferedBytes() + connection.outputBytes + framed.length;
        final String overLimit = admission.hold(connectionId, connection.peer, connection.heldBytes, heldBytes,
            clock.nanoTime());
        if (overLimit == null) {
            connection.heldBytes = heldBytes;
        } else {
            drop(connection, overLimit);
            return false;
        }
        connection.output.addLast(ByteBuffer.wrap(framed));
        connection.outputBytes += framed.length;
        // The client's time to ask again starts now: waiting for an answer is not being idle.
        connection.lastExchangeNs = clock.nanoTime();
        flush(connection);
        assert connection.outputBytes >= 0;
        return !connection.reported;
    }

    @Override
    public void disconnect(final long connectionId) {
        final ControlConnection connection = connections.get(connectionId);
        if (!closed && connection != null && !connection.reported) {
            report(connection, "closed by the server");
            events.discardFrames(connectionId);
            closeWhenFlushed(connection, clock.nanoTime());
        }
    }

    /** Closes every connection without reporting them, stops listening and removes the socket file; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (final ControlConnection connection : connections.values()) {
            release(connection);
        }
        connections.clear();
        events.clear();
        closeQuietly(selector);
        closeQuietly(server);
        ControlSocketFile.remove(path, socketFileKey);
    }

    // ---- I/O ------------------------------------------------------------------------------------------------------

    /** One round: writes what sockets take; when {@code readEvents}, accepts, reads and applies the deadlines. */
    private void ioRound(final long nowNs, final boolean readEvents) {
        try {
            selector.selectNow();
        } catch (final IOException e) {
            throw new UncheckedIOException("control socket " + path + ": select failed: " + ControlSocketFile.describe(e), e);
        }
        final Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        boolean acceptable = false;
        while (ready.hasNext()) {
            final SelectionKey key = ready.next();
            ready.remove();
            if (!key.isValid()) {
                continue;
            }
            if (key.attachment() == null) {
                acceptable = key.isAcceptable();
                continue;
            }
            final ControlConnection connection = (ControlConnection) key.attachment();
            if (key.isWritable()) {
                flush(connection);
            }
            if (readEvents && key.isValid() && key.isReadable() && !connection.reported) {
                read(connection, nowNs);
            }
        }
        if (readEvents) {
            if (acceptable) {
                accept(nowNs);
            }
            if (nowNs >= nextDeadlineNs) {
                applyDeadlines(nowNs);
            }
        }
    }

    private void accept(final long nowNs) {
        for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
            final SocketChannel channel;
            try {
                channel = server.accept();
            } catch (final IOException e) {
                // Out of descriptors, say: the connection waits in the backlog and is tried again next round.
                admission.warn(LimitWarnings.Limit.ACCEPT_FAILED, nowNs, () -> "accept failed: "
                    + ControlSocketFile.describe(e));
                return;
            }
            if (channel == null) {
                return;
            }
            final ControlPeer peer = admission.admit(channel, nowNs);
            if (peer == null) {
                continue; // over a limit: told why and closed
            }
            try {
                channel.configureBlocking(false);
                final SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
                final ControlConnection connection = new ControlConnection(nextControlConnectionId++, channel, key, peer, nowNs);
                key.attach(connection);
                connections.put(connection.id, connection);
                events.connected(connection.id);
                nextDeadlineNs = Math.min(nextDeadlineNs, nowNs + options.idleTimeoutNs());
            } catch (final IOException e) {
                LOG.warn("control socket {}: cannot set up an accepted connection: {}", path, ControlSocketFile.describe(e));
                admission.release(peer, 0);
                closeQuietly(channel);
            }
        }
    }

    private void read(final ControlConnection connection, final long nowNs) {
        final long id = connection.id;
        for (int i = 0; i < READS_PER_ROUND; i++) {
            readBuffer.clear();
            final int read;
            try {
                read = connection.channel.read(readBuffer);
            } catch (final IOException e) {
                drop(connection, "read failed: " + ControlSocketFile.describe(e));
                return;
            }
            if (read == 0) {
                break;
            }
            if (read < 0) {
                report(connection, connection.decoder.isMidFrame() ? "client closed mid-frame" : "client closed");
                closeWhenFlushed(connection, nowNs);
                return;
            }
            connection.lastReadNs = nowNs;
            try {
                if (connection.decoder.feed(readBuffer.array(), 0, read, payload -> events.frame(id, payload)) > 0) {
                    connection.lastExchangeNs = nowNs;
                }
            } catch (final CodecException e) {
                admission.warn(LimitWarnings.Limit.FRAMING, nowNs, () -> "connection " + id + " of user "
                    + connection.peer + " closed: " + e.getMessage());
                refuseAndClose(connection, "bad_request", e.getMessage(), nowNs);
                return;
            }
            final long heldBytes = connection.decoder.bufferedBytes() + connection.outputBytes;
            final String overLimit = admission.hold(id, connection.peer, connection.heldBytes, heldBytes, nowNs);
            if (overLimit != null) {
                refuseAndClose(connection, "limit", overLimit, nowNs);
                return;
            }
            connection.heldBytes = heldBytes;
        }
        if (connection.decoder.isMidFrame()) {
            nextDeadlineNs = Math.min(nextDeadlineNs, connection.lastReadNs + options.readTimeoutNs());
        }
    }

    /** Writes queued responses until the socket takes no more; closes a reported connection that is done. */
    private void flush(final ControlConnection connection) {
        final ArrayDeque<ByteBuffer> output = connection.output;
        try {
            while (!output.isEmpty()) {
                final ByteBuffer head = output.peekFirst();
                // A slice at a time: the JDK copies all that is offered to a direct buffer, though the socket
                // takes a few hundred KiB per call, so offering a whole 16 MiB response would copy it many times.
                final int end = head.limit();
                head.limit(Math.min(end, head.position() + WRITE_CHUNK_BYTES));
                final int written = connection.channel.write(head);
                head.limit(end);
                connection.outputBytes -= written;
                if (written == 0) {
                    break;
                }
                if (!head.hasRemaining()) {
                    output.removeFirst();
                }
            }
        } catch (final IOException e) {
            drop(connection, "write failed: " + ControlSocketFile.describe(e));
            return;
        }
        assert output.isEmpty() == (connection.outputBytes == 0);
        final long heldBytes = connection.decoder.bufferedBytes() + connection.outputBytes;
        if (heldBytes < connection.heldBytes) {
            final String refusal = admission.hold(connection.id, connection.peer, connection.heldBytes, heldBytes,
                clock.nanoTime());
            assert refusal == null : "a fall is always allowed";
            connection.heldBytes = heldBytes;
        }
        if (output.isEmpty() && connection.reported) {
            closeControlConnection(connection);
        } else if (connection.key.isValid()) {
            final int ops = connection.reported ? 0 : SelectionKey.OP_READ;
            connection.key.interestOps(output.isEmpty() ? ops : ops | SelectionKey.OP_WRITE);
        }
    }

    /** Disconnect deadlines: idle (no frame completed), a stall in the middle of a frame, a flush too long. */
    private void applyDeadlines(final long nowNs) {
        long next = Long.MAX_VALUE;
        final Iterator<ControlConnection> each = connections.values().iterator();
        while (each.hasNext()) {
            final ControlConnection connection = each.next();
            if (connection.reported) {
                if (nowNs - connection.flushDeadlineNs >= 0) {
                    LOG.debug("control connection {}: {} bytes of responses not written within the flush timeout",
                        connection.id, connection.outputBytes);
                    each.remove();
                    release(connection);
                } else {
                    next = Math.min(next, connection.flushDeadlineNs);
                }
                continue;
            }
            final long idleDeadlineNs = connection.lastExchangeNs + options.idleTimeoutNs();
            final boolean midFrame = connection.decoder.isMidFrame();
            final long readDeadlineNs = midFrame ? connection.lastReadNs + options.readTimeoutNs() : Long.MAX_VALUE;
            final String reason;
            final LimitWarnings.Limit limit;
            if (nowNs - idleDeadlineNs > 0) {
                reason = "idle timeout: no request in the " + options.idleTimeoutNs() / 1_000_000
                    + " ms since the last request or answer" + (midFrame ? " (one was begun, not finished)" : "");
                limit = LimitWarnings.Limit.IDLE;
            } else if (midFrame && nowNs - readDeadlineNs > 0) {
                reason = "read timeout: no byte for " + options.readTimeoutNs() / 1_000_000
                    + " ms in the middle of a frame";
                limit = LimitWarnings.Limit.READ_TIMEOUT;
            } else {
                next = Math.min(next, Math.min(idleDeadlineNs, readDeadlineNs));
                continue;
            }
            admission.warn(limit, nowNs, () -> "connection " + connection.id + " of user " + connection.peer
                + " closed: " + reason);
            report(connection, reason);
            events.discardFrames(connection.id);
            each.remove();
            release(connection);
        }
        nextDeadlineNs = next;
    }

    // ---- connection ends ------------------------------------------------------------------------------------------

    /** Queues the one disconnect event of a connection. */
    private void report(final ControlConnection connection, final String reason) {
        assert !connection.reported : "a connection is reported disconnected once";
        connection.reported = true;
        events.disconnected(connection.id, reason);
        LOG.debug("control connection {} disconnected: {}", connection.id, reason);
    }

    /** Stops reading; the connection closes when its output is written or its flush deadline passes. */
    private void closeWhenFlushed(final ControlConnection connection, final long nowNs) {
        connection.flushDeadlineNs = nowNs + options.flushTimeoutNs();
        nextDeadlineNs = Math.min(nextDeadlineNs, connection.flushDeadlineNs);
        flush(connection);
    }

    /**
     * Disconnects a client whose input broke a rule: what it sent is discarded (and its buffer freed), a
     * {@code refused} frame saying why is queued after its responses, and the connection closes once they are written.
     */
    private void refuseAndClose(final ControlConnection connection, final String code, final String reason,
        final long nowNs) {
        report(connection, reason);
        events.discardFrames(connection.id);
        connection.decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        final byte[] framed = ControlAdmission.refusal(code, reason);
        connection.output.addLast(ByteBuffer.wrap(framed));
        connection.outputBytes += framed.length;
        closeWhenFlushed(connection, nowNs);
    }

    /** Ends a connection at once: unread output and undelivered frames are discarded. */
    private void drop(final ControlConnection connection, final String reason) {
        if (!connection.reported) {
            report(connection, reason);
        }
        events.discardFrames(connection.id);
        connection.output.clear();
        connection.outputBytes = 0;
        closeControlConnection(connection);
    }

    private void closeControlConnection(final ControlConnection connection) {
        connections.remove(connection.id);
        release(connection);
    }

    /** Gives the connection's share back to its user and closes its socket; the caller forgets it. */
    private void release(final ControlConnection connection) {
        admission.release(connection.peer, connection.heldBytes);
        connection.heldBytes = 0;
        closeQuietly(connection.channel);
    }

    private static void closeQuietly(final AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (final Exception ignored) {
                // Closing something we are done with: nothing useful to do on failure.
            }
        }
    }
}
