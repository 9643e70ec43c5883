package io.mcrelay.seam;

/**
 * The supervisor's side of the control socket: connections that each carry length-prefixed JSON frames.
 * Production: a Unix stream socket server with per-connection read timeouts; simulation: in-memory clients.
 *
 * <p>Contract: each connection gets a unique id, reported connected before any of its frames and disconnected
 * exactly once after its last frame; frames of one connection arrive whole and in order; a client that is slow or
 * silent never delays the frames of another; {@link #send} never blocks (a client that does not read is
 * disconnected when its bounded buffer fills); a frame that violates the framing disconnects only its own client.
 */
public interface ControlServer extends AutoCloseable {
    interface Listener {
        void onConnected(long connectionId);

        /** One request frame's payload; the array is the listener's to keep. */
        void onFrame(long connectionId, byte[] payload);

        /** The connection is gone; {@code reason} is for logs. */
        void onDisconnected(long connectionId, String reason);
    }

    /** Delivers up to {@code limit} events; returns how many. */
    int poll(Listener listener, int limit);

    /** Queues one response frame; false if the connection is gone (the response is dropped). */
    boolean send(long connectionId, byte[] payload);

    /** Closes one connection after its queued responses. */
    void disconnect(long connectionId);

    @Override
    void close();
}
