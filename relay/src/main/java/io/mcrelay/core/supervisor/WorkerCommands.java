package io.mcrelay.core.supervisor;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.protocol.WireWriter;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * The commands the supervisor sends down the worker channels: the whole table ({@code Sync}, cut into chunks of at
 * most {@link Supervisor.Config#syncChunkBytes} ({@link WorkerMessageCodec#SYNC_CHUNK_BYTES_MAX} unless told) once per
 * epoch and shared by all workers, followed by the traced rules), each committed change ({@code Apply}) and tracing on or off ({@code Trace}). A command that does not fit a
 * worker's channel never leaves it silently behind: the worker is marked as owing a {@code Sync}, which carries
 * everything; the chunks of a Sync that do not all fit go on the next duty cycles, from the first that did not (each
 * written chunk counts as the sync moving). A change whose {@code Apply} would be larger than a chunk goes as a
 * {@code Sync} of the whole table instead, which a worker takes in by bounded steps (only a config load or a link
 * change can be that large: one rule's Apply is far smaller). Not thread-safe.
 */
final class WorkerCommands {
    /** Decides whether a worker may be sent the table: the supervisor's hook, which a checker mutant overrides. */
    @FunctionalInterface
    interface SyncGate {
        boolean maySync(int workerIndex, long restarts);
    }

    private final RuleTable table;
    private final TraceLog traces;
    private final WorkerHealth health;
    private final SyncGate gate;
    private final Supplier<Iterable<WorkerSlot>> broadcastOrder;
    private final Inputs inputs;
    private final WireWriter writer = new WireWriter();
    private final UnsafeBuffer syncBuffer = new UnsafeBuffer(new byte[0]);
    private final int chunkBytesMax;
    private long cachedSyncEpoch = -1;
    private List<byte[]> cachedSync;

    WorkerCommands(final RuleTable table, final TraceLog traces, final WorkerHealth health, final SyncGate gate,
                   final Supplier<Iterable<WorkerSlot>> broadcastOrder, final Inputs inputs, final int chunkBytesMax) {
        this.chunkBytesMax = chunkBytesMax;
        this.inputs = Objects.requireNonNull(inputs, "inputs");
        this.table = Objects.requireNonNull(table, "table");
        this.traces = Objects.requireNonNull(traces, "traces");
        this.health = Objects.requireNonNull(health, "health");
        this.gate = Objects.requireNonNull(gate, "gate");
        this.broadcastOrder = Objects.requireNonNull(broadcastOrder, "broadcastOrder");
    }

    /**
     * Sends the whole table and the traced rules to a connected worker: the inputs first, then the chunks from the first
     * not sent yet (all of them again if the table moved to another epoch meanwhile, or the last Sync went whole).
     *
     * @return 1 if chunks went out, 0 if the channel was full before any did (it stays owed) or the gate said no
     */
    int sendSync(final WorkerSlot slot, final long nowNs) {
        assert slot.channel != null : "worker " + slot.index + " has no channel";
        if (!gate.maySync(slot.index, slot.restarts)) {
            slot.syncOwed = false;
            return 0;
        }
        if (cachedSyncEpoch != table.epoch()) {
            cachedSync = WorkerMessageCodec.syncChunks(table.epoch(), table.rules(), chunkBytesMax);
            cachedSyncEpoch = table.epoch();
        }
        if (slot.syncSendingEpoch != table.epoch() || slot.syncChunksSent >= cachedSync.size()) {
            // A new round. The inputs first: the Sync's ack then says the worker holds them too (the channel keeps
            // the order). A release it may have missed (a full channel) comes again; one of a generation it does not
            // hold is ignored.
            for (final Inputs.Released released : inputs.released()) {
                if (!sendRelease(slot, released.name(), released.generation())) {
                    return 0;
                }
            }
            for (final var input : inputs.handed().entrySet()) {
                if (!sendAttach(slot, input.getKey(), input.getValue())) {
                    return 0; // stays owed: the whole thing again next cycle (a held generation is ignored)
                }
            }
            slot.syncSendingEpoch = table.epoch();
            slot.syncChunksSent = 0;
        }
        final int before = slot.syncChunksSent;
        while (slot.syncChunksSent < cachedSync.size()) {
            final byte[] chunk = cachedSync.get(slot.syncChunksSent);
            syncBuffer.wrap(chunk);
            if (slot.channel.send(syncBuffer, 0, chunk.length) == WorkerChannel.SendResult.FULL) {
                break; // stays owed: the rest next cycle
            }
            slot.syncChunksSent++;
            slot.syncMovedAtNs = nowNs;
        }
        if (slot.state == WorkerSlot.State.READY) {
            health.setState(slot, WorkerSlot.State.SYNCING);
        }
        if (slot.syncChunksSent < cachedSync.size()) {
            return slot.syncChunksSent > before ? 1 : 0;
        }
        slot.syncOwed = false;
        slot.syncEpoch = table.epoch();
        slot.syncSentAtNs = nowNs;
        slot.syncAttempts++;
        for (final RuleId id : traces.traced()) { // a new or resynced worker learns which rules are traced
            if (!sendTrace(slot, id, true)) {
                slot.syncOwed = true; // try the whole thing again next cycle
                break;
            }
        }
        for (final java.util.Map.Entry<String, String> level : logLevels.entrySet()) { // and the levels set since start
            if (!sendLogLevel(slot, level.getKey(), level.getValue())) {
                slot.syncOwed = true;
                break;
            }
        }
        return 1;
    }

    /** Sends a committed change to every worker that is up to date; one that cannot take it owes a Sync. */
    void broadcastApply(final long epoch, final List<Rule> upserts, final List<RuleId> removals) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Apply(epoch, upserts, removals), writer);
        final boolean large = writer.position() > chunkBytesMax;
        for (final WorkerSlot slot : broadcastOrder.get()) {
            if (slot.channel == null || slot.state == WorkerSlot.State.STOPPING || slot.syncOwed) {
                continue; // an owed Sync will carry this change too
            }
            if (large) {
                health.requestSync(slot, false); // the table in chunks, taken in by bounded steps
            } else if (slot.channel.send(writer.buffer(), 0, writer.position()) != WorkerChannel.SendResult.SENT) {
                health.requestSync(slot, false); // it will miss this Apply: give it the whole table instead
            }
        }
    }

    /**
     * Hands the changed inputs to every connected worker: releases first, then the new generations, each with the
     * worker's member socket. Sent before the change's {@code Apply}, so its ack means the worker holds them. A worker
     * that cannot take them owes a Sync (which hands over every input again).
     */
    void handOver(final Inputs.Handover handover) {
        if (handover.isEmpty()) {
            return;
        }
        for (final WorkerSlot slot : broadcastOrder.get()) {
            if (slot.channel == null || slot.state == WorkerSlot.State.STOPPING || slot.syncOwed) {
                continue;
            }
            boolean sent = true;
            for (final var released : handover.released().entrySet()) {
                sent &= sendRelease(slot, released.getKey(), released.getValue());
            }
            for (final var opened : handover.opened().entrySet()) {
                sent &= sendAttach(slot, opened.getKey(), opened.getValue());
            }
            if (!sent) {
                health.requestSync(slot, false);
            }
        }
    }

    private boolean sendRelease(final WorkerSlot slot, final String name, final long generation) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.ReleaseInput(name, generation), writer);
        return slot.channel.send(writer.buffer(), 0, writer.position()) == WorkerChannel.SendResult.SENT;
    }

    /** Sends worker {@code slot} its member of input {@code name}; true if it went (or there is none to send). */
    private boolean sendAttach(final WorkerSlot slot, final String name, final long generation) {
        final PassedDescriptor member = inputs.member(name, slot.index);
        if (member == null) {
            return true; // these sockets hand nothing over (the simulator's workers receive without)
        }
        try {
            writer.reset();
            WorkerMessageCodec.encode(new WorkerMessage.AttachInput(name, generation), writer);
            return slot.channel.send(writer.buffer(), 0, writer.position(), member) == WorkerChannel.SendResult.SENT;
        } finally {
            member.close(); // the channel passed (or dropped) its own copy
        }
    }

    /** The log levels set with {@code log-level set} since the start, by facility: every worker gets them. */
    private final java.util.TreeMap<String, String> logLevels = new java.util.TreeMap<>();

    /** Tells every up-to-date worker the new level of {@code facility}; one that cannot take it owes a Sync. */
    void broadcastLogLevel(final String facility, final String level) {
        logLevels.put(facility, level);
        for (final WorkerSlot slot : health.slots()) {
            if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING && !slot.syncOwed
                && !sendLogLevel(slot, facility, level)) {
                health.requestSync(slot, false); // the Sync that follows re-sends every level
            }
        }
    }

    private boolean sendLogLevel(final WorkerSlot slot, final String facility, final String level) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.LogLevel(facility, level), writer);
        return slot.channel.send(writer.buffer(), 0, writer.position()) == WorkerChannel.SendResult.SENT;
    }

    /** Tells every up-to-date worker that tracing of {@code id} is on or off; one that cannot take it owes a Sync. */
    void broadcastTrace(final RuleId id, final boolean enable) {
        for (final WorkerSlot slot : health.slots()) {
            if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING && !slot.syncOwed
                && !sendTrace(slot, id, enable)) {
                health.requestSync(slot, false); // the Sync that follows re-sends every trace command
            }
        }
    }

    private boolean sendTrace(final WorkerSlot slot, final RuleId id, final boolean enable) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Trace(id, enable), writer);
        return slot.channel.send(writer.buffer(), 0, writer.position()) == WorkerChannel.SendResult.SENT;
    }
}
