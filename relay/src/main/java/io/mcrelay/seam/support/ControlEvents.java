package io.mcrelay.seam.support;

import java.util.ArrayDeque;

import io.mcrelay.seam.ControlServer;

/**
 * The queue of a {@link ControlServer}'s events, delivered in the order they happened: what every control server,
 * real or simulated, keeps between reading its clients and its caller's next {@link ControlServer#poll}. Not
 * thread-safe.
 */
public final class ControlEvents {
    private enum Kind { CONNECTED, FRAME, DISCONNECTED }

    private record Event(Kind kind, long connectionId, byte[] payload, String reason) {
    }

    private final ArrayDeque<Event> events = new ArrayDeque<>();

    /** A client connected. */
    public void connected(final long connectionId) {
        events.addLast(new Event(Kind.CONNECTED, connectionId, null, null));
    }

    /** One whole frame of a client; the array goes to the listener. */
    public void frame(final long connectionId, final byte[] payload) {
        events.addLast(new Event(Kind.FRAME, connectionId, payload, null));
    }

    /** The connection is gone, for {@code reason}. */
    public void disconnected(final long connectionId, final String reason) {
        events.addLast(new Event(Kind.DISCONNECTED, connectionId, null, reason));
    }

    /** Drops the frames of a connection not delivered yet: the server ended it, so its requests are not served. */
    public void discardFrames(final long connectionId) {
        events.removeIf(event -> event.connectionId() == connectionId && event.kind() == Kind.FRAME);
    }

    /** How many events wait. */
    public int size() {
        return events.size();
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    /** Forgets every waiting event (the server is closing, and its listener with it). */
    public void clear() {
        events.clear();
    }

    /** Delivers up to {@code limit} events in order; returns how many. A listener may add or drop events meanwhile. */
    public int deliver(final ControlServer.Listener listener, final int limit) {
        int delivered = 0;
        while (delivered < limit && !events.isEmpty()) {
            final Event event = events.pollFirst();
            delivered++;
            switch (event.kind()) {
                case CONNECTED -> listener.onConnected(event.connectionId());
                case FRAME -> listener.onFrame(event.connectionId(), event.payload());
                case DISCONNECTED -> listener.onDisconnected(event.connectionId(), event.reason());
            }
        }
        assert delivered <= limit;
        return delivered;
    }
}
