package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.Long2ObjectHashMap;

import io.mcrelay.rules.Rule;

/**
 * The worker's lookup structure, rebuilt from its {@link RuleSet} after a Sync or an interface change and changed
 * entry by entry for an Apply: (input interface index,
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

    /** Adds {@code entry} (a change in place; its input is no other entry's). */
    void put(final Entry entry) {
        final long key = key(entry.rule.input().group().ipv4Value(), entry.rule.input().port());
        final Entry[] candidates = byGroupAndPort.get(key);
        if (candidates == null) {
            byGroupAndPort.put(key, new Entry[] {entry});
        } else {
            final Entry[] grown = java.util.Arrays.copyOf(candidates, candidates.length + 1);
            grown[candidates.length] = entry;
            byGroupAndPort.put(key, grown);
        }
        size++;
    }

    /** Removes {@code entry}, the very object added (a change in place); false if it was not there. */
    boolean remove(final Entry entry) {
        final long key = key(entry.rule.input().group().ipv4Value(), entry.rule.input().port());
        final Entry[] candidates = byGroupAndPort.get(key);
        for (int i = 0; candidates != null && i < candidates.length; i++) {
            if (candidates[i] == entry) {
                if (candidates.length == 1) {
                    byGroupAndPort.remove(key);
                } else {
                    final Entry[] shrunk = new Entry[candidates.length - 1];
                    System.arraycopy(candidates, 0, shrunk, 0, i);
                    System.arraycopy(candidates, i + 1, shrunk, i, candidates.length - i - 1);
                    byGroupAndPort.put(key, shrunk);
                }
                size--;
                return true;
            }
        }
        return false;
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
