package io.mcrelay.traffic;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The record of one traffic run: every packet the generator sent and every packet the sink received, each with its
 * time on the host's monotonic clock (the same clock in every process and namespace of one machine), plus the fault
 * windows a test declares. What {@link HistoryChecker} judges. Not thread-safe: one recorder fills it.
 */
public final class History {
    /** A packet the generator sent. */
    public record Sent(int flow, long seq, long sentNs) {
    }

    /**
     * A packet the sink received on the socket of flow {@code arrivedFlow}; {@code status} as {@link TrafficPayload}
     * says; {@code flow} and {@code seq} are the payload's (meaningful when the status is OK).
     */
    public record Received(int arrivedFlow, int flow, long seq, long receivedNs, int status) {
    }

    /**
     * A fault a test caused or observed, from {@code startNs} until the observed event that ends it at {@code endNs}
     * (a replacement worker ready, a link up: never a fixed duration). Packets sent inside it may be lost.
     */
    public record FaultWindow(String name, long startNs, long endNs) {
        public FaultWindow {
            Objects.requireNonNull(name, "name");
            if (endNs < startNs) {
                throw new IllegalArgumentException("fault window " + name + " ends before it starts");
            }
        }

        boolean contains(final long ns) {
            return ns >= startNs && ns <= endNs;
        }
    }

    private final List<Sent> sent = new ArrayList<>();
    private final List<Received> received = new ArrayList<>();
    private final List<FaultWindow> windows = new ArrayList<>();

    public void sent(final int flow, final long seq, final long sentNs) {
        sent.add(new Sent(flow, seq, sentNs));
    }

    public void received(final int arrivedFlow, final int flow, final long seq, final long receivedNs,
                         final int status) {
        received.add(new Received(arrivedFlow, flow, seq, receivedNs, status));
    }

    public void window(final String name, final long startNs, final long endNs) {
        windows.add(new FaultWindow(name, startNs, endNs));
    }

    /** In the order recorded. */
    public List<Sent> sent() {
        return List.copyOf(sent);
    }

    /** In the order of arrival. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<FaultWindow> windows() {
        return List.copyOf(windows);
    }
}
