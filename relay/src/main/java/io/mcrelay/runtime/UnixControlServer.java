package io.mcrelay.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

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
 *   <li>Connection ids start at 1 and only grow. A connection is reported connected before any of its frames and
 *       disconnected exactly once, after its last delivered frame, whoever ends it.</li>
 *   <li>Each I/O round reads at most 4 chunks of 64 KiB per connection, and reads only once the events read before
 *       have all been delivered: a busy client cannot starve another, and a supervisor that falls behind pushes
 *       back on its clients through the kernel's buffers.</li>
 *   <li>A frame length of 0 or over the limit disconnects that client before any payload is buffered; so does a
 *       client that stalls in the middle of a frame (no byte for {@link Config#readTimeoutNs}). A client idle
 *       between frames may stay.</li>
 *   <li>{@link #send} writes what the socket takes at once and queues the rest; a client whose unread responses
 *       would exceed {@link Config#outputBytesMax} is disconnected (what it did not read is lost). An empty queue
 *       takes any one legal frame.</li>
 *   <li>{@link #disconnect} (and a client's EOF) stops reading and reports the disconnect; the connection closes once
 *       its queued responses are written, or after {@link Config#flushTimeoutNs}. Frames read but not yet delivered
 *       when the server disconnects a client are discarded, as the simulated server does.</li>
 *   <li>At most {@link Config#connectionsMax} connections are open; one more is accepted and closed at once.</li>
 * </ul>
 *
 * <p>The socket file: the parent directory is created (0755) when missing; the socket is bound in a private
 * directory (0700) beside its final place, given mode 0660 there, then renamed into place, so it is never reachable
 * with the umask's looser mode and a stale socket is replaced atomically. A socket at the path that still accepts a
 * connection belongs to a live supervisor: opening fails ("another supervisor is listening on PATH"). A socket that
 * refuses connections is stale and replaced; anything else at the path is left alone and opening fails.
 * {@link #close} removes the socket file if it is still the one this server bound.
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

    private static final int READ_CHUNK_BYTES = 64 * 1024;
    private static final int READS_PER_ROUND = 4;
    private static final int WRITE_CHUNK_BYTES = 256 * 1024;
    private static final int ACCEPTS_PER_ROUND = 64;
    private static final int LISTEN_BACKLOG = 64;
    private static final long REFUSAL_LOG_INTERVAL_NS = 10_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(UnixControlServer.class);

    /**
     * Tunables.
     *
     * @param readTimeoutNs   how long a client may stall in the middle of a frame
     * @param outputBytesMax unread response bytes a client may hold before it is disconnected
     * @param flushTimeoutNs  how long a disconnected client's queued responses may take to be written
     * @param connectionsMax  connections open at once
     */
    public record Config(long readTimeoutNs, int outputBytesMax, long flushTimeoutNs, int connectionsMax) {
        /**
         * 10 s read timeout, 32 MiB output bound, 10 s flush, 64 connections: a client in the middle of a frame
         * holds a buffer of the size it announced (up to 16 MiB), so the connection limit bounds that memory (1 GiB).
         */
        public static final Config DEFAULTS = new Config(10_000_000_000L, 32 * 1024 * 1024, 10_000_000_000L, 64);

        public Config {
            if (readTimeoutNs <= 0 || outputBytesMax <= 0 || flushTimeoutNs <= 0 || connectionsMax <= 0) {
                throw new IllegalArgumentException("control server options must be positive: readTimeoutNs="
                    + readTimeoutNs + ", outputBytesMax=" + outputBytesMax + ", flushTimeoutNs=" + flushTimeoutNs
                    + ", connectionsMax=" + connectionsMax);
            }
        }
    }

    /** One client. {@code reported}: its disconnect is queued; from then on it is only flushed, then closed. */
    private static final class Connection {
        final long id;
        final SocketChannel channel;
        final SelectionKey key;
        final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        final ArrayDeque<ByteBuffer> output = new ArrayDeque<>();
        long outputBytes;
        long lastReadNs;
        boolean reported;
        long flushDeadlineNs;

        Connection(final long id, final SocketChannel channel, final SelectionKey key, final long nowNs) {
            this.id = id;
            this.channel = channel;
            this.key = key;
            this.lastReadNs = nowNs;
        }
    }

    private final Path path;
    private final Clock clock;
    private final Config options;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Object socketFileKey;
    // By id: rounds visit connections in a stable order.
    private final TreeMap<Long, Connection> connections = new TreeMap<>();
    private final ControlEvents events = new ControlEvents();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_CHUNK_BYTES);
    private long nextConnectionId = 1;
    private long nextDeadlineNs = Long.MAX_VALUE;
    private long refusedConnections;
    private long lastRefusalLogNs = Long.MIN_VALUE;
    private boolean closed;

    private UnixControlServer(final Path path, final Clock clock, final Config options,
        final ServerSocketChannel server, final Selector selector, final Object socketFileKey) {
        this.path = path;
        this.clock = clock;
        this.options = options;
        this.server = server;
        this.selector = selector;
        this.socketFileKey = socketFileKey;
    }

    /** {@link #open(Path, Clock, Config)} with {@link Config#DEFAULTS}. */
    public static UnixControlServer open(final Path path, final Clock clock) {
        return open(path, clock, Config.DEFAULTS);
    }

    /**
     * Creates the socket file at {@code path} (mode 0660, parent created 0755 if missing) and listens on it.
     *
     * @throws IllegalStateException if another supervisor is listening on {@code path}, or something other than a
     *     socket is there
     * @throws UncheckedIOException if the directory or socket cannot be made; the message names the path and cause
     */
    public static UnixControlServer open(final Path path, final Clock clock, final Config options) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(options, "options");
        final Path target = path.toAbsolutePath().normalize();
        final Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("the control socket path " + path + " has no parent directory");
        }
        // Checked first: a path that cannot work creates nothing.
        ControlSocketFile.checkLength(target, ControlSocketFile.privateDirectory(parent, 0));
        ControlSocketFile.makeParent(parent);
        final boolean stale = ControlSocketFile.checkNotInUse(target);
        final Path privateDir = ControlSocketFile.makePrivateDirectory(parent, target);
        final Path bound = privateDir.resolve("s");
        ServerSocketChannel server = null;
        Selector selector = null;
        boolean inPlace = false;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(bound), LISTEN_BACKLOG);
            // Only this user can reach the private directory, so the socket is never reachable with a looser mode.
            Files.setPosixFilePermissions(bound, SOCKET_MODE);
            // A live supervisor may have appeared since the check: the window is the few system calls above.
            Files.move(bound, target, StandardCopyOption.ATOMIC_MOVE);
            inPlace = true;
            final Object fileKey = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            if (stale) {
                LOG.info("replaced the stale control socket {} (its supervisor is gone)", target);
            }
            LOG.info("control socket listening on {}", target);
            return new UnixControlServer(target, clock, options, server, selector, fileKey);
        } catch (final IOException e) {
            closeQuietly(selector);
            closeQuietly(server);
            if (inPlace) {
                ControlSocketFile.deleteQuietly(target);
            }
            throw new UncheckedIOException("cannot listen on the control socket " + target + ": " + ControlSocketFile.describe(e), e);
        } finally {
            ControlSocketFile.deleteQuietly(bound);
            ControlSocketFile.deleteQuietly(privateDir);
        }
    }

    /** The socket file's path (absolute). */
    public Path path() {
        return path;
    }

    /** Connections held: open, or disconnected with responses still being written. */
    public int connectionCount() {
        return connections.size();
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
        final Connection connection = connections.get(connectionId);
        if (closed || connection == null || connection.reported) {
            return false;
        }
        // Refuses an empty or oversized response: a bug in the caller, not an operating condition.
        final byte[] framed = Frames.frame(payload, Frames.CONTROL_BYTES_MAX);
        if (connection.outputBytes > 0 && connection.outputBytes + framed.length > options.outputBytesMax()) {
            final String reason = "client is not reading: " + (connection.outputBytes + framed.length)
                + " bytes of responses would exceed the buffer of " + options.outputBytesMax() + " bytes";
            drop(connection, reason);
            return false;
        }
        connection.output.addLast(ByteBuffer.wrap(framed));
        connection.outputBytes += framed.length;
        flush(connection);
        assert connection.outputBytes >= 0;
        return !connection.reported;
    }

    @Override
    public void disconnect(final long connectionId) {
        final Connection connection = connections.get(connectionId);
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
        for (final Connection connection : connections.values()) {
            closeQuietly(connection.channel);
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
            final Connection connection = (Connection) key.attachment();
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
                LOG.warn("control socket {}: accept failed: {}", path, ControlSocketFile.describe(e));
                return;
            }
            if (channel == null) {
                return;
            }
            if (connections.size() >= options.connectionsMax()) {
                refuse(channel, nowNs);
                continue;
            }
            try {
                channel.configureBlocking(false);
                final SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
                final Connection connection = new Connection(nextConnectionId++, channel, key, nowNs);
                key.attach(connection);
                connections.put(connection.id, connection);
                events.connected(connection.id);
            } catch (final IOException e) {
                LOG.warn("control socket {}: cannot set up an accepted connection: {}", path, ControlSocketFile.describe(e));
                closeQuietly(channel);
            }
        }
    }

    private void refuse(final SocketChannel channel, final long nowNs) {
        closeQuietly(channel);
        refusedConnections++;
        if (lastRefusalLogNs == Long.MIN_VALUE || nowNs - lastRefusalLogNs >= REFUSAL_LOG_INTERVAL_NS) {
            lastRefusalLogNs = nowNs;
            LOG.warn("control socket {}: {} connections are open, the most allowed; closed a new one ({} so far)",
                path, options.connectionsMax(), refusedConnections);
        }
    }

    private void read(final Connection connection, final long nowNs) {
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
                connection.decoder.feed(readBuffer.array(), 0, read,
                    payload -> events.frame(id, payload));
            } catch (final CodecException e) {
                drop(connection, e.getMessage());
                return;
            }
        }
        if (connection.decoder.isMidFrame()) {
            nextDeadlineNs = Math.min(nextDeadlineNs, connection.lastReadNs + options.readTimeoutNs());
        }
    }

    /** Writes queued responses until the socket takes no more; closes a reported connection that is done. */
    private void flush(final Connection connection) {
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
        if (output.isEmpty() && connection.reported) {
            closeConnection(connection);
        } else if (connection.key.isValid()) {
            final int ops = connection.reported ? 0 : SelectionKey.OP_READ;
            connection.key.interestOps(output.isEmpty() ? ops : ops | SelectionKey.OP_WRITE);
        }
    }

    /** Disconnect deadlines: a stall in the middle of a frame, a flush that takes too long. */
    private void applyDeadlines(final long nowNs) {
        long next = Long.MAX_VALUE;
        final Iterator<Connection> each = connections.values().iterator();
        while (each.hasNext()) {
            final Connection connection = each.next();
            if (connection.reported) {
                if (nowNs - connection.flushDeadlineNs >= 0) {
                    LOG.debug("control connection {}: {} bytes of responses not written within the flush timeout",
                        connection.id, connection.outputBytes);
                    each.remove();
                    closeQuietly(connection.channel);
                } else {
                    next = Math.min(next, connection.flushDeadlineNs);
                }
            } else if (connection.decoder.isMidFrame()) {
                final long deadlineNs = connection.lastReadNs + options.readTimeoutNs();
                if (nowNs - deadlineNs > 0) {
                    report(connection, "read timeout: no byte for " + options.readTimeoutNs() / 1_000_000
                        + " ms in the middle of a frame");
                    events.discardFrames(connection.id);
                    each.remove();
                    closeQuietly(connection.channel);
                } else {
                    next = Math.min(next, deadlineNs);
                }
            }
        }
        nextDeadlineNs = next;
    }

    // ---- connection ends ------------------------------------------------------------------------------------------

    /** Queues the one disconnect event of a connection. */
    private void report(final Connection connection, final String reason) {
        assert !connection.reported : "a connection is reported disconnected once";
        connection.reported = true;
        events.disconnected(connection.id, reason);
        LOG.debug("control connection {} disconnected: {}", connection.id, reason);
    }

    /** Stops reading; the connection closes when its output is written or its flush deadline passes. */
    private void closeWhenFlushed(final Connection connection, final long nowNs) {
        connection.flushDeadlineNs = nowNs + options.flushTimeoutNs();
        nextDeadlineNs = Math.min(nextDeadlineNs, connection.flushDeadlineNs);
        flush(connection);
    }

    /** Ends a connection at once: unread output and undelivered frames are discarded. */
    private void drop(final Connection connection, final String reason) {
        if (!connection.reported) {
            report(connection, reason);
        }
        events.discardFrames(connection.id);
        connection.output.clear();
        connection.outputBytes = 0;
        closeConnection(connection);
    }

    private void closeConnection(final Connection connection) {
        connections.remove(connection.id);
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
