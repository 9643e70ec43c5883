package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.RuleId;

/**
 * One worker incarnation's counters as the supervisor knows them, put together from its heartbeats: the worker-wide
 * counters and the inputs of the newest heartbeat, and for each rule the values of the newest heartbeat that carried
 * it (a heartbeat carries only the rules whose counters changed, and a slow refresh of the others). Values are
 * absolute, and each heartbeat has a sequence number, so a heartbeat seen twice or late neither counts twice nor moves
 * a counter back: a rule's values are replaced only by those of a higher sequence. Whether a sequence was seen is
 * remembered for the {@value #SEEN_WINDOW} before the newest ({@link #take}), which decides whether a heartbeat's trace
 * events are new.
 *
 * <p>Rules are kept only while the table holds them ({@link #prune}); a rule's rate is its change over the newest
 * heartbeat interval, 0 if the newest heartbeat did not carry it (it did not change). Not thread-safe.
 */
final class LiveCounters {
    /** Sequences before the newest whose sighting is remembered. */
    static final int SEEN_WINDOW = 64;

    /** What a heartbeat was, by its sequence. */
    enum Sight {
        /** Newer than any before: it says where the worker is now. */
        NEWEST,
        /** Older than the newest, not seen before: late (reordered or delayed). */
        LATE,
        /** Seen before, or too old to tell: its trace events are not new. */
        SEEN
    }

    /** A rule's values: the newest, the ones they replaced, and the sequence they came with. */
    private static final class RuleEntry {
        long sequence;
        WorkerCounters.RuleCounters latest;
        WorkerCounters.RuleCounters previous;
    }

    private long newestSequence = -1;
    /** Bit {@code i}: sequence {@code newestSequence - i} was seen. */
    private long seen;
    private long newestAtNs = -1;
    private long intervalNs;
    private WorkerCounters newest = WorkerCounters.ZERO;
    private final TreeMap<RuleId, RuleEntry> rules = new TreeMap<>();
    private long prunedAtEpoch = -1;

    /**
     * Takes in a heartbeat received at {@code nowNs}: its worker-wide counters if it is the newest, and each rule's
     * values that are newer than those held, for the rules {@code held} says the table holds.
     */
    Sight take(final WorkerMessage.Heartbeat heartbeat, final long nowNs, final Predicate<RuleId> held) {
        final long sequence = heartbeat.sequence();
        final Sight sight = sight(sequence);
        if (sight == Sight.NEWEST) {
            intervalNs = newestAtNs < 0 ? 0 : nowNs - newestAtNs;
            newestAtNs = nowNs;
            newest = heartbeat.counters();
        }
        for (final WorkerCounters.RuleCounters rule : heartbeat.counters().rules()) {
            if (!held.test(rule.id())) {
                continue; // removed from the table (a late heartbeat): no longer reported
            }
            final RuleEntry entry = rules.computeIfAbsent(rule.id(), id -> new RuleEntry());
            if (entry.latest == null || sequence > entry.sequence) {
                entry.previous = entry.latest;
                entry.latest = rule;
                entry.sequence = sequence;
            }
        }
        assert newestSequence >= sequence;
        return sight;
    }

    private Sight sight(final long sequence) {
        if (sequence > newestSequence) {
            final long shift = sequence - newestSequence;
            seen = (shift >= SEEN_WINDOW || newestSequence < 0 ? 0 : seen << shift) | 1;
            newestSequence = sequence;
            return Sight.NEWEST;
        }
        final long back = newestSequence - sequence;
        if (back >= SEEN_WINDOW || (seen & 1L << back) != 0) {
            return Sight.SEEN;
        }
        seen |= 1L << back;
        return Sight.LATE;
    }

    /** Forgets the rules the table no longer holds; at most once per table epoch, which is when that changes. */
    void prune(final long tableEpoch, final Predicate<RuleId> held) {
        if (tableEpoch == prunedAtEpoch) {
            return;
        }
        prunedAtEpoch = tableEpoch;
        for (final Iterator<Map.Entry<RuleId, RuleEntry>> it = rules.entrySet().iterator(); it.hasNext();) {
            if (!held.test(it.next().getKey())) {
                it.remove();
            }
        }
    }

    /** The newest worker-wide counters, with every rule's newest values: what this incarnation counted. */
    WorkerCounters snapshot() {
        final List<WorkerCounters.RuleCounters> all = new ArrayList<>(rules.size());
        for (final RuleEntry entry : rules.values()) {
            all.add(entry.latest);
        }
        return new WorkerCounters(newest.framesReceived(), newest.unmatched(), newest.malformed(), newest.fragments(),
            newest.removedPacketsIn(), newest.removedBytesIn(), newest.inputs(), all);
    }

    /** The newest worker-wide counters and inputs (their {@code rules} are only what that heartbeat carried). */
    WorkerCounters newest() {
        return newest;
    }

    /** Rule {@code id}'s newest values, or {@code null} if none came. */
    WorkerCounters.RuleCounters rule(final RuleId id) {
        final RuleEntry entry = rules.get(id);
        return entry == null ? null : entry.latest;
    }

    /**
     * Rule {@code id}'s packets and payload bytes per second over the newest heartbeat interval, added to
     * {@code rate}: nothing when the newest heartbeat did not carry it (it did not change) or there is no interval.
     */
    void addRate(final RuleId id, final double[] rate) {
        final RuleEntry entry = rules.get(id);
        if (entry == null || entry.sequence != newestSequence || intervalNs <= 0) {
            return;
        }
        final double seconds = intervalNs / 1e9;
        final long packets = entry.latest.packetsIn() - (entry.previous == null ? 0 : entry.previous.packetsIn());
        final long bytes = entry.latest.bytesIn() - (entry.previous == null ? 0 : entry.previous.bytesIn());
        rate[0] += Math.max(0, packets) / seconds;
        rate[1] += Math.max(0, bytes) / seconds;
    }

    /** The newest sequence taken in, or -1. */
    long newestSequence() {
        return newestSequence;
    }

    /** Rules whose values are held. */
    int ruleCount() {
        return rules.size();
    }
}
