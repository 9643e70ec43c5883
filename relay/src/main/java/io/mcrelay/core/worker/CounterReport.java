package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.RuleId;

/**
 * Which rules' counters a heartbeat carries: every rule whose counters changed since the last heartbeat that was
 * sent, and a slow round-robin refresh, in id order, so that every rule's counters are sent at least once every
 * {@link #REFRESH_PERIOD_NS} even when nothing changes (what a heartbeat lost on its way carried comes again). Values
 * are cumulative, so a heartbeat carries what is true, never an increment: an idle table costs its heartbeats
 * nothing but the refresh's rules.
 *
 * <p>A change is a bit per rule slot, set on the packet path ({@link #mark}: one OR, no allocation, no branch); the
 * bits are cleared only once a heartbeat carrying them was sent ({@link #sent}), so a heartbeat the channel refused
 * loses nothing. The refresh spreads one period's rules evenly over its heartbeats: heartbeat {@code h} of the
 * period takes the rules from {@code floor(h × rules / H)} to {@code floor((h + 1) × rules / H)}, where {@code H}
 * is the heartbeats in a period (at most {@code ⌈rules / H⌉} rules, 1 at most up to {@code H} rules). Not
 * thread-safe.
 */
final class CounterReport {
    /**
     * Every rule's counters are sent at least this often: 24 hours. What a refresh repairs is rare (a heartbeat lost
     * on its way; one the channel refused is sent again whole), and at 65,536 rules and 4 heartbeats a second a
     * shorter period would cost an idle worker's journal more than its heartbeats do (about 20 bytes a rule).
     */
    static final long REFRESH_PERIOD_NS = 24L * 3_600_000_000_000L;

    private final long heartbeatsPerPeriod;
    private long[] changed = new long[1];
    /** Heartbeats sent in the current refresh period, and the last rule the refresh sent. */
    private long heartbeatInPeriod;
    private RuleId refreshedUpTo;
    /** What the heartbeat being built would move them to once sent. */
    private RuleId refreshingUpTo;

    CounterReport(final long heartbeatIntervalNs) {
        if (heartbeatIntervalNs <= 0) {
            throw new IllegalArgumentException("heartbeat interval must be positive: " + heartbeatIntervalNs);
        }
        heartbeatsPerPeriod = Math.max(1, REFRESH_PERIOD_NS / heartbeatIntervalNs);
    }

    /** Makes room for slots {@code 0} to {@code slots - 1}; off the packet path (when a rule slot is allocated). */
    void ensureSlots(final int slots) {
        final int words = (slots + 63) >>> 6;
        if (words > changed.length) {
            changed = Arrays.copyOf(changed, Math.max(words, changed.length * 2));
        }
    }

    /** The counters of the rule in {@code slot} changed. The packet path: no allocation. */
    void mark(final int slot) {
        changed[slot >>> 6] |= 1L << slot; // a shift by slot uses its low 6 bits: the bit within the word
    }

    /** Whether the rule in {@code slot} changed since the last heartbeat sent (for tests). */
    boolean isMarked(final int slot) {
        return (changed[slot >>> 6] & 1L << slot) != 0;
    }

    /**
     * The counters the next heartbeat carries, sorted by rule id: the changed rules among {@code statsById} (the
     * rules held), then the refresh's share. {@code slots} maps a slot to its counters.
     */
    List<WorkerCounters.RuleCounters> collect(final TreeMap<RuleId, RuleStats> statsById, final RuleStats[] slots) {
        final TreeMap<RuleId, WorkerCounters.RuleCounters> out = new TreeMap<>();
        for (int word = 0; word < changed.length; word++) {
            long bits = changed[word];
            while (bits != 0) {
                final int slot = word << 6 | Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                final RuleStats stats = slot < slots.length ? slots[slot] : null;
                // A slot may hold a removed rule still completing sends, or another rule by now: only held rules go.
                if (stats != null && !stats.retired && statsById.get(stats.id) == stats) {
                    out.put(stats.id, stats.snapshot());
                }
            }
        }
        final int rules = statsById.size();
        final long h = heartbeatInPeriod % heartbeatsPerPeriod;
        final long due = (h + 1) * rules / heartbeatsPerPeriod - h * rules / heartbeatsPerPeriod;
        refreshingUpTo = refreshedUpTo;
        for (long i = 0; i < due && rules > 0; i++) {
            final Map.Entry<RuleId, RuleStats> next = refreshingUpTo == null ? statsById.firstEntry()
                : statsById.higherEntry(refreshingUpTo);
            final Map.Entry<RuleId, RuleStats> entry = next != null ? next : statsById.firstEntry(); // wrap around
            out.putIfAbsent(entry.getKey(), entry.getValue().snapshot());
            refreshingUpTo = entry.getKey();
        }
        return new ArrayList<>(out.values());
    }

    /** The heartbeat built by the last {@link #collect} was sent: its changes are reported, its refresh done. */
    void sent() {
        Arrays.fill(changed, 0);
        refreshedUpTo = refreshingUpTo;
        heartbeatInPeriod++;
    }
}
