package io.mcrelay.seam;

import java.util.List;

/**
 * Network interfaces and their changes. Production: a {@code NETLINK_ROUTE} socket subscribed to link and address
 * groups; simulation: scripted link events.
 *
 * <p>Contract: {@link #links()} is a snapshot sorted by name; every change after it is reported by {@link #poll}
 * exactly once, in the order it happened; an interface deleted and created again under the same name is reported as
 * {@link LinkEvent.Kind#REMOVED} then {@link LinkEvent.Kind#ADDED} with its new index.
 */
public interface LinkMonitor extends AutoCloseable {
    /** An interface as it is now. */
    record LinkState(String name, int ifIndex, boolean up) {
    }

    /** A change to an interface. */
    record LinkEvent(Kind kind, String name, int ifIndex) {
        public enum Kind { ADDED, UP, DOWN, REMOVED, ADDRESS_CHANGED }
    }

    @FunctionalInterface
    interface Listener {
        void onLinkEvent(LinkEvent event);
    }

    /** Every interface that exists now, sorted by name. */
    List<LinkState> links();

    /** Delivers up to {@code limit} changes; returns how many. */
    int poll(Listener listener, int limit);

    @Override
    void close();
}
