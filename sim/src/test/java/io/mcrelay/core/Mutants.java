package io.mcrelay.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import org.agrona.DirectBuffer;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;

/**
 * Test-only variants of the core, each with one bug that exactly one of the simulator's checkers exists to catch
 * (DESIGN "Simulator and faults"). They live in the core's package so they can override its package-private hooks;
 * no production class extends a core class. {@code MutantsAreCaughtTest} runs each one.
 */
final class Mutants {
    private Mutants() {
    }

    /** Acks a change at once, applies it 50 ms later: "acked means applied" must catch it. */
    static final class AckBeforeApplyWorker extends WorkerAgent {
        private WorkerMessage.Apply deferred;
        private long dueNs;
        private long nowNs;

        AckBeforeApplyWorker(final Config config, final WorkerChannel channel, final PacketIo io, final Timers timers) {
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
                sendAckNow(apply.epoch(), after.hash()); // the right hash, before anything is applied
                deferred = apply;
                dueNs = nowNs + 50_000_000L;
                return;
            }
            super.onApply(apply);
        }
    }

    /** Never sends the table to a restarted worker: "convergence" must catch it. */
    static final class NoResyncAfterRestartSupervisor extends Supervisor {
        NoResyncAfterRestartSupervisor(final Config config, final Seams seams) {
            super(config, seams);
        }

        @Override
        boolean maySync(final int workerIndex, final long restarts) {
            return restarts == 0;
        }
    }

    /** Forgets to count a send that failed for a full buffer: "conservation" must catch it. */
    static final class UncountedDropWorker extends WorkerAgent {
        UncountedDropWorker(final Config config, final WorkerChannel channel, final PacketIo io, final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void countDrop(final RuleStats stats, final int output, final int result) {
            if (result != -PacketIo.EAGAIN && result != -PacketIo.ENOBUFS) {
                super.countDrop(stats, output, result);
            }
        }
    }

    /** Keeps forwarding removed rules (their table entries linger): "no forwarding after remove" must catch it. */
    static final class ForwardAfterRemoveWorker extends WorkerAgent {
        private List<ForwardingTable.Entry> previous = List.of();

        ForwardAfterRemoveWorker(final Config config, final WorkerChannel channel, final PacketIo io,
                                 final Timers timers) {
            super(config, channel, io, timers);
        }

        @Override
        void installTable(final List<ForwardingTable.Entry> entries) {
            final List<ForwardingTable.Entry> merged = new ArrayList<>(entries);
            for (final ForwardingTable.Entry old : previous) {
                final boolean replaced = entries.stream().anyMatch(e -> e.rule.input().equals(old.rule.input()));
                if (!replaced) {
                    merged.add(old);
                }
            }
            previous = merged;
            super.installTable(merged);
        }

        @Override
        void closeDestination(final int destination) {
            // kept open: the lingering entries still send to it
        }

        @Override
        void onApply(final WorkerMessage.Apply apply) {
            // Pin the counters of rules about to be removed, so their slots are not reused while the entries linger.
            for (final RuleId id : apply.removals()) {
                for (final ForwardingTable.Entry entry : previous) {
                    if (entry.rule.id().equals(id)) {
                        entry.stats.inFlight++;
                    }
                }
            }
            super.onApply(apply);
        }
    }

    /** Loses one packet in 1,000 on a healthy link, silently: "delivery" must catch it. */
    static final class LosesOneInAThousandWorker extends WorkerAgent {
        private long sends;

        LosesOneInAThousandWorker(final Config config, final WorkerChannel channel, final PacketIo io,
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

    /** Sends changes to the workers in identity-hash order: "determinism" (same seed, same digest) must catch it. */
    static final class IdentityOrderSupervisor extends Supervisor {
        IdentityOrderSupervisor(final Config config, final Seams seams) {
            super(config, seams);
        }

        @Override
        Iterable<WorkerSlot> broadcastOrder() {
            final Set<WorkerSlot> slots = Collections.newSetFromMap(new IdentityHashMap<>());
            super.broadcastOrder().forEach(slots::add);
            return slots;
        }
    }
}
