package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.core.worker.RuleStats;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleOutput;

/**
 * Totals that survive worker restarts: the counters of every ended worker incarnation are folded into a base, and a
 * report adds what the live workers' heartbeats said ({@link LiveCounters}: per rule, the newest values any heartbeat
 * carried) to it. Per-output counters are kept by output position. Not thread-safe.
 */
final class StatsAggregator {
    private static final class Totals {
        long packetsIn;
        long bytesIn;
        long dropsBufferFull;
        long dropsNoBufferSpace;
        long dropsSendError;
        long dropsLinkDown;
        long[] packetsOut = new long[0];
        long[] bytesOut = new long[0];
        long[] errors = new long[0];

        void add(final WorkerCounters.RuleCounters counters) {
            packetsIn += counters.packetsIn();
            bytesIn += counters.bytesIn();
            dropsBufferFull += counters.dropsBufferFull();
            dropsNoBufferSpace += counters.dropsNoBufferSpace();
            dropsSendError += counters.dropsSendError();
            dropsLinkDown += counters.dropsLinkDown();
            final int outputs = counters.outputs().size();
            if (outputs > packetsOut.length) {
                packetsOut = java.util.Arrays.copyOf(packetsOut, outputs);
                bytesOut = java.util.Arrays.copyOf(bytesOut, outputs);
                errors = java.util.Arrays.copyOf(errors, outputs);
            }
            for (int i = 0; i < outputs; i++) {
                final WorkerCounters.OutputCounters output = counters.outputs().get(i);
                packetsOut[i] += output.packetsOut();
                bytesOut[i] += output.bytesOut();
                errors[i] += output.errors();
            }
        }

        Totals copy() {
            final Totals copy = new Totals();
            copy.packetsIn = packetsIn;
            copy.bytesIn = bytesIn;
            copy.dropsBufferFull = dropsBufferFull;
            copy.dropsNoBufferSpace = dropsNoBufferSpace;
            copy.dropsSendError = dropsSendError;
            copy.dropsLinkDown = dropsLinkDown;
            copy.packetsOut = packetsOut.clone();
            copy.bytesOut = bytesOut.clone();
            copy.errors = errors.clone();
            return copy;
        }
    }

    /** An input interface on one worker slot: where {@code inputs[]} totals are kept. */
    private record InputKey(String interfaceName, int worker) implements Comparable<InputKey> {
        @Override
        public int compareTo(final InputKey other) {
            final int byName = interfaceName.compareTo(other.interfaceName);
            return byName != 0 ? byName : Integer.compare(worker, other.worker);
        }
    }

    private final TreeMap<RuleId, Totals> base = new TreeMap<>();
    /** Per input and worker slot: packets, ring full, staging full, of ended incarnations. */
    private final TreeMap<InputKey, long[]> baseInputs = new TreeMap<>();
    private long baseUnmatched;
    private long baseMalformed;
    private long baseFragments;
    private long baseFramesReceived;
    /** Packets in and bytes in of removed rules: ended incarnations' removals, and removed rules' base totals. */
    private long baseRemovedPacketsIn;
    private long baseRemovedBytesIn;

    /** Folds the final counters of an ended incarnation of worker {@code workerIndex} into the base. */
    void retire(final int workerIndex, final WorkerCounters counters) {
        addInputs(baseInputs, workerIndex, counters);
        baseFramesReceived += counters.framesReceived();
        baseUnmatched += counters.unmatched();
        baseMalformed += counters.malformed();
        baseFragments += counters.fragments();
        baseRemovedPacketsIn += counters.removedPacketsIn();
        baseRemovedBytesIn += counters.removedBytesIn();
        for (final WorkerCounters.RuleCounters rule : counters.rules()) {
            base.computeIfAbsent(rule.id(), id -> new Totals()).add(rule);
        }
    }

    /**
     * Rule {@code id} left the table: what ended incarnations counted for it moves to the removed rules' totals (a
     * live worker moves its own share there when it applies the removal), and a rule of that id added later starts
     * from zero.
     */
    void forget(final RuleId id) {
        final Totals gone = base.remove(id);
        if (gone != null) {
            baseRemovedPacketsIn += gone.packetsIn;
            baseRemovedBytesIn += gone.bytesIn;
        }
    }

    /** One live worker's counters, as its heartbeats made them up. */
    record Live(int workerIndex, LiveCounters counters) {
    }

    private static void addInputs(final TreeMap<InputKey, long[]> into, final int workerIndex,
                                  final WorkerCounters counters) {
        for (final WorkerCounters.InputCounters input : counters.inputs()) {
            final long[] sums = into.computeIfAbsent(new InputKey(input.interfaceName(), workerIndex),
                key -> new long[3]);
            sums[0] += input.packets();
            sums[1] += input.ringFull();
            sums[2] += input.stagingFull();
        }
    }

    /** The {@code stats} report for the rules of {@code table}, with live workers' counters added. */
    ControlResponse.StatsReport report(
        final long requestId, final List<Rule> table, final List<Live> live,
        final List<ControlResponse.WorkerInfo> workers, final ControlResponse.JournalState journal) {
        final TreeMap<RuleId, Totals> sums = new TreeMap<>();
        for (final Rule rule : table) {
            final Totals baseTotals = base.get(rule.id());
            sums.put(rule.id(), baseTotals == null ? new Totals() : baseTotals.copy());
        }
        long unmatched = baseUnmatched;
        long malformed = baseMalformed;
        long fragments = baseFragments;
        long removedPacketsIn = baseRemovedPacketsIn;
        long removedBytesIn = baseRemovedBytesIn;
        final TreeMap<RuleId, double[]> rates = new TreeMap<>();
        final TreeMap<InputKey, long[]> inputSums = new TreeMap<>();
        baseInputs.forEach((key, counts) -> inputSums.put(key, counts.clone()));
        for (final Live worker : live) {
            final WorkerCounters newest = worker.counters().newest();
            addInputs(inputSums, worker.workerIndex(), newest);
            unmatched += newest.unmatched();
            malformed += newest.malformed();
            fragments += newest.fragments();
            removedPacketsIn += newest.removedPacketsIn();
            removedBytesIn += newest.removedBytesIn();
            for (final Rule rule : table) {
                final WorkerCounters.RuleCounters counters = worker.counters().rule(rule.id());
                if (counters != null) {
                    sums.get(rule.id()).add(counters);
                    worker.counters().addRate(rule.id(), rates.computeIfAbsent(rule.id(), id -> new double[2]));
                }
            }
        }
        final List<ControlResponse.RuleStats> rules = new ArrayList<>(table.size());
        for (final Rule rule : table) {
            final Totals totals = sums.get(rule.id());
            final List<ControlResponse.OutputStats> outputs = new ArrayList<>(rule.outputs().size());
            for (int i = 0; i < rule.outputs().size(); i++) {
                final RuleOutput output = rule.outputs().get(i);
                final boolean known = i < totals.packetsOut.length;
                outputs.add(new ControlResponse.OutputStats(output.group().toString(), output.port(),
                    output.interfaceName(), known ? totals.packetsOut[i] : 0, known ? totals.bytesOut[i] : 0,
                    known ? totals.errors[i] : 0));
            }
            final double[] rate = rates.getOrDefault(rule.id(), new double[2]);
            rules.add(new ControlResponse.RuleStats(rule.id().value(), totals.packetsIn, totals.bytesIn,
                Math.round(rate[0]), Math.round(rate[1]),
                ControlResponse.Drops.perRule(totals.dropsBufferFull, totals.dropsNoBufferSpace, totals.dropsSendError,
                    totals.dropsLinkDown),
                outputs));
        }
        final List<ControlResponse.InputStats> inputs = new ArrayList<>(inputSums.size());
        long ringFull = 0;
        long stagingFull = 0;
        for (final var input : inputSums.entrySet()) {
            final long[] counts = input.getValue();
            inputs.add(new ControlResponse.InputStats(input.getKey().interfaceName(), input.getKey().worker(),
                counts[0], counts[1], counts[2]));
            ringFull += counts[1];
            stagingFull += counts[2];
        }
        return new ControlResponse.StatsReport(requestId, rules, unmatched,
            new ControlResponse.RemovedRules(removedPacketsIn, removedBytesIn),
            ControlResponse.Drops.topLevel(malformed, fragments, ringFull, stagingFull), inputs, workers, journal);
    }

    /** Frames received by ended incarnations (for checkers). */
    long baseFramesReceived() {
        return baseFramesReceived;
    }
}
