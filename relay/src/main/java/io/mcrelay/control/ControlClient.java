package io.mcrelay.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.BuildInfo;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;

/**
 * A blocking client of the control socket, for the CLI: connects, says {@code Hello}, and sends requests one at a
 * time, each answered within a deadline. Not thread-safe; one per CLI invocation.
 */
public final class ControlClient implements AutoCloseable {
    /** Default control socket path. */
    public static final String DEFAULT_SOCKET = "/run/mcrelay/control.sock";
    /** Environment variable that overrides the default socket path. */
    public static final String SOCKET_ENV = "MCRELAY_SOCKET";

    /** Why the daemon could not be reached or spoken to; maps to exit code 3. */
    public static final class UnreachableException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnreachableException(final String message) {
            super(message);
        }
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
    private final List<byte[]> received = new ArrayList<>();
    private final long timeoutMs;
    private final ControlResponse.Welcome welcome;
    private long nextRequestId = 1;

    private ControlClient(final SocketChannel channel, final long timeoutMs) throws IOException, UnreachableException {
        this.channel = channel;
        this.timeoutMs = timeoutMs;
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        final ControlResponse response = exchange(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "mcrelay-cli " + BuildInfo.version()));
        if (response instanceof ControlResponse.Welcome w) {
            welcome = w;
        } else if (response instanceof ControlResponse.Refused refused) {
            throw new UnreachableException("the daemon refused the connection: " + refused.message());
        } else {
            throw new UnreachableException("the daemon answered Hello with " + response.getClass().getSimpleName());
        }
    }

    /** The socket path from {@code --socket}, else {@code MCRELAY_SOCKET}, else the default. */
    public static Path socketPath(final String option) {
        if (option != null && !option.isEmpty()) {
            return Path.of(option);
        }
        final String env = System.getenv(SOCKET_ENV);
        return Path.of(env != null && !env.isEmpty() ? env : DEFAULT_SOCKET);
    }

    /**
     * Connects and completes the handshake.
     *
     * @throws UnreachableException with a message that says why (no socket, permission, no answer, bad answer)
     */
    public static ControlClient connect(final Path socket, final long timeoutMs) throws UnreachableException {
        if (!Files.exists(socket)) {
            throw new UnreachableException("no daemon: nothing at " + socket
                + " (start one with 'mcrelay supervisor', or pass --socket / set " + SOCKET_ENV + ")");
        }
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new ControlClient(channel, timeoutMs);
        } catch (final IOException e) {
            closeQuietly(channel);
            throw new UnreachableException("cannot connect to " + socket + ": " + e.getMessage());
        } catch (final UnreachableException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The daemon's answer to {@code Hello}. */
    public ControlResponse.Welcome welcome() {
        return welcome;
    }

    /** A fresh request id. */
    public long nextRequestId() {
        return nextRequestId++;
    }

    /** Sends a request and waits for the response with the same request id. */
    public ControlResponse exchange(final ControlRequest request) throws UnreachableException {
        try {
            final ByteBuffer out = ByteBuffer.wrap(Frames.frame(ControlCodec.encode(request), Frames.CONTROL_BYTES_MAX));
            final long deadlineMs = System.currentTimeMillis() + timeoutMs;
            final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            try {
                while (out.hasRemaining()) {
                    if (channel.write(out) == 0) {
                        waitFor(SelectionKey.OP_WRITE, deadlineMs);
                    }
                }
            } catch (final IOException e) {
                // A daemon that refuses a connection at once (over its user's limit) answers and closes before
                // reading: its answer is still there to read, and says more than the broken pipe.
                if (!readWhatRemains(in)) {
                    throw e;
                }
            }
            while (true) {
                while (!received.isEmpty()) {
                    final ControlResponse response = ControlCodec.decodeResponse(received.removeFirst());
                    if (response.requestId() == request.requestId()) {
                        return response;
                    }
                }
                final int read = channel.read(in);
                if (read < 0) {
                    throw new UnreachableException("the daemon closed the connection");
                }
                if (read == 0) {
                    waitFor(SelectionKey.OP_READ, deadlineMs);
                    continue;
                }
                decoder.feed(in.array(), 0, in.position(), received::add);
                in.clear();
            }
        } catch (final IOException e) {
            throw new UnreachableException("lost the connection to the daemon: " + e.getMessage());
        } catch (final CodecException e) {
            throw new UnreachableException("the daemon sent a bad frame: " + e.getMessage());
        }
    }

    /** Reads what the daemon sent before it closed, without waiting; true if it holds a whole frame. */
    private boolean readWhatRemains(final ByteBuffer in) {
        try {
            for (int read = channel.read(in); read > 0; read = channel.read(in)) {
                decoder.feed(in.array(), 0, in.position(), received::add);
                in.clear();
            }
        } catch (final IOException | CodecException e) {
            // nothing more to read: what was read is what there is
        }
        in.clear();
        return !received.isEmpty();
    }

    private void waitFor(final int interest, final long deadlineMs) throws IOException, UnreachableException {
        final long leftMs = deadlineMs - System.currentTimeMillis();
        if (leftMs <= 0) {
            throw new UnreachableException("the daemon did not answer within " + timeoutMs + " ms");
        }
        channel.keyFor(selector).interestOps(interest);
        selector.select(leftMs);
        selector.selectedKeys().clear();
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(channel);
    }

    private static void closeQuietly(final AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (final Exception ignored) {
                // Closing a socket we are done with: nothing useful to do on failure.
            }
        }
    }
}
