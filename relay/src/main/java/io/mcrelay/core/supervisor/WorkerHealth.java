package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import org.agrona.DirectBuffer;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * Worker health: the life of each worker slot across its incarnations. Launches workers, takes their connections
 * and exits, reads their acks and heartbeats, and decides from them and from the time: a worker silent for
 * {@code missedHeartbeatsMax} heartbeat intervals, one that does not connect in time, one whose sync stalls
 * {@link #SYNC_ATTEMPTS_MAX} times or that drifts again within {@link #DRIFT_REPEAT_WINDOW_NS} of a repair is
 * stopped, each with a detail that says why in numbers (the launcher logs it, {@code workers} shows the reason); a
 * worker that exits is launched again at once the first time, then after a backoff that doubles from
 * {@code backoffInitialNs} up to {@code backoffMaxNs} and starts over once a worker ran ready for
 * {@code backoffResetNs}. A worker behind or drifting is marked as owing a {@code Sync}; sending it is not this
 * class's job.
 *
 * <p>A sync stalls when, its chunks all written, the worker goes on speaking past a window (the ack timeout once it
 * reported on that Sync, the first-message timeout before) without reporting more of it taken in
 * ({@link WorkerSlot#syncStalled}): a worker taking in a big table (its heartbeats say how far it got,
 * {@code SyncProgress}) is slow, not hung, however long it takes, and is neither sent the table again nor restarted; a silent one is judged by its heartbeats, with the longer first-message allowance before it reports on a
 * table it was sent and while it installs one it said it had prepared. Heartbeats are taken in by sequence
 * ({@link LiveCounters}): a duplicated or late one changes no counter and says nothing about where the worker is now.
 *
 * <p>Every decision takes the time as {@code nowNs}; what it cannot do itself goes through {@link Actions}. Not
 * thread-safe.
 */
final class WorkerHealth {
    /** A second drift within this time of the first restarts the worker. */
    static final long DRIFT_REPEAT_WINDOW_NS = 30_000_000_000L;
    /** Syncs sent to one worker without it catching up before it is restarted. */
    static final int SYNC_ATTEMPTS_MAX = 3;

    /** What worker health asks of the rest of the supervisor. */
    interface Actions {
        /** A worker connected: send it the whole table, its first command. */
        void sendSync(WorkerSlot slot);

        /** Schedules the relaunch of a worker in backoff; returns the timer's id. */
        long scheduleRespawn(long deadlineNs, int workerIndex);

        /** An incarnation ended: these were its last counters. */
        void retired(int workerIndex, WorkerCounters counters);

        /** A heartbeat carried trace events. */
        void traced(WorkerSlot slot, List<WorkerMessage.TraceEvent> events);

        /** A worker's state, acks or reports moved: acked changes may be decided now. */
        void workersChanged();
    }

    private final Supervisor.Config config;
    private final RuleTable table;
    private final WorkerLauncher launcher;
    private final Actions actions;
    private final List<WorkerSlot> slots;
    /** Whether the table holds a rule: heartbeats' counters are kept for those only. */
    private final Predicate<RuleId> held;
    private long stateVersion;
    private long epochChangedAtNs;

    WorkerHealth(final Supervisor.Config config, final RuleTable table, final WorkerLauncher launcher,
                 final Actions actions) {
        this.config = Objects.requireNonNull(config, "config");
        this.table = Objects.requireNonNull(table, "table");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.actions = Objects.requireNonNull(actions, "actions");
        final WorkerSlot[] created = new WorkerSlot[config.workerCount()];
        for (int i = 0; i < created.length; i++) {
            // A worker's reports may not mention a Sync for a while without it being stuck: its chunks wait unread
            // behind a long supervisor cycle (a big config load), or a worker's first steps on them are cold.
            created[i] = new WorkerSlot(i, config.ackTimeoutNs(),
                Math.max(config.ackTimeoutNs(), config.firstMessageTimeoutNs()));
        }
        this.slots = List.of(created);
        this.held = id -> table.get(id) != null;
    }

    /** Every slot, in index order. */
    List<WorkerSlot> slots() {
        return slots;
    }

    WorkerSlot slot(final int index) {
        return slots.get(index);
    }

    /** A number that changes whenever a worker changes state or restarts. */
    long stateVersion() {
        return stateVersion;
    }

    /** The table's epoch moved: a worker still behind long after this lost an Apply. */
    void onEpochChanged(final long nowNs) {
        epochChangedAtNs = nowNs;
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    void launch(final WorkerSlot slot, final long nowNs) {
        assert slot.channel == null && slot.handle == null;
        slot.handle = launcher.launch(slot.index);
        setState(slot, WorkerSlot.State.STARTING);
        slot.launchedAtNs = nowNs;
        slot.lastHeardNs = nowNs;
    }

    /** The launcher says a worker connected; an incarnation already given up on is closed. */
    void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel, final long nowNs) {
        final WorkerSlot slot = slotOf(handle);
        if (slot == null || slot.state != WorkerSlot.State.STARTING) {
            channel.close(); // an incarnation we already gave up on
            return;
        }
        slot.channel = channel;
        setState(slot, WorkerSlot.State.SYNCING);
        slot.lastHeardNs = nowNs;
        slot.heardSinceConnect = false;
        slot.heartbeatWithinNs = 0;
        slot.syncOwed = true; // a worker's first command is Sync
        actions.sendSync(slot);
    }

    /** The launcher says a worker exited: relaunch it, at once or after the backoff. */
    void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus, final long nowNs) {
        final WorkerSlot slot = slotOf(handle);
        if (slot == null) {
            return;
        }
        final boolean stopped = slot.state == WorkerSlot.State.STOPPING;
        final RestartReason reason = stopped ? slot.stopReason : RestartReason.EXITED;
        final String detail = stopped ? slot.stopDetail : "exited with status " + exitStatus;
        if (slot.readySinceNs >= 0 && nowNs - slot.readySinceNs >= config.backoffResetNs()) {
            slot.consecutiveCrashes = 0; // it ran well for long enough: this is not a crash loop
        }
        actions.retired(slot.index, slot.counters.snapshot());
        if (slot.channel != null) {
            slot.channel.close();
        }
        slot.resetIncarnation();
        slot.restarts++;
        stateVersion++;
        slot.lastRestartReason = reason;
        slot.lastRestartDetail = detail;
        slot.restartReasons.merge(reason.word(), 1L, Long::sum);
        final long delayNs = backoffNs(slot.consecutiveCrashes);
        slot.consecutiveCrashes++;
        if (delayNs == 0) {
            launch(slot, nowNs);
        } else {
            setState(slot, WorkerSlot.State.BACKOFF);
            slot.respawnTimerId = actions.scheduleRespawn(nowNs + delayNs, slot.index);
        }
        actions.workersChanged();
    }

    /** The wait before the next launch after {@code consecutiveCrashes} crashes in a row. */
    long backoffNs(final int consecutiveCrashes) {
        assert consecutiveCrashes >= 0;
        return consecutiveCrashes == 0 ? 0
            : Math.min(config.backoffMaxNs(), config.backoffInitialNs() << Math.min(consecutiveCrashes - 1, 40));
    }

    /** The backoff of worker {@code index} is over. */
    void onRespawnDue(final int index, final long nowNs) {
        final WorkerSlot slot = slots.get(index);
        if (slot.state == WorkerSlot.State.BACKOFF) {
            slot.respawnTimerId = -1;
            launch(slot, nowNs);
        }
    }

    private WorkerSlot slotOf(final WorkerLauncher.WorkerHandle handle) {
        if (handle.workerIndex() < 0 || handle.workerIndex() >= slots.size()) {
            return null;
        }
        final WorkerSlot slot = slots.get(handle.workerIndex());
        return slot.handle != null && slot.handle.launchId() == handle.launchId() ? slot : null;
    }

    /** Kills a worker; its exit, reported by the launcher, brings the respawn. */
    void stop(final WorkerSlot slot, final RestartReason reason, final String detail) {
        if (slot.state == WorkerSlot.State.STOPPING || slot.state == WorkerSlot.State.BACKOFF) {
            return;
        }
        setState(slot, WorkerSlot.State.STOPPING);
        slot.stopReason = reason;
        slot.stopDetail = detail;
        if (slot.channel != null) {
            slot.channel.close();
        }
        launcher.kill(slot.handle, reason, detail);
        actions.workersChanged();
    }

    /**
     * The periodic check: connect timeouts, missed heartbeats, syncs that did not complete. A worker that has not
     * spoken since it connected may stay silent for {@code firstMessageTimeoutNs} when that is longer than the
     * heartbeat silence allowed afterwards (a worker JVM still warming up on a loaded machine; the daemon allows its
     * connect timeout, the defaults no more than the heartbeats).
     */
    void checkHealth(final long nowNs) {
        for (final WorkerSlot slot : slots) {
            // An idle worker said it heartbeats less often: its silence is judged by the interval it announced.
            final long silenceMaxNs = Math.max(config.heartbeatIntervalNs(), slot.heartbeatWithinNs)
                * config.missedHeartbeatsMax();
            switch (slot.state) {
                case STARTING -> {
                    if (nowNs - slot.launchedAtNs > config.connectTimeoutNs()) {
                        stop(slot, RestartReason.CONNECT_TIMEOUT, "did not connect in time");
                    }
                }
                case SYNCING, READY -> {
                    // Before its first message a worker may be a JVM still warming up; given a table it has not
                    // reported on yet, it runs code it may never have run; having said it prepared a table, it
                    // installs it in one step, long for a big one: each may get longer.
                    final boolean patient = !slot.heardSinceConnect || slot.syncUnreported() || slot.installing();
                    final long allowedNs = patient ? Math.max(silenceMaxNs, config.firstMessageTimeoutNs())
                        : silenceMaxNs;
                    if (nowNs - slot.lastHeardNs > allowedNs) {
                        stop(slot, RestartReason.NO_HEARTBEAT, "missed heartbeats: silent for "
                            + millis(nowNs - slot.lastHeardNs) + ", more than the " + millis(allowedNs) + " allowed"
                            + syncing(slot));
                    } else if (slot.state == WorkerSlot.State.SYNCING && !slot.syncOwed
                        && slot.syncStalled()) {
                        // Alive but not caught up, and its sync no longer moves: a chunk, the Sync or a later Apply
                        // was lost. Send the table again (chunks it holds are kept), a few times, then start over.
                        if (slot.syncAttempts >= SYNC_ATTEMPTS_MAX) {
                            stop(slot, RestartReason.SYNC_TIMEOUT, "did not complete a sync after "
                                + SYNC_ATTEMPTS_MAX + " attempts: no progress for "
                                + millis(slot.lastHeardNs - Math.max(slot.syncSentAtNs, slot.syncMovedAtNs))
                                + " while it went on heartbeating" + syncing(slot));
                        } else {
                            slot.syncOwed = true;
                        }
                    }
                }
                default -> {
                    // STOPPING waits for the exit, BACKOFF for its timer
                }
            }
        }
    }

    /**
     * How soon the next {@link #checkHealth} is needed: the heartbeat interval, or, while every worker is ready and
     * announced a longer interval (all idle), the shortest of those. Nothing else is due meanwhile: a starting or
     * syncing worker, or one heartbeating at the usual interval, brings it back to the heartbeat interval.
     */
    long checkIntervalNs() {
        long intervalNs = Long.MAX_VALUE;
        for (final WorkerSlot slot : slots) {
            if (slot.state != WorkerSlot.State.READY || slot.heartbeatWithinNs <= config.heartbeatIntervalNs()) {
                return config.heartbeatIntervalNs();
            }
            intervalNs = Math.min(intervalNs, slot.heartbeatWithinNs);
        }
        return intervalNs == Long.MAX_VALUE ? config.heartbeatIntervalNs() : intervalNs;
    }

    // ---- messages -------------------------------------------------------------------------------------------

    /** One frame from a worker: an ack or a heartbeat; anything else, or a bad frame, stops the worker. */
    void onFrame(final WorkerSlot slot, final DirectBuffer buffer, final int offset, final int length,
                 final long nowNs) {
        if (slot.state == WorkerSlot.State.STOPPING) {
            return;
        }
        final WorkerMessage message;
        try {
            message = WorkerMessageCodec.decode(buffer, offset, length);
        } catch (final CodecException e) {
            stop(slot, RestartReason.PROTOCOL_ERROR, "sent a bad frame: " + e.getMessage());
            return;
        }
        slot.lastHeardNs = nowNs;
        slot.heardSinceConnect = true;
        switch (message) {
            case WorkerMessage.Ack ack -> {
                final boolean repeated = slot.acksReceived > 0 && slot.ackedEpoch == ack.epoch();
                slot.acksReceived++;
                slot.ackedEpoch = ack.epoch();
                if (ack.epoch() >= slot.syncProgress.epoch()) {
                    slot.syncProgress = WorkerMessage.SyncProgress.NONE; // the table it took in is installed
                }
                slot.ackedHash = ack.rulesetHash();
                onReport(slot, ack.epoch(), ack.rulesetHash(), true, nowNs);
                if (repeated && slot.state == WorkerSlot.State.READY && ack.epoch() < table.epoch()) {
                    // The same epoch acked twice while behind: it got a command it could not apply (an Apply after
                    // a lost one). Send it the whole table rather than wait for the timeout.
                    requestSync(slot, false);
                }
            }
            case WorkerMessage.Heartbeat heartbeat -> {
                slot.counters.prune(table.epoch(), held);
                final LiveCounters.Sight sight = slot.counters.take(heartbeat, nowNs, held);
                if (sight != LiveCounters.Sight.SEEN) {
                    actions.traced(slot, heartbeat.traces());
                }
                if (sight == LiveCounters.Sight.NEWEST) { // an older one says nothing of where the worker is now
                    slot.heartbeatWithinNs = heartbeat.nextWithinNs();
                    slot.heartbeatEpoch = heartbeat.epoch();
                    slot.heartbeatHash = heartbeat.rulesetHash();
                    onSyncProgress(slot, heartbeat.progress(), nowNs);
                    onReport(slot, heartbeat.epoch(), heartbeat.rulesetHash(), false, nowNs);
                }
            }
            default -> stop(slot, RestartReason.PROTOCOL_ERROR,
                "sent an unexpected " + message.getClass().getSimpleName());
        }
        actions.workersChanged();
    }

    /** A heartbeat said how far the worker got with the Sync under way: it moved if it took in more of it. */
    private static void onSyncProgress(final WorkerSlot slot, final WorkerMessage.SyncProgress progress,
                                       final long nowNs) {
        final boolean sameSync = progress.epoch() == slot.syncProgress.epoch();
        if (progress.epoch() >= 0 && progress.epoch() == slot.syncSendingEpoch
            && (!sameSync || progress.units() > slot.syncProgress.units())) {
            slot.syncMovedAtNs = nowNs;
        }
        slot.syncProgress = progress;
    }

    private static String millis(final long ns) {
        return String.format(java.util.Locale.ROOT, "%,d ms", ns / 1_000_000L);
    }

    /** How far the worker said it got with a sync, for a stop's detail; empty when none is under way. */
    private static String syncing(final WorkerSlot slot) {
        final WorkerMessage.SyncProgress progress = slot.syncProgress;
        if (slot.state != WorkerSlot.State.SYNCING) {
            return "";
        }
        if (progress.epoch() < 0) {
            return " (syncing epoch " + slot.syncSendingEpoch + ": chunks sent " + slot.syncChunksSent
                + ", none reported taken in)";
        }
        return " (syncing epoch " + progress.epoch() + ": " + progress.chunksReceived() + " of " + progress.chunks()
            + " chunks received, " + progress.rulesPrepared() + " of " + progress.rules() + " rules prepared)";
    }

    /** A worker said where it is (by ack or heartbeat): promote it, or decide it needs a sync or a restart. */
    private void onReport(final WorkerSlot slot, final long epoch, final long hash, final boolean isAck,
                          final long nowNs) {
        if (epoch > table.epoch()) {
            requestSync(slot, false); // it knows of an epoch we never made: it cannot be trusted as it is
            return;
        }
        final Long expected = table.hashAt(epoch);
        final boolean hashKnown = expected != null;
        final boolean hashRight = hashKnown && expected == hash;
        if (slot.state == WorkerSlot.State.SYNCING) {
            // Ready only when caught up with the table: a worker that acked its Sync while later changes are still on
            // their way would otherwise count as ready without them, and a client could be told "applied" too soon.
            if (slot.syncEpoch >= 0 && epoch >= slot.syncEpoch && epoch == table.epoch() && hashRight) {
                setState(slot, WorkerSlot.State.READY);
                slot.readySinceNs = nowNs;
                slot.syncForDrift = false;
                slot.syncAttempts = 0;
            } else if (slot.syncEpoch >= 0 && epoch == slot.syncEpoch && hashKnown && !hashRight && isAck) {
                stop(slot, RestartReason.DRIFT, "ruleset hash disagreed right after a sync" + disagreement(epoch, expected,
                    hash));
            }
            return;
        }
        if (slot.state != WorkerSlot.State.READY) {
            return;
        }
        if (hashKnown && !hashRight) {
            // Drift: a Sync repairs it once. Drifting again soon after that repair means the worker cannot hold a
            // ruleset (a bug or memory damage): restart it rather than resync it forever.
            if (slot.syncForDrift || (slot.lastDriftNs >= 0 && nowNs - slot.lastDriftNs < DRIFT_REPEAT_WINDOW_NS)) {
                stop(slot, RestartReason.DRIFT, "ruleset drifted again after a sync" + disagreement(epoch, expected,
                    hash));
            } else {
                slot.lastDriftNs = nowNs;
                requestSync(slot, true);
            }
            return;
        }
        if (epoch < table.epoch() && !isAck && nowNs - epochChangedAtNs > config.ackTimeoutNs()) {
            requestSync(slot, false); // still behind long after the last change: an Apply was lost
        }
    }

    private static String disagreement(final long epoch, final long expected, final long reported) {
        return " (epoch " + epoch + ": expected " + RulesetHash.format(expected) + ", reported "
            + RulesetHash.format(reported) + ")";
    }

    /**
     * The latest epoch every connected worker (not stopping) acked, {@link Long#MAX_VALUE} when none is connected (a
     * worker that is gone holds nothing): what it acked it has finished, input releases included.
     */
    long ackedByAll() {
        long slowest = Long.MAX_VALUE;
        for (final WorkerSlot slot : slots) {
            if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                slowest = Math.min(slowest, slot.ackedEpoch);
            }
        }
        return slowest;
    }

    /** Marks the worker as owing the whole table; a ready worker goes back to syncing until it acks it. */
    void requestSync(final WorkerSlot slot, final boolean forDrift) {
        if (slot.state == WorkerSlot.State.READY) {
            setState(slot, WorkerSlot.State.SYNCING);
        }
        slot.syncForDrift = forDrift;
        slot.syncOwed = true;
    }

    /** Every connected worker that is not stopping owes the whole table (its interfaces' indices changed). */
    void requestSyncOfConnected() {
        for (final WorkerSlot slot : slots) {
            if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                requestSync(slot, false);
            }
        }
    }

    void setState(final WorkerSlot slot, final WorkerSlot.State state) {
        if (slot.state != state) {
            slot.state = state;
            stateVersion++;
        }
    }

    // ---- views ----------------------------------------------------------------------------------------------

    /** The workers as {@code workers --json} shows them. */
    List<ControlResponse.WorkerInfo> infos() {
        final List<ControlResponse.WorkerInfo> infos = new ArrayList<>(slots.size());
        for (final WorkerSlot slot : slots) {
            infos.add(new ControlResponse.WorkerInfo(slot.index, slot.pid(), slot.state.label(), slot.restarts,
                slot.reportedEpoch(), RulesetHash.format(slot.reportedHash()), slot.lastRestartReason.word()));
        }
        return infos;
    }

    /** Each worker's counters, as its heartbeats made them up, for the stats report. */
    List<StatsAggregator.Live> live() {
        final List<StatsAggregator.Live> live = new ArrayList<>(slots.size());
        for (final WorkerSlot slot : slots) {
            live.add(new StatsAggregator.Live(slot.index, slot.counters));
        }
        return live;
    }
}
