package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;

/**
 * Test-only variants of the worker, each with one bug that exactly one of the simulator's checkers exists to catch
 * (DESIGN "Simulator and faults"). They live in the worker's package so they can override its package-private hooks;
 * no production class extends a core class. Each checker's test in {@code io.mcrelay.sim.check} runs its mutant.
 */
public final class WorkerMutants {
    private WorkerMutants() {
    }

    /** Forgets what removed rules had counted in: "conservation" must catch it once a rule that saw packets goes. */
    public static final class ForgetsRemovedRulesWorker extends WorkerAgent {
        public ForgetsRemovedRulesWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                         final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        long removedPacketsIn() {
            return 0;
        }
    }

    /** Acks a change at once, applies it 50 ms later: "acked means applied" must catch it. */
    public static final class AckBeforeApplyWorker extends WorkerAgent {
        private WorkerMessage.Apply deferred;
        private long dueNs;
        private long nowNs;

        public AckBeforeApplyWorker(final Config config, final WorkerChannel channel, final PacketIo io, final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void onDutyCycle(final long cycleNowNs) {
            nowNs = cycleNowNs;
            if (deferred != null && cycleNowNs >= dueNs) {
                if (deferred.epoch() == epoch() + 1) {
                    applyChange(deferred);
                }
                deferred = null;
            }
        }

        @Override
        void onApply(final WorkerMessage.Apply apply) {
            if (deferred == null && epoch() != NO_EPOCH && apply.epoch() == epoch() + 1) {
                final RuleSet after = ruleSet().copy();
                for (final RuleId id : apply.removals()) {
                    after.remove(id);
                }
                for (final Rule rule : apply.upserts()) {
                    after.put(rule);
                }
                // The right hash, before anything is applied: the rules after the change, plus whatever else the
                // worker's hash covers now (a sum, so the rules' part is swapped).
                sendAckNow(apply.epoch(), rulesetHash() - ruleSet().hash() + after.hash());
                deferred = apply;
                dueNs = nowNs + 50_000_000L;
                return;
            }
            super.onApply(apply);
        }
    }

    /**
     * Brings back what the daemon did before inputs were core state: a change that gives the worker an input
     * interface it did not receive on before is applied and acked, and then the worker leaves, to be started again
     * with the new input (the supervisor restarts it). Packets sent after the add's answer are lost meanwhile:
     * "acked means live" must catch it.
     */
    public static final class RestartOnNewInputWorker extends WorkerAgent {
        public RestartOnNewInputWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                       final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void onApply(final WorkerMessage.Apply apply) {
            final java.util.Set<String> before = new java.util.TreeSet<>();
            for (final Rule rule : rules()) {
                before.add(rule.input().interfaceName());
            }
            final boolean applies = epoch() != NO_EPOCH && apply.epoch() == epoch() + 1;
            super.onApply(apply);
            if (applies && apply.upserts().stream().anyMatch(r -> !before.contains(r.input().interfaceName()))) {
                sendAckNow(epoch(), rulesetHash()); // acked as applied, then gone
                finish("restarting to receive a new input interface");
            }
        }
    }

    /** Forgets to count a send that failed for a full buffer: "conservation" must catch it. */
    public static final class UncountedDropWorker extends WorkerAgent {
        public UncountedDropWorker(final Config config, final WorkerChannel channel, final PacketIo io, final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void countDrop(final RuleStats stats, final int output, final int result) {
            if (result != -PacketIo.EAGAIN && result != -PacketIo.ENOBUFS) { // a full buffer or device queue
                super.countDrop(stats, output, result);
            }
        }
    }

    /**
     * Loses every hundredth frame it reads without counting it anywhere (not even as received): only the inputs'
     * identity, the kernel's count against the worker's, can see it. "conservation" must catch it.
     */
    public static final class UncountedFrameWorker extends WorkerAgent {
        private long read;

        public UncountedFrameWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                    final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        public void onFrame(final int ifIndex, final DirectBuffer frame, final int offset, final int length) {
            if (++read % 100 != 0) {
                super.onFrame(ifIndex, frame, offset, length);
            }
        }
    }

    /** Keeps forwarding removed rules (their table entries linger): "no forwarding after remove" must catch it. */
    public static final class ForwardAfterRemoveWorker extends WorkerAgent {
        /** Every entry ever in the table and not replaced by one of the same input. */
        private List<ForwardingTable.Entry> previous = List.of();

        public ForwardAfterRemoveWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                 final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void installTable(final List<ForwardingTable.Entry> entries) {
            final List<ForwardingTable.Entry> merged = new ArrayList<>(entries);
            for (final ForwardingTable.Entry old : previous) {
                final boolean replaced = entries.stream().anyMatch(e -> e.rule.input().equals(old.rule.input()));
                if (!replaced && !merged.contains(old)) {
                    linger(old);
                    merged.add(old);
                }
            }
            previous = merged;
            super.installTable(merged);
        }

        @Override
        void addToTable(final ForwardingTable.Entry entry) {
            final List<ForwardingTable.Entry> grown = new ArrayList<>(previous);
            grown.add(entry);
            previous = grown;
            super.addToTable(entry);
        }

        @Override
        void removeFromTable(final ForwardingTable.Entry entry) {
            // left in the table: it goes on forwarding (its counters were pinned when the Apply came)
        }

        @Override
        void onApply(final WorkerMessage.Apply apply) {
            // Pin the counters of rules about to be removed, so their slots are not reused while the entries linger.
            for (final RuleId id : apply.removals()) {
                for (final ForwardingTable.Entry entry : previous) {
                    if (entry.rule.id().equals(id)) {
                        linger(entry);
                    }
                }
            }
            super.onApply(apply);
        }

        /** Pins the counters of an entry kept past its rule, so that their slot is not reused while it lingers. */
        private static void linger(final ForwardingTable.Entry entry) {
            entry.stats.inFlight++;
        }

        @Override
        void closeDestination(final int destination) {
            // kept open: the lingering entries still send to it
        }
    }

    /** Loses one packet in 1,000 on a healthy link, silently: "delivery" must catch it. */
    public static final class LosesOneInAThousandWorker extends WorkerAgent {
        private long sends;

        public LosesOneInAThousandWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                  final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        int sendPacket(final int destination, final DirectBuffer payload, final int offset, final int length,
                       final long userData) {
            if (++sends % 1_000 == 0) {
                return 0; // "queued", and never sent
            }
            return super.sendPacket(destination, payload, offset, length, userData);
        }
    }
}
