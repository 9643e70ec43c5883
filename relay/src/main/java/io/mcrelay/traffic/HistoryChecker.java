package io.mcrelay.traffic;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges a run's {@link History}, in the manner of Jepsen's checkers: given every packet sent and received and the
 * declared fault windows, it reports what a relay must never do — lose a packet sent outside every fault window,
 * deliver one twice, deliver one to another flow's socket, corrupt one, reorder a flow — and, for each window, how
 * long after its end the relay forwarded everything again. Tests assert through its {@link Report}; it never decides
 * what is acceptable itself. Stateless; the report lists at most {@link #SAMPLES_MAX} examples of each finding.
 */
public final class HistoryChecker {
    /** Examples kept per finding: enough to read what went wrong, bounded for huge runs. */
    public static final int SAMPLES_MAX = 20;
    /** {@link WindowRecovery#recoveryNs} of a window after which forwarding never became complete. */
    public static final long NEVER = -1;

    /** A packet identified by its flow and sequence number. */
    public record PacketId(int flow, long seq) {
    }

    /** How one fault window ended: packets lost inside it, and the time from its end to complete forwarding. */
    public record WindowRecovery(History.FaultWindow window, long lostInside, long recoveryNs) {
    }

    /**
     * What the checker found. Counts are exact; the lists hold at most {@link #SAMPLES_MAX} examples each.
     *
     * @param lostOutsideWindows packets sent outside every fault window that never arrived
     * @param duplicates         arrivals of a packet beyond its first
     * @param leaks              packets that arrived on the socket of another flow than their own
     * @param corrupt            arrivals of our run whose checksum or length did not match
     * @param foreign            arrivals of no traffic-kit packet, or of another run
     * @param reordered          arrivals with a lower sequence number than one already received in the same flow
     */
    public record Report(long sent, long received, long lostOutsideWindows, List<History.Sent> lostSamples,
                         long duplicates, List<PacketId> duplicateSamples, long leaks,
                         List<History.Received> leakSamples, long corrupt, long foreign, long reordered,
                         List<WindowRecovery> windows) {
        /** True when nothing a relay must never do happened (reordering included). */
        public boolean clean() {
            return lostOutsideWindows == 0 && duplicates == 0 && leaks == 0 && corrupt == 0 && reordered == 0;
        }

        /** One paragraph for a test failure: the counts, then the first examples. */
        public String describe() {
            final StringBuilder text = new StringBuilder().append("sent ").append(sent).append(", received ")
                .append(received).append(", lost outside fault windows ").append(lostOutsideWindows)
                .append(", duplicates ").append(duplicates).append(", cross-flow ").append(leaks)
                .append(", corrupt ").append(corrupt).append(", foreign ").append(foreign).append(", reordered ")
                .append(reordered);
            for (final WindowRecovery window : windows) {
                text.append("; window ").append(window.window().name()).append(": lost ")
                    .append(window.lostInside()).append(", forwarding complete ")
                    .append(window.recoveryNs() == NEVER ? "never" : window.recoveryNs() / 1_000_000 + " ms")
                    .append(" after its end");
            }
            if (!lostSamples.isEmpty()) {
                text.append("\nfirst lost: ").append(lostSamples);
            }
            if (!duplicateSamples.isEmpty()) {
                text.append("\nfirst duplicates: ").append(duplicateSamples);
            }
            if (!leakSamples.isEmpty()) {
                text.append("\nfirst cross-flow arrivals: ").append(leakSamples);
            }
            return text.toString();
        }
    }

    private HistoryChecker() {
    }

    /** Judges {@code history}. */
    public static Report check(final History history) {
        final List<History.Sent> sent = history.sent();
        final List<History.FaultWindow> windows = history.windows();
        // Arrivals of our run's intact packets, by identity (lookup only: never iterated into the report).
        final Map<PacketId, Integer> arrivals = new HashMap<>();
        final Map<Integer, Long> highestSeqByFlow = new HashMap<>();
        long duplicates = 0;
        long leaks = 0;
        long corrupt = 0;
        long foreign = 0;
        long reordered = 0;
        final List<PacketId> duplicateSamples = new ArrayList<>();
        final List<History.Received> leakSamples = new ArrayList<>();
        for (final History.Received arrival : history.received()) {
            if (arrival.status() == TrafficPayload.CORRUPT) {
                corrupt++;
                continue;
            }
            if (arrival.status() != TrafficPayload.OK) {
                foreign++;
                continue;
            }
            final PacketId id = new PacketId(arrival.flow(), arrival.seq());
            if (arrivals.merge(id, 1, Integer::sum) > 1) {
                duplicates++;
                sample(duplicateSamples, id);
            }
            if (arrival.arrivedFlow() != arrival.flow()) {
                leaks++;
                sample(leakSamples, arrival);
            }
            final Long highest = highestSeqByFlow.get(arrival.flow());
            if (highest != null && arrival.seq() < highest) {
                reordered++;
            } else {
                highestSeqByFlow.put(arrival.flow(), arrival.seq());
            }
        }

        long lostOutside = 0;
        final List<History.Sent> lostSamples = new ArrayList<>();
        final long[] lostInside = new long[windows.size()];
        // The latest lost send after each window's end (and before the next window), in send order.
        final long[] lastLossAfterNs = new long[windows.size()];
        java.util.Arrays.fill(lastLossAfterNs, Long.MIN_VALUE);
        final TreeMap<Long, Integer> windowByEnd = new TreeMap<>();
        for (int i = 0; i < windows.size(); i++) {
            windowByEnd.merge(windows.get(i).endNs(), i, Math::max);
        }
        for (final History.Sent packet : sent) {
            if (arrivals.containsKey(new PacketId(packet.flow(), packet.seq()))) {
                continue;
            }
            final int inside = windowContaining(windows, packet.sentNs());
            if (inside >= 0) {
                lostInside[inside]++;
                continue;
            }
            lostOutside++;
            sample(lostSamples, packet);
            final Map.Entry<Long, Integer> before = windowByEnd.lowerEntry(packet.sentNs());
            if (before != null) {
                lastLossAfterNs[before.getValue()] = Math.max(lastLossAfterNs[before.getValue()], packet.sentNs());
            }
        }

        final List<WindowRecovery> recoveries = new ArrayList<>();
        for (int i = 0; i < windows.size(); i++) {
            final History.FaultWindow window = windows.get(i);
            recoveries.add(new WindowRecovery(window, lostInside[i],
                recoveryNs(sent, window, lastLossAfterNs[i])));
        }
        return new Report(sent.size(), history.received().size(), lostOutside, List.copyOf(lostSamples), duplicates,
            List.copyOf(duplicateSamples), leaks, List.copyOf(leakSamples), corrupt, foreign, reordered,
            List.copyOf(recoveries));
    }

    /**
     * From the window's end to the first send after its last loss (0 when nothing sent after it was lost);
     * {@link #NEVER} when the last send after the window was lost.
     */
    private static long recoveryNs(final List<History.Sent> sent, final History.FaultWindow window,
                                   final long lastLossNs) {
        if (lastLossNs == Long.MIN_VALUE) {
            return 0;
        }
        long firstAfterLossNs = Long.MAX_VALUE;
        for (final History.Sent packet : sent) {
            if (packet.sentNs() > lastLossNs && packet.sentNs() < firstAfterLossNs) {
                firstAfterLossNs = packet.sentNs();
            }
        }
        return firstAfterLossNs == Long.MAX_VALUE ? NEVER : firstAfterLossNs - window.endNs();
    }

    private static int windowContaining(final List<History.FaultWindow> windows, final long ns) {
        for (int i = 0; i < windows.size(); i++) {
            if (windows.get(i).contains(ns)) {
                return i;
            }
        }
        return -1;
    }

    private static <T> void sample(final List<T> samples, final T item) {
        if (samples.size() < SAMPLES_MAX) {
            samples.add(item);
        }
    }
}
