package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.Long2ObjectHashMap;

import io.mcrelay.rules.Rule;

/**
 * The worker's lookup structure, rebuilt from its {@link RuleSet} on every change: (input interface index,
 * destination group, port, source) → the rule's compiled form. A lookup allocates nothing. When a packet matches a
 * source-specific rule and a general one, the source-specific rule wins. Not thread-safe.
 */
public final class ForwardingTable {
    /** A rule ready for the packet path. */
    static final class Entry {
        final Rule rule;
        final int ifIndex;
        /** 0 for any source (0.0.0.0 is never a valid source). */
        final int source;
        final int[] destinations;
        final RuleStats stats;

        Entry(final Rule rule, final int ifIndex, final int source, final int[] destinations, final RuleStats stats) {
            this.rule = rule;
            this.ifIndex = ifIndex;
            this.source = source;
            this.destinations = destinations;
            this.stats = stats;
        }
    }

    private static final Entry[] NONE = new Entry[0];

    // Keyed by group and port; the few entries per key (interfaces, sources) are scanned.
    private final Long2ObjectHashMap<Entry[]> byGroupAndPort = new Long2ObjectHashMap<>();
    private int size;

    static long key(final int group, final int port) {
        return (long) group << 32 | port;
    }

    /** Replaces the contents with {@code entries}. */
    void rebuild(final List<Entry> entries) {
        byGroupAndPort.clear();
        final Long2ObjectHashMap<List<Entry>> grouped = new Long2ObjectHashMap<>();
        for (final Entry entry : entries) {
            final long key = key(entry.rule.input().group().ipv4Value(), entry.rule.input().port());
            List<Entry> list = grouped.get(key);
            if (list == null) {
                list = new ArrayList<>(2);
                grouped.put(key, list);
            }
            list.add(entry);
        }
        // Iteration order of `grouped` only decides insertion order into another map: it cannot reach an output.
        grouped.forEach((key, list) -> byGroupAndPort.put(key, list.toArray(NONE)));
        size = entries.size();
    }

    /** The entry for a packet, or {@code null} when no rule matches. */
    Entry lookup(final int ifIndex, final int group, final int port, final int source) {
        final Entry[] candidates = byGroupAndPort.get(key(group, port));
        if (candidates == null) {
            return null;
        }
        Entry general = null;
        for (final Entry candidate : candidates) {
            if (candidate.ifIndex == ifIndex) {
                if (candidate.source == source && source != 0) {
                    return candidate;
                }
                if (candidate.source == 0) {
                    general = candidate;
                }
            }
        }
        return general;
    }

    int size() {
        return size;
    }
}
