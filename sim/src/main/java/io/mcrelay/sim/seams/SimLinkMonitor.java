package io.mcrelay.sim.seams;

import java.util.ArrayDeque;
import java.util.List;

import io.mcrelay.seam.LinkMonitor;

/**
 * A {@link LinkMonitor} over a {@link SimNetwork}: every change the network makes after the monitor was created
 * ({@link SimNetwork#createLink}, {@link SimNetwork#setUp}, {@link SimNetwork#deleteLink}) is queued as an event, in
 * the order it happened, and delivered once by {@link #poll}. A deleted up link is reported {@code DOWN} then
 * {@code REMOVED}, as the kernel announces closing a device before unregistering it.
 *
 * <p>The queue is bounded: where netlink would overflow ({@code ENOBUFS}) and lose events, which the seam has no way
 * to report yet, the simulation stops with an {@link IllegalStateException} rather than go on with a wrong picture.
 *
 * <p>Single-threaded: created by {@link SimNetwork#monitor()} and driven by the simulator's one thread.
 */
public final class SimLinkMonitor implements LinkMonitor {
    private final SimNetwork network;
    private final ArrayDeque<LinkEvent> events = new ArrayDeque<>();
    private final int capacityEvents;
    private boolean closed;

    SimLinkMonitor(final SimNetwork network, final int capacityEvents) {
        if (capacityEvents <= 0) {
            throw new IllegalArgumentException("event capacity must be positive: " + capacityEvents);
        }
        this.network = network;
        this.capacityEvents = capacityEvents;
    }

    @Override
    public List<LinkState> links() {
        if (closed) {
            throw new IllegalStateException("link monitor is closed");
        }
        return network.links();
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        int delivered = 0;
        while (delivered < limit && !events.isEmpty()) {
            // Removed before the call: a listener that changes the network sees its own events queued after.
            final LinkEvent event = events.pollFirst();
            delivered++;
            listener.onLinkEvent(event);
        }
        assert delivered <= limit && events.size() <= capacityEvents;
        return delivered;
    }

    /** Events waiting to be polled. */
    public int pending() {
        return events.size();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            events.clear();
            network.detach(this);
        }
    }

    /** Called by the network for each change, in order. */
    void offer(final LinkEvent event) {
        assert !closed && event != null;
        if (events.size() == capacityEvents) {
            throw new IllegalStateException("link monitor overflowed: " + capacityEvents
                + " events not polled (netlink would lose events here: ENOBUFS)");
        }
        events.addLast(event);
    }
}
