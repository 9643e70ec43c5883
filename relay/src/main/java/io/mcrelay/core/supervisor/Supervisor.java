package io.mcrelay.core.supervisor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.mcrelay.config.ConfigFile;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleValidator;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.DutyCycle;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * The supervisor: the authoritative rule table, acked rule sync with the workers, the workers' lifecycle and health,
 * stats, link states and the control requests. Driven by {@link #doWork(long)}; everything it touches comes in
 * through the seams, so the daemon and the simulator run this very class.
 *
 * <p>This class orchestrates; each role is a class of its own: {@link ControlFrontEnd} (control requests and
 * answers), {@link AckedChanges} (requests waiting for acks), {@link WorkerHealth} (lifecycle, heartbeats, backoff,
 * drift), {@link WorkerCommands} (what is sent to workers), {@link Inputs} (links and input sockets),
 * {@link RuleTable} and {@link RuleJournal} (the table and its durability), {@link TraceLog} and
 * {@link StatsAggregator}. It owns the time of the cycle and the timers, and commits changes in one place.
 *
 * <p>Guarantees (DESIGN "Acked rule sync"): a change succeeds for its client only once every ready worker acked its
 * epoch with the expected ruleset hash; on timeout the change stays committed and the client learns which workers
 * lag, which are resynced or restarted. Not thread-safe: one thread owns the supervisor and its seams.
 *
 * <p>Not final only so that the simulator's checker mutants ({@code sim/src/test}) can override the package-private
 * hooks ({@link #maySync}, {@link #broadcastOrder}); no production class extends it.
 */
public class Supervisor implements DutyCycle {
    /**
     * Tunables, with the defaults of DESIGN; {@code firstMessageTimeoutNs}: see {@link WorkerHealth#checkHealth}.
     * {@code syncChunkBytes}: the largest {@code Sync} chunk, {@link WorkerMessageCodec#SYNC_CHUNK_BYTES_MAX} unless
     * told; the simulator passes less, so that tables of a few hundred rules take the many-chunk paths that thousands
     * take at the real size (as TigerBeetle's test constants are smaller than its production ones).
     */
    public record Config(int workerCount, long ackTimeoutNs, long heartbeatIntervalNs, int missedHeartbeatsMax,
                         long connectTimeoutNs, long backoffInitialNs, long backoffMaxNs, long backoffResetNs,
                         Limits limits, long firstMessageTimeoutNs, int syncChunkBytes) {
        /** The smallest {@code syncChunkBytes}: room for the largest rule a chunk must hold whole. */
        public static final int SYNC_CHUNK_BYTES_MIN = 1024;

        public Config {
            Objects.requireNonNull(limits, "limits");
            if (workerCount < 1 || workerCount > 1024) {
                throw new IllegalArgumentException("workers must be between 1 and 1024, not " + workerCount);
            }
            if (ackTimeoutNs <= 0 || heartbeatIntervalNs <= 0 || missedHeartbeatsMax < 1 || connectTimeoutNs <= 0
                || backoffInitialNs <= 0 || backoffMaxNs < backoffInitialNs || backoffResetNs <= 0
                || firstMessageTimeoutNs <= 0) {
                throw new IllegalArgumentException("timeouts and intervals must be positive");
            }
            if (syncChunkBytes < SYNC_CHUNK_BYTES_MIN || syncChunkBytes > WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX) {
                throw new IllegalArgumentException("sync chunks must be between " + SYNC_CHUNK_BYTES_MIN + " and "
                    + WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX + " bytes, not " + syncChunkBytes);
            }
        }

        /** The full-size {@code Sync} chunks of production. */
        public Config(final int workerCount, final long ackTimeoutNs, final long heartbeatIntervalNs,
                      final int missedHeartbeatsMax, final long connectTimeoutNs, final long backoffInitialNs,
                      final long backoffMaxNs, final long backoffResetNs, final Limits limits,
                      final long firstMessageTimeoutNs) {
            this(workerCount, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
                backoffInitialNs, backoffMaxNs, backoffResetNs, limits, firstMessageTimeoutNs,
                WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX);
        }

        /** DESIGN's: ack 1 s, heartbeats every 250 ms, 4 missed (first message too), backoff 250 ms → 16 s. */
        public static Config defaults(final int workerCount) {
            return new Config(workerCount, 1_000_000_000L, 250_000_000L, 4, 10_000_000_000L, 250_000_000L,
                16_000_000_000L, 30_000_000_000L, Limits.DEFAULT, 4 * 250_000_000L);
        }

        public Config withLimits(final Limits newLimits) {
            return new Config(workerCount, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
                backoffInitialNs, backoffMaxNs, backoffResetNs, newLimits, firstMessageTimeoutNs, syncChunkBytes);
        }

        public Config withFirstMessageTimeoutNs(final long timeoutNs) {
            return new Config(workerCount, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
                backoffInitialNs, backoffMaxNs, backoffResetNs, limits, timeoutNs, syncChunkBytes);
        }

        public Config withSyncChunkBytes(final int bytes) {
            return new Config(workerCount, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
                backoffInitialNs, backoffMaxNs, backoffResetNs, limits, firstMessageTimeoutNs, bytes);
        }
    }

    /** The seams a supervisor works through. */
    public record Seams(Timers timers, WorkerLauncher launcher, ControlServer control, LinkMonitor links,
                        LogLevels logLevels, InputSockets inputSockets, GroupMemberships memberships,
                        Journal journal, Clock clock) {
        public Seams {
            Objects.requireNonNull(memberships, "memberships");
            Objects.requireNonNull(journal, "journal");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(inputSockets, "inputSockets");
            Objects.requireNonNull(timers, "timers");
            Objects.requireNonNull(launcher, "launcher");
            Objects.requireNonNull(control, "control");
            Objects.requireNonNull(links, "links");
            Objects.requireNonNull(logLevels, "logLevels");
        }
    }

    /** A snapshot is written after this many commits, so recovery reads at most this many entries after it. */
    public static final int SNAPSHOT_EVERY_COMMITS = 1_000;
    /**
     * A snapshot is also written after this much of the supervisor's time without one, so that recovery reads at most
     * this long a stretch of journaled inputs (heartbeats arrive whether or not rules change) and journal retention,
     * which keeps the file of the last snapshot, can trim a journal whose rules never change.
     */
    public static final long SNAPSHOT_EVERY_NANOS = 3_600_000_000_000L;

    private static final int CONTROL_LIMIT = 64;
    private static final int LAUNCHER_LIMIT = 64;
    private static final int CHANNEL_LIMIT = 64;
    private static final int LINK_LIMIT = 64;
    private static final int TIMER_LIMIT = 64;

    private sealed interface TimerTask {
    }

    private record HealthCheck() implements TimerTask {
    }

    private record AckDeadline(AckedChanges.Pending pending) implements TimerTask {
    }

    private record Respawn(int slot) implements TimerTask {
    }

    private final Config config;
    private final Seams seams;
    private final RuleTable table;
    private final RuleJournal ruleJournal;
    private final TraceLog traces = new TraceLog();
    private final StatsAggregator stats = new StatsAggregator();
    private final Inputs inputs;
    private final Memberships memberships;
    private final WorkerHealth health;
    private final WorkerCommands commands;
    private final AckedChanges acked;
    private final ControlFrontEnd front;
    private final Roles roles;
    private final WorkerChannel.FrameHandler[] channelHandlers;
    // Lookups only, never iterated into an output.
    private final Map<Long, TimerTask> timerTasks = new HashMap<>();
    private long healthCheckTimerId = -1;
    private long healthCheckDueNs;
    private final WorkerLauncher.Listener launcherListener = new LauncherListener();
    private final LinkMonitor.Listener linkListener = this::onLinkEvent;
    private final Timers.Handler timerHandler = this::onTimer;

    private long nowNs;
    private boolean started;

    public Supervisor(final Config config, final Seams seams) {
        this.config = Objects.requireNonNull(config, "config");
        this.seams = Objects.requireNonNull(seams, "seams");
        this.table = new RuleTable(config.limits());
        this.ruleJournal = new RuleJournal(seams.journal(), seams.clock(), table);
        this.inputs = new Inputs(seams.inputSockets());
        this.memberships = new Memberships(seams.memberships());
        roles = new Roles();
        this.health = new WorkerHealth(config, table, seams.launcher(), roles);
        this.commands = new WorkerCommands(table, traces, health, this::maySync, this::broadcastOrder, inputs,
            config.syncChunkBytes());
        this.acked = new AckedChanges(config.ackTimeoutNs(), health.slots(), roles);
        this.front = new ControlFrontEnd(seams.control(), seams.logLevels(), table, traces, roles);
        this.channelHandlers = new WorkerChannel.FrameHandler[config.workerCount()];
        for (final WorkerSlot slot : health.slots()) {
            channelHandlers[slot.index] = (buffer, offset, length) -> health.onFrame(slot, buffer, offset, length,
                nowNs);
        }
    }

    /**
     * Recovers the rule table from the journal, reads the links, launches every worker and starts the health
     * checks. After a crash, the same journal gives back the same rules, ids and epoch.
     */
    public void start(final long startNs) {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        nowNs = startNs;
        ruleJournal.start(startNs);
        health.onEpochChanged(startNs);
        inputs.start(seams.links().links(), table.rules());
        memberships.reconcile(table.rules(), inputs::exists);
        inputs.handover(); // no worker is connected yet: each is handed every input with its Sync
        table.setInputsHash(inputs.hash());
        for (final WorkerSlot slot : health.slots()) {
            health.launch(slot, startNs);
        }
        scheduleHealthCheck(startNs + config.heartbeatIntervalNs());
    }

    /**
     * One duty cycle: control requests, launcher events, worker messages, link events, timers, then owed syncs.
     *
     * @return the amount of work done (0 means idle)
     */
    @Override
    public int doWork(final long cycleNowNs) {
        if (!started) {
            throw new IllegalStateException("start() first");
        }
        assert cycleNowNs >= nowNs : "time went backwards";
        nowNs = cycleNowNs;
        acked.armDeadlines(nowNs);
        int work = seams.control().poll(front, CONTROL_LIMIT);
        work += seams.launcher().poll(launcherListener, LAUNCHER_LIMIT);
        for (final WorkerSlot slot : health.slots()) {
            if (slot.channel != null) {
                work += slot.channel.poll(channelHandlers[slot.index], CHANNEL_LIMIT);
                if (slot.channel != null && slot.channel.isClosed() && slot.state != WorkerSlot.State.STOPPING) {
                    health.stop(slot, RestartReason.EXITED, "its channel closed");
                    work++;
                }
            }
        }
        work += inputs.closeReleased(health.ackedByAll());
        work += seams.links().poll(linkListener, LINK_LIMIT);
        work += seams.timers().poll(nowNs, timerHandler, TIMER_LIMIT);
        for (final WorkerSlot slot : health.slots()) {
            if (slot.syncOwed && slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                work += commands.sendSync(slot, nowNs);
            }
        }
        if (work > 0) {
            keepHealthCheckNear();
        }
        return work;
    }

    // ---- accessors for the runtime, checkers and tests ------------------------------------------------------

    /** Rules by the state {@code list} shows ({@code active}, {@code waiting}, {@code down}, {@code join_failed}). */
    public java.util.SortedMap<String, Long> ruleStateCounts() {
        final java.util.TreeMap<String, Long> counts = new java.util.TreeMap<>();
        for (final String state : List.of("active", "waiting", "down", "join_failed")) {
            counts.put(state, 0L);
        }
        for (final Rule rule : table.rules()) {
            counts.merge(roles.documentOf(rule).state(), 1L, Long::sum);
        }
        return counts;
    }

    /** Control answers given so far, keyed {@code "KIND OUTCOME"}, in key order (for the daemon's metrics). */
    public java.util.SortedMap<String, Long> controlAnswers() {
        return front.answered();
    }

    /** The {@code stats} report as a client would get it now (for the daemon's metrics; request id 0). */
    public ControlResponse.StatsReport statsReport() {
        return roles.stats(0);
    }

    public long epoch() {
        return table.epoch();
    }

    public long rulesetHash() {
        return table.hash();
    }

    /** The ruleset hash the table had at {@code epochAsked}, or {@code null} when too old to remember. */
    public Long rulesetHashAt(final long epochAsked) {
        return table.hashAt(epochAsked);
    }

    /** The rule table, in id order. */
    public List<Rule> rules() {
        return table.rules();
    }

    /** The workers as {@code workers --json} shows them. */
    public List<ControlResponse.WorkerInfo> workers() {
        return health.infos();
    }

    /** Why each restart of worker {@code index} happened, by reason. */
    public Map<String, Long> restartReasons(final int index) {
        return new TreeMap<>(health.slot(index).restartReasons);
    }

    /** True if worker {@code index} is ready (synced and acking). */
    public boolean isReady(final int index) {
        return health.slot(index).state == WorkerSlot.State.READY;
    }

    /** Client requests still waiting for acks. */
    public int pendingRequests() {
        return acked.size();
    }

    /**
     * A number that changes whenever a worker changes state or restarts: watchers (the simulator's event log) can
     * look at the workers only when it moved.
     */
    public long workerStateVersion() {
        return health.stateVersion();
    }

    // ---- hooks ----------------------------------------------------------------------------------------------

    /** Hook: may this worker be sent the table? (Always, but for a mutant.) */
    boolean maySync(final int workerIndex, final long restarts) {
        return true;
    }

    /** Hook: the order in which a change is sent to the workers. */
    Iterable<WorkerSlot> broadcastOrder() {
        return health.slots();
    }

    // ---- changes --------------------------------------------------------------------------------------------

    /**
     * Commits a change of rules and sends it to the workers; its epoch, or -1 when the journal cannot take it (then
     * nothing changed: a change is journaled before the table makes it, so that none is ever half-committed).
     */
    private long commit(final List<RuleId> removals, final List<Rule> upserts) {
        // Journaled before any worker or client hears of it: a change a client may learn of survives a crash.
        if (!ruleJournal.commit(table.epoch() + 1, upserts, removals, nowNs)) {
            return -1;
        }
        final long epoch = table.commit(removals, upserts);
        ruleJournal.committed(nowNs);
        health.onEpochChanged(nowNs);
        inputs.updateWanted(table.rules());
        // Joined before the workers hear of the change: once they acked it, the network is asked for the streams.
        memberships.reconcile(table.rules(), inputs::exists);
        final Inputs.Handover handover = inputs.handover();
        commands.handOver(handover); // before the Apply: its ack then means the inputs are held (or given back) too
        inputs.releasedIn(handover, epoch);
        table.setInputsHash(inputs.hash());
        for (final RuleId id : removals) {
            if (table.get(id) == null) { // gone, not replaced: workers drop its tracing and counters with the rule
                traces.forget(id);
                stats.forget(id);
            }
        }
        commands.broadcastApply(epoch, upserts, removals);
        return epoch;
    }

    private void onLinkEvent(final LinkMonitor.LinkEvent event) {
        final int ifIndexBefore = inputs.ifIndexOf(event.name());
        final boolean deviceGone = event.kind() == LinkMonitor.LinkEvent.Kind.REMOVED
            || ifIndexBefore >= 0 && event.kind() != LinkMonitor.LinkEvent.Kind.ADDRESS_CHANGED
            && event.ifIndex() != ifIndexBefore;
        memberships.onLinkChanged(event.name(), deviceGone);
        final boolean concernsRules = inputs.onLinkEvent(event, table.rules());
        memberships.reconcile(table.rules(), inputs::exists);
        final Inputs.Handover handover = inputs.handover();
        if (!handover.isEmpty()) {
            // An input opened, closed or re-created: a change of its own, acked like any other, so that the workers'
            // ack says they hold exactly the inputs handed over (a waiting rule is live once they acked this epoch).
            // It happens whether or not the journal takes it (the link changed): unjournaled, it owes a snapshot.
            if (ruleJournal.commit(table.epoch() + 1, List.of(), List.of(), nowNs)) {
                table.commit(List.of(), List.of());
                ruleJournal.committed(nowNs);
            } else {
                table.commit(List.of(), List.of());
                ruleJournal.committedUnjournaled();
            }
            final long epoch = table.epoch();
            health.onEpochChanged(nowNs);
            commands.handOver(handover);
            inputs.releasedIn(handover, epoch);
            table.setInputsHash(inputs.hash());
            commands.broadcastApply(epoch, List.of(), List.of());
        }
        if (concernsRules) {
            health.requestSyncOfConnected();
        }
    }

    // ---- timers ---------------------------------------------------------------------------------------------

    private long schedule(final long deadlineNs, final TimerTask task) {
        final long id = seams.timers().schedule(deadlineNs);
        timerTasks.put(id, task);
        return id;
    }

    private void cancel(final long timerId) {
        seams.timers().cancel(timerId);
        timerTasks.remove(timerId);
    }

    private void scheduleHealthCheck(final long deadlineNs) {
        healthCheckTimerId = schedule(deadlineNs, new HealthCheck());
        healthCheckDueNs = deadlineNs;
    }

    /**
     * While every worker was idle the health check went further apart ({@link WorkerHealth#checkIntervalNs}); once one
     * is not (it heartbeats at the usual interval again, or it is starting or syncing), the check comes back to the
     * heartbeat interval from now.
     */
    private void keepHealthCheckNear() {
        if (healthCheckDueNs - nowNs > config.heartbeatIntervalNs()
            && health.checkIntervalNs() == config.heartbeatIntervalNs()) {
            cancel(healthCheckTimerId);
            scheduleHealthCheck(nowNs + config.heartbeatIntervalNs());
        }
    }

    private void onTimer(final long timerId, final long firedNs) {
        final TimerTask task = timerTasks.remove(timerId);
        switch (task) {
            case null -> {
                // cancelled while already due: nothing to do
            }
            case HealthCheck ignored -> {
                ruleJournal.snapshotIfDue(nowNs);
                health.checkHealth(nowNs);
                scheduleHealthCheck(nowNs + health.checkIntervalNs());
            }
            case AckDeadline deadline -> acked.onDeadline(deadline.pending());
            case Respawn respawn -> health.onRespawnDue(respawn.slot(), nowNs);
        }
    }

    // ---- the roles' calls back into the supervisor ------------------------------------------------------------

    private final class LauncherListener implements WorkerLauncher.Listener {
        @Override
        public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
            health.onConnected(handle, channel, nowNs);
        }

        @Override
        public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
            health.onExited(handle, exitStatus, nowNs);
        }
    }

    /** What the roles ask of each other, routed through the supervisor that owns them and the time. */
    private final class Roles implements WorkerHealth.Actions, AckedChanges.Outcomes, ControlFrontEnd.Requests {
        @Override
        public void sendSync(final WorkerSlot slot) {
            commands.sendSync(slot, nowNs);
        }

        @Override
        public long scheduleRespawn(final long deadlineNs, final int workerIndex) {
            return schedule(deadlineNs, new Respawn(workerIndex));
        }

        @Override
        public void retired(final int workerIndex, final WorkerCounters counters) {
            stats.retire(workerIndex, counters);
        }

        @Override
        public void traced(final WorkerSlot slot, final List<WorkerMessage.TraceEvent> events) {
            traces.record(slot.index, events);
        }

        @Override
        public void workersChanged() {
            acked.check();
        }

        @Override
        public long scheduleDeadline(final long deadlineNs, final AckedChanges.Pending request) {
            return schedule(deadlineNs, new AckDeadline(request));
        }

        @Override
        public void cancelDeadline(final long timerId) {
            cancel(timerId);
        }

        @Override
        public void answer(final long connectionId, final ControlResponse response) {
            front.respond(connectionId, response);
        }

        @Override
        public void resync(final WorkerSlot slot) {
            health.requestSync(slot, false);
        }

        @Override
        public void stop(final WorkerSlot slot, final RestartReason reason, final String detail) {
            health.stop(slot, reason, detail);
        }

        @Override
        public void add(final long connectionId, final long requestId, final Rule rule) {
            final long epoch = commit(List.of(), List.of(rule));
            if (epoch < 0) {
                front.respond(connectionId, journalRefusal(requestId, ""));
                return;
            }
            acked.start(AckedChanges.Kind.ADD, connectionId, requestId, rule.id().value(), epoch, false, null);
        }

        @Override
        public void remove(final long connectionId, final long requestId, final RuleId id) {
            final long epoch = commit(List.of(id), List.of());
            if (epoch < 0) {
                front.respond(connectionId, journalRefusal(requestId, ""));
                return;
            }
            acked.start(AckedChanges.Kind.REMOVE, connectionId, requestId, id.value(), epoch, false, null);
        }

        @Override
        public void sync(final long connectionId, final long requestId) {
            for (final WorkerSlot slot : health.slots()) {
                if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                    health.requestSync(slot, false);
                    commands.sendSync(slot, nowNs);
                }
            }
            acked.start(AckedChanges.Kind.SYNC, connectionId, requestId, null, table.epoch(), true, null);
        }

        @Override
        public void loadConfig(final long connectionId, final long requestId, final ConfigFile file) {
            final ConfigPlan plan = ConfigPlan.of(table.view(), file.rules(), table.epoch());
            if (plan.removals().isEmpty() && plan.upserts().isEmpty()
                && (file.limits() == null || file.limits().equals(table.limits()))) {
                // The file is the table already (a saved table loaded back, a reload of an unchanged file): no epoch.
                acked.start(AckedChanges.Kind.CONFIG_LOAD, connectionId, requestId, null, table.epoch(), false,
                    new int[] {0, 0, plan.kept()});
                return;
            }
            if (file.limits() != null) {
                if (!ruleJournal.limits(file.limits(), nowNs)) {
                    front.respond(connectionId, journalRefusal(requestId, ""));
                    return;
                }
                table.setLimits(file.limits());
            }
            final long epoch = commit(plan.removals(), plan.upserts());
            if (epoch < 0) {
                // Only if the disk filled up between the two entries: the limits were journaled, so they stay.
                front.respond(connectionId, journalRefusal(requestId, file.limits() == null ? ""
                    : " (the file's limits were applied and journaled just before)"));
                return;
            }
            acked.start(AckedChanges.Kind.CONFIG_LOAD, connectionId, requestId, null, epoch, false,
                new int[] {plan.added(), plan.removals().size() - plan.replaced(), plan.kept()});
        }

        @Override
        public void logLevelSet(final String facility, final String level) {
            commands.broadcastLogLevel(facility, level);
        }

        @Override
        public void trace(final RuleId id, final boolean enable) {
            if (traces.set(id, enable)) {
                commands.broadcastTrace(id, enable);
            }
        }

        @Override
        public RuleDocument documentOf(final Rule rule) {
            final String state = inputs.stateOf(rule);
            final String refusal = state.equals("waiting") ? null : memberships.refusal(rule);
            final String warning = RuleValidator.storedRuleWarning(rule);
            if (refusal != null) {
                return RuleDocument.of(rule, "join_failed", warning == null ? refusal : refusal + "; " + warning);
            }
            return RuleDocument.of(rule, state, warning);
        }

        @Override
        public List<ControlResponse.WorkerInfo> workers() {
            return health.infos();
        }

        @Override
        public ControlResponse.StatsReport stats(final long requestId) {
            return stats.report(requestId, table.rules(), health.live(), health.infos(), journalState());
        }

        @Override
        public ControlResponse.JournalState journalState() {
            final Journal.Health now = ruleJournal.health();
            return now.isOk() ? ControlResponse.JournalState.OK
                : new ControlResponse.JournalState(now.state().word(), now.reason());
        }

        private ControlResponse.Refused journalRefusal(final long requestId, final String detail) {
            final Journal.Health now = ruleJournal.health();
            final String why = now.isOk() ? "it refused the change's entry" : now.state().word() + ": " + now.reason();
            return new ControlResponse.Refused(requestId, "unavailable", "the journal cannot be written (" + why
                + "): rule changes are refused until it can, and nothing was changed" + detail, List.of());
        }
    }
}
