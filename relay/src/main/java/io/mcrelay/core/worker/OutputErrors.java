package io.mcrelay.core.worker;

import java.util.Arrays;

import org.agrona.collections.Int2ObjectHashMap;

/**
 * The kernel's later reports on packets already sent (the destination sockets' error queues), counted in the
 * {@code errors} of every rule output that sends through the reported destination (several outputs, of one rule or
 * of several, may share one). Which outputs use which destination is rebuilt with the forwarding table, or changed
 * with it in place for an Apply ({@link WorkerTable}); a report is
 * looked up without allocating. Not thread-safe: the worker's thread owns it.
 */
final class OutputErrors {
    private static final int OUTPUT_BITS = 16;

    /** The users of one destination gathered by a rebuild, in the order they were given. */
    private static final class Gathered {
        long[] packed = new long[2];
        int size;

        void add(final long user) {
            if (size == packed.length) {
                packed = Arrays.copyOf(packed, size * 2);
            }
            packed[size++] = user;
        }
    }

    // Looked up, and iterated only to fill users, whose layout does not depend on the order it is filled in.
    private final Int2ObjectHashMap<Gathered> building = new Int2ObjectHashMap<>();
    // Looked up, never iterated.
    private final Int2ObjectHashMap<long[]> users = new Int2ObjectHashMap<>();
    private long reports;

    /** Starts a new table of users. */
    void startRebuild() {
        building.clear();
    }

    /** Output {@code output} of the rule in slot {@code slot} sends through {@code destination}. */
    void sendsThrough(final int destination, final int slot, final int output) {
        Gathered gathered = building.get(destination);
        if (gathered == null) {
            gathered = new Gathered();
            building.put(destination, gathered);
        }
        gathered.add((long) slot << OUTPUT_BITS | output);
    }

    /** Makes the users given since {@link #startRebuild} the table. */
    void finishRebuild() {
        users.clear();
        building.forEachInt((destination, gathered) -> users.put(destination,
            Arrays.copyOf(gathered.packed, gathered.size)));
    }

    /** Output {@code output} of the rule in slot {@code slot} sends through {@code destination} (a change in place). */
    void add(final int destination, final int slot, final int output) {
        final long user = (long) slot << OUTPUT_BITS | output;
        final long[] outputs = users.get(destination);
        if (outputs == null) {
            users.put(destination, new long[] {user});
        } else {
            final long[] grown = Arrays.copyOf(outputs, outputs.length + 1);
            grown[outputs.length] = user;
            users.put(destination, grown);
        }
    }

    /** Output {@code output} of the rule in slot {@code slot} no longer sends through {@code destination}. */
    void remove(final int destination, final int slot, final int output) {
        final long user = (long) slot << OUTPUT_BITS | output;
        final long[] outputs = users.get(destination);
        for (int i = 0; outputs != null && i < outputs.length; i++) {
            if (outputs[i] == user) {
                if (outputs.length == 1) {
                    users.remove(destination);
                } else {
                    final long[] shrunk = new long[outputs.length - 1];
                    System.arraycopy(outputs, 0, shrunk, 0, i);
                    System.arraycopy(outputs, i + 1, shrunk, i, outputs.length - i - 1);
                    users.put(destination, shrunk);
                }
                return;
            }
        }
        assert false : "output " + output + " of slot " + slot + " did not send through " + destination;
    }

    /**
     * One report for {@code destination}: each output sending through it counts it, if its rule is still there, and
     * the rule's counters are marked changed in {@code report}.
     */
    void onReport(final int destination, final RuleStats[] slots, final CounterReport report) {
        reports++;
        final long[] outputs = users.get(destination);
        if (outputs != null) {
            for (final long user : outputs) {
                final RuleStats stats = slots[(int) (user >>> OUTPUT_BITS)];
                final int output = (int) (user & ((1 << OUTPUT_BITS) - 1));
                if (stats != null && output < stats.errors.length) {
                    stats.errors[output]++;
                    report.mark(stats.slot);
                }
            }
        }
    }

    /** Reports received since the worker started. */
    long reports() {
        return reports;
    }
}
