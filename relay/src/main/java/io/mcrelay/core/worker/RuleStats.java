package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.RuleId;

/**
 * The counters of one rule on one worker, mutated on the packet path without allocation. Kept while a send to the
 * rule is in flight even after the rule is removed, so a late completion still lands somewhere. Not thread-safe.
 */
public final class RuleStats {
    final RuleId id;
    /** Index in the worker's slot table; part of every send's user data. */
    final int slot;
    long packetsIn;
    long bytesIn;
    long dropsBufferFull;
    long dropsNoBufferSpace;
    long dropsSendError;
    long dropsLinkDown;
    long[] packetsOut;
    long[] bytesOut;
    long[] errors;
    public long inFlight;
    boolean retired;
    boolean traced;

    RuleStats(final RuleId id, final int slot, final int outputs) {
        this.id = id;
        this.slot = slot;
        packetsOut = new long[outputs];
        bytesOut = new long[outputs];
        errors = new long[outputs];
    }

    /** Adapts to a rule replaced under the same id with another number of outputs; true if the number changed. */
    boolean resize(final int outputs) {
        if (outputs == packetsOut.length) {
            return false;
        }
        packetsOut = java.util.Arrays.copyOf(packetsOut, outputs);
        bytesOut = java.util.Arrays.copyOf(bytesOut, outputs);
        errors = java.util.Arrays.copyOf(errors, outputs);
        return true;
    }

    WorkerCounters.RuleCounters snapshot() {
        final List<WorkerCounters.OutputCounters> outputs = new ArrayList<>(packetsOut.length);
        for (int i = 0; i < packetsOut.length; i++) {
            outputs.add(new WorkerCounters.OutputCounters(packetsOut[i], bytesOut[i], errors[i]));
        }
        return new WorkerCounters.RuleCounters(id, packetsIn, bytesIn, dropsBufferFull, dropsNoBufferSpace,
            dropsSendError, dropsLinkDown, outputs);
    }
}
