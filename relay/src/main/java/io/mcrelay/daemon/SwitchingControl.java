package io.mcrelay.daemon;

import java.util.Objects;

import io.mcrelay.runtime.InProcessClient;
import io.mcrelay.seam.ControlServer;

/**
 * The supervisor's control server, through which the daemon can add an in-process client at any time (a reload on
 * SIGHUP): it forwards to the socket server, or to an {@link InProcessClient} wrapping it while one is running.
 * Single-threaded: the loop's thread switches it, between cycles.
 */
final class SwitchingControl implements ControlServer {
    private final ControlServer socket;
    private ControlServer current;

    /** Serves {@code first} (the socket server, or an in-process client over it), then whatever {@link #start}s. */
    SwitchingControl(final ControlServer socket, final ControlServer first) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.current = Objects.requireNonNull(first, "first");
    }

    /** True while an in-process client is connected (its requests not all answered). */
    boolean clientRunning() {
        return current instanceof InProcessClient client && client.connected();
    }

    /** Starts an in-process client over the socket server; the one before it must be done. */
    void start(final java.util.List<io.mcrelay.control.ControlRequest> requests,
               final java.util.function.Consumer<io.mcrelay.control.ControlResponse> onResponse) {
        if (clientRunning()) {
            throw new IllegalStateException("an in-process client is still running");
        }
        current = new InProcessClient(socket, requests, onResponse);
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        return current.poll(listener, limit);
    }

    @Override
    public boolean send(final long connectionId, final byte[] payload) {
        return current.send(connectionId, payload);
    }

    @Override
    public void disconnect(final long connectionId) {
        current.disconnect(connectionId);
    }

    @Override
    public void close() {
        current.close();
    }
}
