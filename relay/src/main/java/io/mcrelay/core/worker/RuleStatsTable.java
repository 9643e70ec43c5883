package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * The counters of the rules a worker holds, each in a numbered slot that sends carry in their user data so that a
 * completion finds its counters without a lookup: created when a rule arrives, retired when it goes (the object is
 * kept while sends to it are in flight, then its slot is reused), traced or not, and which of them the next heartbeat
 * carries ({@link CounterReport}). Sorted by id, so heartbeats list rules in a deterministic order. Not thread-safe:
 * the worker's thread owns it.
 */
final class RuleStatsTable {
    /** Bits of a send's user data that number the slot: at most 2^24 rules with sends in flight. */
    static final int SLOT_BITS = 24;

    // In id order, for heartbeats and retiring; lookups by id go to statsById, in O(1).
    private final TreeMap<RuleId, RuleStats> byId = new TreeMap<>();
    // Lookup only: never iterated, so its hash order cannot reach an output.
    private final HashMap<RuleId, RuleStats> statsById = new HashMap<>();
    private final TreeSet<RuleId> traced = new TreeSet<>();
    private final CounterReport report;
    private RuleStats[] slots = new RuleStats[64];
    private int[] freeSlots = new int[64];
    private int freeSlotCount;
    private int nextSlot;
    /** What the rules retired so far had counted in: kept so that no packet leaves the worker-wide identity. */
    private long removedPacketsIn;
    private long removedBytesIn;

    RuleStatsTable(final CounterReport report) {
        this.report = report;
    }

    /** The counters in {@code slot}, or {@code null}. The packet path: an array read. */
    RuleStats slot(final int slot) {
        return slots[slot];
    }

    /** Every slot, by number (a slot of {@code null} is free); the array changes as slots are added. */
    RuleStats[] slots() {
        return slots;
    }

    int size() {
        return byId.size();
    }

    /** Retires the counters of every rule {@code rules} no longer holds; tracing goes with the rule. */
    void retireAllBut(final RuleSet rules) {
        final List<RuleId> gone = new ArrayList<>();
        for (final RuleId id : byId.keySet()) {
            if (!rules.contains(id)) {
                gone.add(id);
            }
        }
        for (final RuleId id : gone) {
            retire(id);
        }
    }

    /** Retires the counters of rule {@code id}, gone from the worker's rules; tracing goes with the rule. */
    void retire(final RuleId id) {
        traced.remove(id); // tracing goes with the rule, as on the supervisor
        final RuleStats stats = statsById.remove(id);
        if (stats != null) {
            byId.remove(id);
            stats.retired = true;
            removedPacketsIn += stats.packetsIn; // no packet matches it any more: its packets in are final
            removedBytesIn += stats.bytesIn;
            releaseIfIdle(stats);
        }
    }

    /**
     * The counters of {@code rule}, created (and marked changed, so that the next heartbeat carries them: the
     * supervisor may still hold those of an earlier rule of that id) if it has none, and fitted to its outputs.
     */
    RuleStats statsFor(final Rule rule) {
        RuleStats stats = statsById.get(rule.id());
        if (stats == null) {
            stats = new RuleStats(rule.id(), allocateSlot(), rule.outputs().size());
            stats.traced = traced.contains(rule.id());
            slots[stats.slot] = stats;
            byId.put(rule.id(), stats);
            statsById.put(rule.id(), stats);
            report.mark(stats.slot);
        } else if (stats.resize(rule.outputs().size())) {
            report.mark(stats.slot);
        }
        return stats;
    }

    /** Packets that matched the rules retired so far (their {@code packetsIn} when each went). */
    long removedPacketsIn() {
        return removedPacketsIn;
    }

    /** The payload bytes of {@link #removedPacketsIn}. */
    long removedBytesIn() {
        return removedBytesIn;
    }

    /** The counters of rule {@code id}, or {@code null} when it has none. */
    RuleStats find(final RuleId id) {
        return statsById.get(id);
    }

    /** Tracing of rule {@code id} on or off; it applies to a rule that arrives later too. */
    void setTraced(final RuleId id, final boolean enabled) {
        if (enabled) {
            traced.add(id);
        } else {
            traced.remove(id);
        }
        final RuleStats stats = statsById.get(id);
        if (stats != null) {
            stats.traced = enabled;
        }
    }

    /** Frees the slot of retired counters once no send to them is in flight. */
    void releaseIfIdle(final RuleStats stats) {
        if (stats.retired && stats.inFlight == 0 && slots[stats.slot] == stats) {
            slots[stats.slot] = null;
            if (freeSlotCount == freeSlots.length) {
                freeSlots = java.util.Arrays.copyOf(freeSlots, freeSlots.length * 2);
            }
            freeSlots[freeSlotCount++] = stats.slot;
        }
    }

    private int allocateSlot() {
        if (freeSlotCount > 0) {
            return freeSlots[--freeSlotCount];
        }
        if (nextSlot == slots.length) {
            slots = java.util.Arrays.copyOf(slots, slots.length * 2);
        }
        if (nextSlot >= 1 << SLOT_BITS) {
            throw new IllegalStateException("out of rule slots");
        }
        report.ensureSlots(slots.length);
        return nextSlot++;
    }

    /** The counters of every rule held, in id order. */
    List<WorkerCounters.RuleCounters> all() {
        final List<WorkerCounters.RuleCounters> all = new ArrayList<>(byId.size());
        for (final RuleStats stats : byId.values()) {
            all.add(stats.snapshot());
        }
        return all;
    }

    /** The counters the next heartbeat carries (see {@link CounterReport#collect}). */
    List<WorkerCounters.RuleCounters> forHeartbeat() {
        return report.collect(byId, slots);
    }
}
