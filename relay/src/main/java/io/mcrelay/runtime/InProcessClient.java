package io.mcrelay.runtime;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.support.ControlEvents;

/**
 * A {@link ControlServer} that adds one client living in this process to another server's clients: its requests
 * reach the supervisor as the frames of connection {@link #CONNECTION_ID} (so they are journaled, served and acked
 * exactly like a socket client's), and each response goes to a callback on the loop's thread. The daemon loads its
 * {@code --config} file this way, in-process, rather than by connecting to its own socket.
 *
 * <p>The client connects and queues all its requests at construction; its events come before the wrapped server's
 * in the first poll. It disconnects once every request has been answered, or when the supervisor closes it.
 * Single-threaded, like the server it wraps.
 */
public final class InProcessClient implements ControlServer {
    /** The in-process client's connection id; a socket server's ids start at 1. */
    public static final long CONNECTION_ID = 0;

    private final ControlServer inner;
    private final Consumer<ControlResponse> onResponse;
    private final ControlEvents events = new ControlEvents();
    private int unanswered;
    private boolean connected = true;

    /**
     * Wraps {@code inner} with a client that sends {@code requests} in order (a {@code Hello} first, as every client)
     * and hands each decoded response to {@code onResponse}.
     */
    public InProcessClient(final ControlServer inner, final List<ControlRequest> requests,
        final Consumer<ControlResponse> onResponse) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.onResponse = Objects.requireNonNull(onResponse, "onResponse");
        if (requests.isEmpty() || !(requests.getFirst() instanceof ControlRequest.Hello)) {
            throw new IllegalArgumentException("an in-process client says Hello first, as every client");
        }
        events.connected(CONNECTION_ID);
        for (final ControlRequest request : requests) {
            events.frame(CONNECTION_ID, ControlCodec.encode(request));
        }
        unanswered = requests.size();
    }

    /** True while the in-process client is connected (requests unanswered, not closed by the supervisor). */
    public boolean connected() {
        return connected;
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        final int local = events.deliver(listener, limit);
        return local < limit ? local + inner.poll(listener, limit - local) : local;
    }

    @Override
    public boolean send(final long connectionId, final byte[] payload) {
        if (connectionId != CONNECTION_ID) {
            return inner.send(connectionId, payload);
        }
        if (!connected) {
            return false;
        }
        ControlResponse response;
        try {
            response = ControlCodec.decodeResponse(payload);
        } catch (final CodecException e) {
            // The supervisor's own encoder produced it: a bug, never an operating condition.
            throw new IllegalStateException("the supervisor answered the in-process client with a bad frame", e);
        }
        unanswered--;
        if (unanswered == 0) {
            connected = false;
            events.disconnected(CONNECTION_ID, "in-process client done");
        }
        onResponse.accept(response);
        return true;
    }

    @Override
    public void disconnect(final long connectionId) {
        if (connectionId != CONNECTION_ID) {
            inner.disconnect(connectionId);
        } else if (connected) {
            connected = false;
            events.discardFrames(CONNECTION_ID);
            events.disconnected(CONNECTION_ID, "closed by the server");
        }
    }

    @Override
    public void close() {
        events.clear();
        inner.close();
    }
}
