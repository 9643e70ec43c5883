package io.mcrelay.core.supervisor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.BuildInfo;
import io.mcrelay.config.ConfigFile;
import io.mcrelay.config.ConfigParser;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.entries.CommitEntry;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.LimitsEntry;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.rules.RuleValidator;
import io.mcrelay.rules.ValidationError;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.DutyCycle;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * The supervisor's logic: the authoritative rule table, acked rule sync with the workers, the workers' lifecycle and
 * health, stats, link states and the control requests. Driven by {@link #doWork(long)}; everything it touches comes
 * in through the seams, so the daemon and the simulator run this very class.
 *
 * <p>Guarantees (DESIGN "Acked rule sync"): a change succeeds for its client only once every ready worker acked its
 * epoch with the expected ruleset hash; on timeout the change stays committed and the client learns which workers
 * lag, which are resynced or restarted. Not thread-safe: one thread owns the supervisor and its seams.
 *
 * <p>Not final only so that the simulator's checker mutants ({@code sim/src/test}) can override the package-private
 * hooks ({@link #maySync}, {@link #broadcastOrder}); no production class extends it.
 */
public class Supervisor implements DutyCycle {
    /** Tunables, with the defaults of DESIGN. */
    public record Config(int workerCount, long ackTimeoutNs, long heartbeatIntervalNs, int missedHeartbeatsMax,
                         long connectTimeoutNs, long backoffInitialNs, long backoffMaxNs, long backoffResetNs,
                         Limits limits) {
        public Config {
            Objects.requireNonNull(limits, "limits");
            if (workerCount < 1 || workerCount > 1024) {
                throw new IllegalArgumentException("workers must be between 1 and 1024, not " + workerCount);
            }
            if (ackTimeoutNs <= 0 || heartbeatIntervalNs <= 0 || missedHeartbeatsMax < 1 || connectTimeoutNs <= 0
                || backoffInitialNs <= 0 || backoffMaxNs < backoffInitialNs || backoffResetNs <= 0) {
                throw new IllegalArgumentException("timeouts and intervals must be positive");
            }
        }

        /** DESIGN's defaults: ack timeout 1 s, heartbeats every 250 ms, 4 missed, backoff 250 ms → 16 s, reset 30 s. */
        public static Config defaults(final int workerCount) {
            return new Config(workerCount, 1_000_000_000L, 250_000_000L, 4, 10_000_000_000L, 250_000_000L,
                16_000_000_000L, 30_000_000_000L, Limits.DEFAULT);
        }

        public Config withLimits(final Limits newLimits) {
            return new Config(workerCount, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
                backoffInitialNs, backoffMaxNs, backoffResetNs, newLimits);
        }
    }

    /** The seams a supervisor works through. */
    public record Seams(Timers timers, WorkerLauncher launcher, ControlServer control, LinkMonitor links,
                        LogLevels logLevels, InputSockets inputSockets, Journal journal, Clock clock) {
        public Seams {
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

    private static final int CONTROL_LIMIT = 64;
    private static final int LAUNCHER_LIMIT = 64;
    private static final int CHANNEL_LIMIT = 64;
    private static final int LINK_LIMIT = 64;
    private static final int TIMER_LIMIT = 64;
    /** Trace events kept per rule for {@code trace show}; older ones are dropped. */
    static final int TRACE_EVENTS_PER_RULE = 512;
    /** A second drift within this time of the first restarts the worker. */
    static final long DRIFT_REPEAT_WINDOW_NS = 30_000_000_000L;
    /** Syncs sent to one worker without it catching up before it is restarted. */
    private static final int SYNC_ATTEMPTS_MAX = 3;

    private enum PendingKind { ADD, REMOVE, SYNC, CONFIG_LOAD }

    /** A client request waiting for the workers' acks. */
    private static final class Pending {
        final PendingKind kind;
        final long connectionId;
        final long requestId;
        final String ruleId;
        final long epoch;
        final boolean[] waiting;
        final long[] acksAtStart;
        final boolean freshAck;
        final int[] configCounts;
        long timerId;

        Pending(final PendingKind kind, final long connectionId, final long requestId, final String ruleId,
                final long epoch, final int workers, final boolean freshAck, final int[] configCounts) {
            this.kind = kind;
            this.connectionId = connectionId;
            this.requestId = requestId;
            this.ruleId = ruleId;
            this.epoch = epoch;
            this.waiting = new boolean[workers];
            this.acksAtStart = new long[workers];
            this.freshAck = freshAck;
            this.configCounts = configCounts;
        }
    }

    private sealed interface TimerTask {
    }

    private record HealthCheck() implements TimerTask {
    }

    private record AckDeadline(Pending pending) implements TimerTask {
    }

    private record Respawn(int slot) implements TimerTask {
    }

    private final Config config;
    private final Seams seams;
    private final RuleTable table;
    private final WorkerSlot[] slots;
    private final WorkerChannel.FrameHandler[] channelHandlers;
    // Lookups only, never iterated into an output.
    private final Map<Long, Boolean> helloDone = new HashMap<>();
    private final Map<Long, TimerTask> timerTasks = new HashMap<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final TreeMap<String, LinkMonitor.LinkState> links = new TreeMap<>();
    private final StatsAggregator stats = new StatsAggregator();
    private final WireWriter writer = new WireWriter();
    private final UnsafeBuffer syncBuffer = new UnsafeBuffer(new byte[0]);
    private final ControlServer.Listener controlListener = new ControlListener();
    private final WorkerLauncher.Listener launcherListener = new LauncherListener();
    private final LinkMonitor.Listener linkListener = this::onLinkEvent;
    private final Timers.Handler timerHandler = this::onTimer;

    // Rules being traced, and the latest events of each (bounded), both in id order.
    private final java.util.TreeSet<RuleId> traced = new java.util.TreeSet<>();
    private final TreeMap<RuleId, ArrayDeque<ControlResponse.TraceEvent>> traceLog = new TreeMap<>();

    private long workerStateVersion;
    private long commitsSinceSnapshot;
    private long lastSnapshotNs;
    private long cachedSyncEpoch = -1;
    private byte[] cachedSync;
    private long epochChangedAtNs;
    private long nowNs;
    private boolean started;

    public Supervisor(final Config config, final Seams seams) {
        this.config = Objects.requireNonNull(config, "config");
        this.seams = Objects.requireNonNull(seams, "seams");
        this.table = new RuleTable(config.limits());
        this.slots = new WorkerSlot[config.workerCount()];
        this.channelHandlers = new WorkerChannel.FrameHandler[config.workerCount()];
        for (int i = 0; i < slots.length; i++) {
            final WorkerSlot slot = new WorkerSlot(i);
            slots[i] = slot;
            channelHandlers[i] = (buffer, offset, length) -> onWorkerFrame(slot, buffer, offset, length);
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
        lastSnapshotNs = startNs;
        recover();
        if (commitsSinceSnapshot > 0) {
            // A snapshot at every start: the next recovery reads only what follows it, and retention may drop every
            // file before the current one without losing the table.
            snapshot();
        }
        epochChangedAtNs = startNs;
        for (final LinkMonitor.LinkState link : seams.links().links()) {
            links.put(link.name(), link);
        }
        updateInputSockets();
        for (final WorkerSlot slot : slots) {
            launch(slot);
        }
        schedule(startNs + config.heartbeatIntervalNs(), new HealthCheck());
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
        int work = seams.control().poll(controlListener, CONTROL_LIMIT);
        work += seams.launcher().poll(launcherListener, LAUNCHER_LIMIT);
        for (final WorkerSlot slot : slots) {
            if (slot.channel != null) {
                work += slot.channel.poll(channelHandlers[slot.index], CHANNEL_LIMIT);
                if (slot.channel != null && slot.channel.isClosed() && slot.state != WorkerSlot.State.STOPPING) {
                    stop(slot, "its channel closed");
                    work++;
                }
            }
        }
        work += seams.links().poll(linkListener, LINK_LIMIT);
        work += seams.timers().poll(nowNs, timerHandler, TIMER_LIMIT);
        for (final WorkerSlot slot : slots) {
            if (slot.syncOwed && slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                work += sendSync(slot);
            }
        }
        return work;
    }

    // ---- accessors for the runtime, checkers and tests ------------------------------------------------------

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
        final List<ControlResponse.WorkerInfo> infos = new ArrayList<>(slots.length);
        for (final WorkerSlot slot : slots) {
            infos.add(new ControlResponse.WorkerInfo(slot.index, slot.pid(), slot.state.label(), slot.restarts,
                slot.reportedEpoch(), RulesetHash.format(slot.reportedHash())));
        }
        return infos;
    }

    /** Why each restart of worker {@code index} happened, by reason. */
    public Map<String, Long> restartReasons(final int index) {
        return new TreeMap<>(slots[index].restartReasons);
    }

    /** True if worker {@code index} is ready (synced and acking). */
    public boolean isReady(final int index) {
        return slots[index].state == WorkerSlot.State.READY;
    }

    /** Client requests still waiting for acks. */
    public int pendingRequests() {
        return pending.size();
    }

    // ---- workers: lifecycle ---------------------------------------------------------------------------------

    private void launch(final WorkerSlot slot) {
        assert slot.channel == null && slot.handle == null;
        slot.handle = seams.launcher().launch(slot.index);
        setState(slot, WorkerSlot.State.STARTING);
        slot.launchedAtNs = nowNs;
        slot.lastHeardNs = nowNs;
    }

    private final class LauncherListener implements WorkerLauncher.Listener {
        @Override
        public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
            final WorkerSlot slot = slotOf(handle);
            if (slot == null || slot.state != WorkerSlot.State.STARTING) {
                channel.close(); // an incarnation we already gave up on
                return;
            }
            slot.channel = channel;
            setState(slot, WorkerSlot.State.SYNCING);
            slot.lastHeardNs = nowNs;
            slot.syncOwed = true; // a worker's first command is Sync
            sendSync(slot);
        }

        @Override
        public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
            final WorkerSlot slot = slotOf(handle);
            if (slot != null) {
                onWorkerExit(slot, exitStatus);
            }
        }
    }

    private WorkerSlot slotOf(final WorkerLauncher.WorkerHandle handle) {
        if (handle.workerIndex() < 0 || handle.workerIndex() >= slots.length) {
            return null;
        }
        final WorkerSlot slot = slots[handle.workerIndex()];
        return slot.handle != null && slot.handle.launchId() == handle.launchId() ? slot : null;
    }

    /** Kills a worker; its exit, reported by the launcher, brings the respawn. */
    private void stop(final WorkerSlot slot, final String reason) {
        if (slot.state == WorkerSlot.State.STOPPING || slot.state == WorkerSlot.State.BACKOFF) {
            return;
        }
        setState(slot, WorkerSlot.State.STOPPING);
        slot.stopReason = reason;
        if (slot.channel != null) {
            slot.channel.close();
        }
        seams.launcher().kill(slot.handle);
        checkPending();
    }

    private void onWorkerExit(final WorkerSlot slot, final int exitStatus) {
        final String reason = slot.state == WorkerSlot.State.STOPPING ? slot.stopReason
            : "exited with status " + exitStatus;
        if (slot.readySinceNs >= 0 && nowNs - slot.readySinceNs >= config.backoffResetNs()) {
            slot.consecutiveCrashes = 0; // it ran well for long enough: this is not a crash loop
        }
        stats.retire(slot.counters);
        if (slot.channel != null) {
            slot.channel.close();
        }
        slot.resetIncarnation();
        slot.restarts++;
        workerStateVersion++;
        slot.lastRestartReason = reason;
        slot.restartReasons.merge(reason, 1L, Long::sum);
        final long delayNs = slot.consecutiveCrashes == 0 ? 0
            : Math.min(config.backoffMaxNs(), config.backoffInitialNs() << Math.min(slot.consecutiveCrashes - 1, 40));
        slot.consecutiveCrashes++;
        if (delayNs == 0) {
            launch(slot);
        } else {
            setState(slot, WorkerSlot.State.BACKOFF);
            slot.respawnTimerId = schedule(nowNs + delayNs, new Respawn(slot.index));
        }
        checkPending();
    }

    private void checkHealth() {
        final long silenceMaxNs = config.heartbeatIntervalNs() * config.missedHeartbeatsMax();
        for (final WorkerSlot slot : slots) {
            switch (slot.state) {
                case STARTING -> {
                    if (nowNs - slot.launchedAtNs > config.connectTimeoutNs()) {
                        stop(slot, "did not connect in time");
                    }
                }
                case SYNCING, READY -> {
                    if (nowNs - slot.lastHeardNs > silenceMaxNs) {
                        stop(slot, "missed heartbeats");
                    } else if (slot.state == WorkerSlot.State.SYNCING && !slot.syncOwed
                        && nowNs - slot.syncSentAtNs > config.ackTimeoutNs()) {
                        // Alive but not caught up: a Sync or a later Apply was lost. Send the table again, a few
                        // times, then start the worker over.
                        if (slot.syncAttempts >= SYNC_ATTEMPTS_MAX) {
                            stop(slot, "did not complete a sync after " + SYNC_ATTEMPTS_MAX + " attempts");
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

    // ---- workers: messages ----------------------------------------------------------------------------------

    private void onWorkerFrame(final WorkerSlot slot, final DirectBuffer buffer, final int offset, final int length) {
        if (slot.state == WorkerSlot.State.STOPPING) {
            return;
        }
        final WorkerMessage message;
        try {
            message = WorkerMessageCodec.decode(buffer, offset, length);
        } catch (final CodecException e) {
            stop(slot, "sent a bad frame: " + e.getMessage());
            return;
        }
        slot.lastHeardNs = nowNs;
        switch (message) {
            case WorkerMessage.Ack ack -> {
                final boolean repeated = slot.acksReceived > 0 && slot.ackedEpoch == ack.epoch();
                slot.acksReceived++;
                slot.ackedEpoch = ack.epoch();
                slot.ackedHash = ack.rulesetHash();
                onReport(slot, ack.epoch(), ack.rulesetHash(), true);
                if (repeated && slot.state == WorkerSlot.State.READY && ack.epoch() < table.epoch()) {
                    // The same epoch acked twice while behind: it got a command it could not apply (an Apply after
                    // a lost one). Send it the whole table rather than wait for the timeout.
                    requestSync(slot, false);
                }
            }
            case WorkerMessage.Heartbeat heartbeat -> {
                slot.heartbeatEpoch = heartbeat.epoch();
                slot.heartbeatHash = heartbeat.rulesetHash();
                slot.previousCounters = slot.counters;
                slot.heartbeatIntervalNs = slot.lastHeartbeatNs < 0 ? 0 : nowNs - slot.lastHeartbeatNs;
                slot.lastHeartbeatNs = nowNs;
                slot.counters = heartbeat.counters();
                recordTraces(slot, heartbeat.traces());
                onReport(slot, heartbeat.epoch(), heartbeat.rulesetHash(), false);
            }
            default -> stop(slot, "sent an unexpected " + message.getClass().getSimpleName());
        }
        checkPending();
    }

    /** A worker said where it is (by ack or heartbeat): promote it, or decide it needs a sync or a restart. */
    private void onReport(final WorkerSlot slot, final long epoch, final long hash, final boolean isAck) {
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
                stop(slot, "ruleset hash disagreed right after a sync");
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
                stop(slot, "ruleset drifted again after a sync");
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

    private void requestSync(final WorkerSlot slot, final boolean forDrift) {
        if (slot.state == WorkerSlot.State.READY) {
            setState(slot, WorkerSlot.State.SYNCING);
        }
        slot.syncForDrift = forDrift;
        slot.syncOwed = true;
    }

    private void setState(final WorkerSlot slot, final WorkerSlot.State state) {
        if (slot.state != state) {
            slot.state = state;
            workerStateVersion++;
        }
    }

    /**
     * A number that changes whenever a worker changes state or restarts: watchers (the simulator's event log) can
     * look at the workers only when it moved.
     */
    public long workerStateVersion() {
        return workerStateVersion;
    }

    /** Hook: may this worker be sent the table? (Always, but for a mutant.) */
    boolean maySync(final int workerIndex, final long restarts) {
        return true;
    }

    /** Hook: the order in which a change is sent to the workers. */
    Iterable<WorkerSlot> broadcastOrder() {
        return List.of(slots);
    }

    /** Sends the whole table; the bytes are encoded once per epoch and shared by all workers. */
    private int sendSync(final WorkerSlot slot) {
        if (!maySync(slot.index, slot.restarts)) {
            slot.syncOwed = false;
            return 0;
        }
        if (cachedSyncEpoch != table.epoch()) {
            writer.reset();
            WorkerMessageCodec.encode(new WorkerMessage.Sync(table.epoch(), table.rules()), writer);
            cachedSync = writer.toByteArray();
            cachedSyncEpoch = table.epoch();
        }
        syncBuffer.wrap(cachedSync);
        final WorkerChannel.SendResult result = slot.channel.send(syncBuffer, 0, cachedSync.length);
        if (result == WorkerChannel.SendResult.FULL) {
            return 0; // stays owed
        }
        slot.syncOwed = false;
        slot.syncEpoch = table.epoch();
        slot.syncSentAtNs = nowNs;
        slot.syncAttempts++;
        for (final RuleId id : traced) { // a new or resynced worker learns which rules are traced
            if (!sendTrace(slot, id, true)) {
                slot.syncOwed = true; // try the whole thing again next cycle
                break;
            }
        }
        if (slot.state == WorkerSlot.State.READY) {
            setState(slot, WorkerSlot.State.SYNCING);
        }
        return 1;
    }

    private void broadcastApply(final long epoch, final List<Rule> upserts, final List<RuleId> removals) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Apply(epoch, upserts, removals), writer);
        for (final WorkerSlot slot : broadcastOrder()) {
            if (slot.channel == null || slot.state == WorkerSlot.State.STOPPING || slot.syncOwed) {
                continue; // an owed Sync will carry this change too
            }
            if (slot.channel.send(writer.buffer(), 0, writer.position()) != WorkerChannel.SendResult.SENT) {
                requestSync(slot, false); // it will miss this Apply: give it the whole table instead
            }
        }
    }

    // ---- acked changes --------------------------------------------------------------------------------------

    private Pending startPending(final PendingKind kind, final long connectionId, final long requestId,
                                 final String ruleId, final long epoch, final boolean freshAck, final int[] counts) {
        final Pending request = new Pending(kind, connectionId, requestId, ruleId, epoch, slots.length, freshAck,
            counts);
        for (final WorkerSlot slot : slots) {
            request.waiting[slot.index] = slot.state == WorkerSlot.State.READY
                || (waitsForSyncing(request) && slot.state == WorkerSlot.State.SYNCING);
            request.acksAtStart[slot.index] = slot.acksReceived;
        }
        request.timerId = schedule(nowNs + config.ackTimeoutNs(), new AckDeadline(request));
        pending.addLast(request);
        checkPending();
        return request;
    }

    /**
     * A change that takes rules away also waits for syncing workers: one of them may still hold the old table and
     * forward the removed rule, and "removed" must mean no worker forwards it any more. A new rule need not wait
     * for them: a syncing worker's Sync carries it.
     */
    private static boolean waitsForSyncing(final Pending request) {
        return request.freshAck || request.kind == PendingKind.REMOVE || request.kind == PendingKind.CONFIG_LOAD;
    }

    private boolean isLagging(final Pending request, final WorkerSlot slot) {
        if (!request.waiting[slot.index]) {
            return false;
        }
        return switch (slot.state) {
            case READY -> slot.ackedEpoch < request.epoch
                || (request.freshAck && slot.acksReceived == request.acksAtStart[slot.index]);
            case SYNCING -> waitsForSyncing(request) && (slot.ackedEpoch < request.epoch
                || (request.freshAck && slot.acksReceived == request.acksAtStart[slot.index]));
            // Gone or restarting: a new incarnation starts from a Sync of the whole table, so it holds the change.
            default -> false;
        };
    }

    private void checkPending() {
        final Iterator<Pending> iterator = pending.iterator();
        while (iterator.hasNext()) {
            final Pending request = iterator.next();
            boolean done = true;
            for (final WorkerSlot slot : slots) {
                if (isLagging(request, slot)) {
                    done = false;
                    break;
                }
            }
            if (done) {
                iterator.remove();
                seams.timers().cancel(request.timerId);
                timerTasks.remove(request.timerId);
                respond(request.connectionId, success(request, List.of()));
            }
        }
    }

    private ControlResponse success(final Pending request, final List<Integer> lagging) {
        return switch (request.kind) {
            case ADD -> new ControlResponse.RuleAdded(request.requestId, request.ruleId, request.epoch);
            case REMOVE -> new ControlResponse.RuleRemoved(request.requestId, request.ruleId, request.epoch);
            case SYNC -> new ControlResponse.Synced(request.requestId, request.epoch, lagging);
            case CONFIG_LOAD -> new ControlResponse.ConfigLoaded(request.requestId, request.epoch,
                request.configCounts[0], request.configCounts[1], request.configCounts[2], lagging);
        };
    }

    private void onAckDeadline(final Pending request) {
        if (!pending.remove(request)) {
            return;
        }
        final List<Integer> lagging = new ArrayList<>();
        for (final WorkerSlot slot : slots) {
            if (isLagging(request, slot)) {
                lagging.add(slot.index);
                if (slot.state == WorkerSlot.State.READY && slot.syncEpoch < request.epoch) {
                    requestSync(slot, false); // it never got (or never applied) the change: send it all
                } else {
                    stop(slot, "did not ack epoch " + request.epoch + " in time");
                }
            }
        }
        final ControlResponse response = switch (request.kind) {
            case ADD, REMOVE -> new ControlResponse.NotAcked(request.requestId, request.ruleId, request.epoch,
                lagging);
            case SYNC, CONFIG_LOAD -> success(request, lagging);
        };
        respond(request.connectionId, response);
    }

    // ---- timers ---------------------------------------------------------------------------------------------

    private long schedule(final long deadlineNs, final TimerTask task) {
        final long id = seams.timers().schedule(deadlineNs);
        timerTasks.put(id, task);
        return id;
    }

    private void onTimer(final long timerId, final long firedNs) {
        final TimerTask task = timerTasks.remove(timerId);
        switch (task) {
            case null -> {
                // cancelled while already due: nothing to do
            }
            case HealthCheck ignored -> {
                if (nowNs - lastSnapshotNs >= SNAPSHOT_EVERY_NANOS) {
                    snapshot();
                }
                checkHealth();
                schedule(nowNs + config.heartbeatIntervalNs(), new HealthCheck());
            }
            case AckDeadline deadline -> onAckDeadline(deadline.pending());
            case Respawn respawn -> {
                final WorkerSlot slot = slots[respawn.slot()];
                if (slot.state == WorkerSlot.State.BACKOFF) {
                    slot.respawnTimerId = -1;
                    launch(slot);
                }
            }
        }
    }

    // ---- links ----------------------------------------------------------------------------------------------

    private void onLinkEvent(final LinkMonitor.LinkEvent event) {
        final LinkMonitor.LinkState before = links.get(event.name());
        switch (event.kind()) {
            case ADDED -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case UP -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), true));
            case DOWN -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case REMOVED -> links.remove(event.name());
            case ADDRESS_CHANGED -> {
                return; // addresses do not change what the workers match
            }
        }
        final LinkMonitor.LinkState after = links.get(event.name());
        updateInputSockets();
        if (before != null && after != null && before.ifIndex() != after.ifIndex() && isInput(event.name())) {
            seams.inputSockets().reopen(event.name()); // re-created: the old sockets are bound to nothing
        }
        if (isNamedByARule(event.name())) {
            // The interface's sockets were reopened (or it appeared or went): every worker relearns its indices.
            for (final WorkerSlot slot : slots) {
                if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                    requestSync(slot, false);
                }
            }
        }
    }

    private void recover() {
        final Journal journal = seams.journal();
        final long snapshot = journal.lastIndexOf(EntryKinds.SNAPSHOT);
        try (Journal.Reader reader = journal.reader(snapshot >= 0 ? snapshot : journal.firstIndex())) {
            Journal.IndexedEntry indexed;
            while ((indexed = reader.next()) != null) {
                final Journal.Entry entry = indexed.entry();
                switch (entry.kind()) {
                    case EntryKinds.SNAPSHOT ->
                        table.restore(SnapshotEntry.decode(indexed.schemaVersion(), entry.payload()));
                    case EntryKinds.COMMIT -> {
                        final CommitEntry change = CommitEntry.decode(indexed.schemaVersion(), entry.payload());
                        if (change.epoch() != table.epoch() + 1) {
                            throw new IllegalStateException("journal entry " + indexed.index() + " commits epoch "
                                + change.epoch() + " after epoch " + table.epoch());
                        }
                        table.commit(change.removals(), change.upserts());
                        commitsSinceSnapshot++;
                    }
                    case EntryKinds.LIMITS ->
                        table.setLimits(LimitsEntry.decode(indexed.schemaVersion(), entry.payload()).limits());
                    default -> {
                        // kinds this version does not replay (the journal issue's inputs and outputs)
                    }
                }
            }
        }
    }

    /** Writes the whole table, so that recovery need not read what came before. */
    private void snapshot() {
        journal(EntryKinds.SNAPSHOT, new SnapshotEntry(table.epoch(), table.rules(), table.limits()).encode());
        commitsSinceSnapshot = 0;
        lastSnapshotNs = nowNs;
    }

    private void journal(final int kind, final byte[] payload) {
        seams.journal().append(new Journal.Entry(nowNs, seams.clock().epochMillis(), kind, "supervisor", payload));
    }

    /** Tells the sockets seam which input interfaces exist and are received on by some rule. */
    private void updateInputSockets() {
        final java.util.TreeSet<String> wanted = new java.util.TreeSet<>();
        for (final Rule rule : table.rules()) {
            if (links.containsKey(rule.input().interfaceName())) {
                wanted.add(rule.input().interfaceName());
            }
        }
        seams.inputSockets().setWanted(wanted);
    }

    private boolean isInput(final String interfaceName) {
        for (final Rule rule : table.rules()) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
        }
        return false;
    }

    private boolean isNamedByARule(final String interfaceName) {
        for (final Rule rule : table.rules()) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
            for (final RuleOutput output : rule.outputs()) {
                if (output.interfaceName().equals(interfaceName)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code active}, {@code waiting} (its input interface does not exist yet) or {@code down}. */
    private String stateOf(final Rule rule) {
        final LinkMonitor.LinkState link = links.get(rule.input().interfaceName());
        if (link == null) {
            return "waiting";
        }
        return link.up() ? "active" : "down";
    }

    // ---- control requests -----------------------------------------------------------------------------------

    private final class ControlListener implements ControlServer.Listener {
        @Override
        public void onConnected(final long connectionId) {
            helloDone.put(connectionId, Boolean.FALSE);
        }

        @Override
        public void onFrame(final long connectionId, final byte[] payload) {
            onControlFrame(connectionId, payload);
        }

        @Override
        public void onDisconnected(final long connectionId, final String reason) {
            helloDone.remove(connectionId);
        }
    }

    private void respond(final long connectionId, final ControlResponse response) {
        if (helloDone.containsKey(connectionId)) {
            seams.control().send(connectionId, ControlCodec.encode(response));
        }
    }

    private static ControlResponse.Refused refused(final long requestId, final String code, final String message) {
        return new ControlResponse.Refused(requestId, code, message, List.of());
    }

    private void onControlFrame(final long connectionId, final byte[] payload) {
        final ControlRequest request;
        try {
            request = ControlCodec.decodeRequest(payload);
        } catch (final CodecException e) {
            respond(connectionId, refused(0, "bad_request", e.getMessage()));
            return;
        }
        if (!Boolean.TRUE.equals(helloDone.get(connectionId))) {
            onHello(connectionId, request);
            return;
        }
        switch (request) {
            case ControlRequest.Hello hello -> respond(connectionId,
                refused(0, "bad_request", "hello was already said on this connection"));
            case ControlRequest.Add add -> onAdd(connectionId, add);
            case ControlRequest.Remove remove -> onRemove(connectionId, remove);
            case ControlRequest.ListRules list -> respond(connectionId, new ControlResponse.Rules(list.requestId(),
                table.epoch(), table.rules().stream().map(rule -> RuleDocument.of(rule, stateOf(rule))).toList()));
            case ControlRequest.Stats stats -> respond(connectionId, statsReport(stats.requestId()));
            case ControlRequest.Workers workers -> respond(connectionId,
                new ControlResponse.WorkerList(workers.requestId(), workers()));
            case ControlRequest.Ping ping -> respond(connectionId, new ControlResponse.Pong(ping.requestId()));
            case ControlRequest.Version version -> respond(connectionId, new ControlResponse.VersionInfo(
                version.requestId(), BuildInfo.version(), BuildInfo.CONTROL_PROTOCOL_VERSION));
            case ControlRequest.Sync sync -> onSyncRequest(connectionId, sync);
            case ControlRequest.LogLevelGet get -> onLogLevelGet(connectionId, get);
            case ControlRequest.LogLevelSet set -> onLogLevelSet(connectionId, set);
            case ControlRequest.TraceEnable trace -> onTrace(connectionId, trace.requestId(), trace.id(), true);
            case ControlRequest.TraceDisable trace -> onTrace(connectionId, trace.requestId(), trace.id(), false);
            case ControlRequest.TraceShow trace -> onTraceShow(connectionId, trace);
            case ControlRequest.ConfigCheck check -> onConfigCheck(connectionId, check);
            case ControlRequest.ConfigLoad load -> onConfigLoad(connectionId, load);
        }
    }

    private void onTrace(final long connectionId, final long requestId, final String idText, final boolean enable) {
        if (!RuleId.isValid(idText)) {
            respond(connectionId, refused(requestId, "invalid", RuleId.describeProblem(idText)));
            return;
        }
        final RuleId id = new RuleId(idText);
        if (enable && table.get(id) == null) {
            respond(connectionId, refused(requestId, "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        final boolean changed = enable ? traced.add(id) : traced.remove(id);
        if (changed) {
            if (enable) {
                traceLog.put(id, new ArrayDeque<>());
            }
            for (final WorkerSlot slot : slots) {
                if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING && !slot.syncOwed
                    && !sendTrace(slot, id, enable)) {
                    requestSync(slot, false); // the Sync that follows re-sends every trace command
                }
            }
        }
        respond(connectionId, new ControlResponse.TraceState(requestId, id.value(), enable));
    }

    private boolean sendTrace(final WorkerSlot slot, final RuleId id, final boolean enable) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Trace(id, enable), writer);
        return slot.channel.send(writer.buffer(), 0, writer.position()) == WorkerChannel.SendResult.SENT;
    }

    private void onTraceShow(final long connectionId, final ControlRequest.TraceShow show) {
        if (!RuleId.isValid(show.id())) {
            respond(connectionId, refused(show.requestId(), "invalid", RuleId.describeProblem(show.id())));
            return;
        }
        final RuleId id = new RuleId(show.id());
        final ArrayDeque<ControlResponse.TraceEvent> events = traceLog.get(id);
        if (events == null && table.get(id) == null) {
            respond(connectionId, refused(show.requestId(), "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        respond(connectionId, new ControlResponse.TraceReport(show.requestId(), id.value(), traced.contains(id),
            events == null ? List.of() : List.copyOf(events)));
    }

    private void recordTraces(final WorkerSlot slot, final List<WorkerMessage.TraceEvent> events) {
        for (final WorkerMessage.TraceEvent event : events) {
            final ArrayDeque<ControlResponse.TraceEvent> log = traceLog.get(event.id());
            if (log == null) {
                continue; // tracing was turned off meanwhile
            }
            if (log.size() == TRACE_EVENTS_PER_RULE) {
                log.removeFirst();
            }
            log.addLast(new ControlResponse.TraceEvent(slot.index, event.packet(), stepName(event.step()),
                event.output(), traceDetail(event)));
        }
    }

    private static String stepName(final int step) {
        return switch (step) {
            case WorkerMessage.TraceEvent.RECEIVED -> "received";
            case WorkerMessage.TraceEvent.MATCHED -> "matched";
            case WorkerMessage.TraceEvent.SENT -> "sent";
            default -> "dropped";
        };
    }

    private static String traceDetail(final WorkerMessage.TraceEvent event) {
        return switch (event.step()) {
            case WorkerMessage.TraceEvent.RECEIVED -> "frame of " + event.value() + " bytes";
            case WorkerMessage.TraceEvent.MATCHED -> "payload of " + event.value() + " bytes";
            case WorkerMessage.TraceEvent.SENT -> event.value() + " bytes sent";
            default -> dropReason(event.value());
        };
    }

    /** The stats contract's drop reason for a failed send, with the errno. */
    static String dropReason(final int result) {
        final int errno = -result;
        if (result == io.mcrelay.seam.PacketIo.SEND_QUEUE_FULL) {
            return io.mcrelay.seam.PacketIo.SendFailure.BUFFER_FULL.reason() + " (submission queue full)";
        }
        return io.mcrelay.seam.PacketIo.SendFailure.of(result).reason() + " (errno " + errno + ")";
    }

    private void onHello(final long connectionId, final ControlRequest request) {
        if (!(request instanceof ControlRequest.Hello hello)) {
            respond(connectionId, refused(request.requestId(), "bad_request", "the first request must be hello"));
            seams.control().disconnect(connectionId);
            return;
        }
        if (hello.protocolVersion() != BuildInfo.CONTROL_PROTOCOL_VERSION) {
            respond(connectionId, refused(0, "version_mismatch", "the client speaks control protocol "
                + hello.protocolVersion() + ", the daemon speaks " + BuildInfo.CONTROL_PROTOCOL_VERSION));
            seams.control().disconnect(connectionId);
            return;
        }
        helloDone.put(connectionId, Boolean.TRUE);
        respond(connectionId, new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION, BuildInfo.version()));
    }

    private void onAdd(final long connectionId, final ControlRequest.Add add) {
        if (add.rule() == null) {
            respond(connectionId, refused(add.requestId(), "bad_request", "add needs a rule"));
            return;
        }
        final RuleValidator.Result result = RuleValidator.validate(add.rule().toSpec(), table.generateId(),
            table.limits());
        if (!result.isValid()) {
            respond(connectionId, invalid(add.requestId(), result.errors()));
            return;
        }
        final Rule rule = result.rule();
        final List<ValidationError> clashes = table.checkAdd(rule);
        if (!clashes.isEmpty()) {
            final String code = clashes.getFirst().field().equals("id") ? "exists"
                : clashes.getFirst().field().equals("rules") ? "limit" : "invalid";
            respond(connectionId, new ControlResponse.Refused(add.requestId(), code, describe(clashes),
                fieldErrors(clashes)));
            return;
        }
        final long epoch = commit(List.of(), List.of(rule));
        startPending(PendingKind.ADD, connectionId, add.requestId(), rule.id().value(), epoch, false, null);
    }

    private void onRemove(final long connectionId, final ControlRequest.Remove remove) {
        if (!RuleId.isValid(remove.id())) {
            respond(connectionId, new ControlResponse.Refused(remove.requestId(), "invalid",
                RuleId.describeProblem(remove.id()), List.of(new ControlResponse.FieldError("id",
                RuleId.describeProblem(remove.id())))));
            return;
        }
        final RuleId id = new RuleId(remove.id());
        if (table.get(id) == null) {
            respond(connectionId, refused(remove.requestId(), "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        final long epoch = commit(List.of(id), List.of());
        startPending(PendingKind.REMOVE, connectionId, remove.requestId(), id.value(), epoch, false, null);
    }

    private long commit(final List<RuleId> removals, final List<Rule> upserts) {
        final long epoch = table.commit(removals, upserts);
        // Journaled before any worker or client hears of it: a change a client may learn of survives a crash.
        journal(EntryKinds.COMMIT, new CommitEntry(epoch, upserts, removals).encode());
        if (++commitsSinceSnapshot >= SNAPSHOT_EVERY_COMMITS) {
            snapshot();
        }
        epochChangedAtNs = nowNs;
        updateInputSockets();
        for (final RuleId id : removals) {
            if (table.get(id) == null) { // gone, not replaced: workers drop its tracing with the rule
                traced.remove(id);
                traceLog.remove(id);
            }
        }
        broadcastApply(epoch, upserts, removals);
        return epoch;
    }

    private void onSyncRequest(final long connectionId, final ControlRequest.Sync sync) {
        for (final WorkerSlot slot : slots) {
            if (slot.channel != null && slot.state != WorkerSlot.State.STOPPING) {
                requestSync(slot, false);
                sendSync(slot);
            }
        }
        startPending(PendingKind.SYNC, connectionId, sync.requestId(), null, table.epoch(), true, null);
    }

    private void onLogLevelGet(final long connectionId, final ControlRequest.LogLevelGet get) {
        final List<ControlResponse.FacilityLevel> levels = new ArrayList<>();
        seams.logLevels().levels().forEach((facility, level) -> {
            if (get.facility() == null || get.facility().equals(facility)) {
                levels.add(new ControlResponse.FacilityLevel(facility, level));
            }
        });
        respond(connectionId, new ControlResponse.LogLevels(get.requestId(), levels));
    }

    private void onLogLevelSet(final long connectionId, final ControlRequest.LogLevelSet set) {
        final String problem = seams.logLevels().set(set.facility(), set.level());
        if (problem != null) {
            respond(connectionId, new ControlResponse.Refused(set.requestId(), "invalid", problem,
                List.of(new ControlResponse.FieldError("level", problem))));
            return;
        }
        onLogLevelGet(connectionId, new ControlRequest.LogLevelGet(set.requestId(), set.facility() == null
            ? LogLevels.ROOT : set.facility()));
    }

    private void onConfigCheck(final long connectionId, final ControlRequest.ConfigCheck check) {
        final ConfigParser.Result parsed = ConfigParser.parse(check.fileName(), check.text(), table.limits());
        if (!parsed.isValid()) {
            respond(connectionId, configRefusal(check.requestId(), parsed));
            return;
        }
        respond(connectionId, new ControlResponse.ConfigChecked(check.requestId(), parsed.config().rules().size()));
    }

    private void onConfigLoad(final long connectionId, final ControlRequest.ConfigLoad load) {
        final ConfigParser.Result parsed = ConfigParser.parse(load.fileName(), load.text(), table.limits());
        if (!parsed.isValid()) {
            respond(connectionId, configRefusal(load.requestId(), parsed));
            return;
        }
        final ConfigFile file = parsed.config();
        final ConfigPlan plan = ConfigPlan.of(table.view(), file.rules(), table.epoch());
        if (file.limits() != null) {
            table.setLimits(file.limits());
            journal(EntryKinds.LIMITS, new LimitsEntry(file.limits()).encode());
        }
        final long epoch = commit(plan.removals(), plan.upserts());
        startPending(PendingKind.CONFIG_LOAD, connectionId, load.requestId(), null, epoch, false,
            new int[] {plan.added(), plan.removals().size() - plan.replaced(), plan.kept()});
    }

    private static ControlResponse configRefusal(final long requestId, final ConfigParser.Result parsed) {
        return new ControlResponse.Refused(requestId, "invalid", parsed.describe(), parsed.errors().stream()
            .map(error -> new ControlResponse.FieldError(error.field(), error.positionedMessage())).toList());
    }

    private ControlResponse.StatsReport statsReport(final long requestId) {
        final List<StatsAggregator.Live> live = new ArrayList<>(slots.length);
        for (final WorkerSlot slot : slots) {
            live.add(new StatsAggregator.Live(slot.counters, slot.previousCounters, slot.heartbeatIntervalNs));
        }
        return stats.report(requestId, table.rules(), live, workers());
    }

    private static ControlResponse.Refused invalid(final long requestId, final List<ValidationError> errors) {
        return new ControlResponse.Refused(requestId, "invalid", describe(errors), fieldErrors(errors));
    }

    private static String describe(final List<ValidationError> errors) {
        return ValidationError.describe(errors);
    }

    private static List<ControlResponse.FieldError> fieldErrors(final List<ValidationError> errors) {
        return errors.stream().map(e -> new ControlResponse.FieldError(e.field(), e.message())).toList();
    }
}
