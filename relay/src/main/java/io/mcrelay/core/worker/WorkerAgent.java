package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.agrona.DirectBuffer;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.DutyCycle;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;

/**
 * A worker's logic: applies the supervisor's commands to its ruleset (idempotently, by epoch; a {@code Sync} in
 * bounded steps, see {@link SyncIntake}), acks them, forwards packets and reports heartbeats ({@link CounterReport}). Driven by {@link #doWork(long)}, which does a bounded amount of work and returns
 * how much; the same class runs in a worker process (one io_uring loop) and in the simulator.
 *
 * <p>The packet path ({@link #onFrame}, {@link #onSendComplete}) allocates nothing and logs nothing. Not
 * thread-safe: one thread owns the agent and every seam it was given.
 *
 * <p>Not final only so that the simulator's checker mutants ({@code sim/src/test}) can override the package-private
 * hooks ({@link #onApply}, {@link #installTable}, {@link #addToTable}, {@link #removeFromTable},
 * {@link #closeDestination}, {@link #sendPacket}, {@link #countDrop},
 * {@link #onDutyCycle}); no production class extends it (ArchUnit checks {@code sim/src/main}).
 */
public class WorkerAgent implements DutyCycle {
    /**
     * Tunables of a worker. {@code sendLimit} bounds the sends one duty cycle hands over (the copies of the frames it
     * reads, for every output of the widest rule), and with it the burst one cycle emits
     * ({@link WorkerTable#frameBudget}). With three outputs, cycles of 256 frames handed up to 768 datagrams to one
     * {@code sendmmsg}; with 85, the receivers behind lost less in A/B runs (benchmarks/RESULTS.md, "Sends per duty
     * cycle").
     */
    public record Config(int workerIndex, long heartbeatIntervalNs, int commandLimit, int sendLimit,
                         int completionLimit, LogLevels logLevels) {
        public static final long DEFAULT_HEARTBEAT_INTERVAL_NS = 250_000_000L;
        /** An idle worker's heartbeats are this many usual intervals apart ({@link #idleHeartbeatIntervalNs}). */
        public static final int IDLE_HEARTBEAT_FACTOR = 4;

        public Config {
            if (heartbeatIntervalNs <= 0 || commandLimit <= 0 || sendLimit <= 0 || completionLimit <= 0) {
                throw new IllegalArgumentException("worker limits and intervals must be positive");
            }
            java.util.Objects.requireNonNull(logLevels, "logLevels");
        }

        /** A worker whose log levels the supervisor's {@code LogLevel} commands do not reach (simulation, tests). */
        public Config(final int workerIndex, final long heartbeatIntervalNs, final int commandLimit,
                      final int sendLimit, final int completionLimit) {
            this(workerIndex, heartbeatIntervalNs, commandLimit, sendLimit, completionLimit, LogLevels.NONE);
        }

        /** The same with its log levels set through {@code levels} (the worker process's logging). */
        public Config withLogLevels(final LogLevels levels) {
            return new Config(workerIndex, heartbeatIntervalNs, commandLimit, sendLimit, completionLimit, levels);
        }

        /**
         * The interval between the heartbeats of a worker with nothing to report ({@link #QUIET_HEARTBEATS} heartbeats
         * in a row with nothing new): {@link #IDLE_HEARTBEAT_FACTOR} usual intervals, at most what a heartbeat may
         * announce.
         */
        public long idleHeartbeatIntervalNs() {
            return Math.min(heartbeatIntervalNs * IDLE_HEARTBEAT_FACTOR, WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS);
        }

        /** Defaults for worker {@code workerIndex}. */
        public static Config defaults(final int workerIndex) {
            return new Config(workerIndex, DEFAULT_HEARTBEAT_INTERVAL_NS, 16, 256, 1024);
        }
    }

    /** No ruleset yet: the first command must be a {@code Sync}. */
    public static final long NO_EPOCH = WorkerMessageCodec.NO_EPOCH;
    /** Heartbeats in a row with nothing new to report after which the worker heartbeats at the idle interval. */
    public static final int QUIET_HEARTBEATS = 4;

    /*
     * A send's user data: [63] traced, [62..40] traced packet number (23 bits), [39..16] rule slot, [15..0] output.
     * The completion finds the rule's counters (and, when traced, the packet) without a lookup that allocates.
     */
    private static final int OUTPUT_BITS = 16;
    private static final int SLOT_BITS = RuleStatsTable.SLOT_BITS;
    private static final long TRACED_BIT = 1L << 63;
    private static final int TRACE_PACKET_SHIFT = OUTPUT_BITS + SLOT_BITS;
    /** Traced packets recorded per heartbeat interval, so that tracing a busy rule stays cheap and bounded. */
    static final int TRACE_SAMPLES_PER_INTERVAL = 64;
    private static final int TRACE_RING_EVENTS = 2048;

    private final Config config;
    private final WorkerChannel channel;
    private final PacketIo io;
    private final Timers timers;
    private final PacketParser parser = new PacketParser();
    private final WireWriter writer = new WireWriter();
    private final ForwardingTable table = new ForwardingTable();
    private RuleSet rules = new RuleSet();
    private final SyncIntake intake = new SyncIntake();
    private final SyncIntake.Opener opener = this::openOutput;
    private final CounterReport report;
    private final RuleStatsTable stats;
    private long interfacesSeen = Long.MIN_VALUE;
    private final TraceRing traceRing = new TraceRing(TRACE_RING_EVENTS, TRACE_SAMPLES_PER_INTERVAL);

    private final HeldInputs inputs;
    private long epoch = NO_EPOCH;
    /**
     * The (epoch, hash) acks and heartbeats report: where the worker was when no input release was under way. While
     * one is (draining a ring before closing it, and a newer generation of that input waiting), the worker holds
     * neither what the previous epoch nor what the current one says, so it reports the last state it really was in
     * and owes its ack until the release ends.
     */
    private long reportedEpoch = NO_EPOCH;
    private long reportedHash = RulesetHash.EMPTY;
    /**
     * An input was handed over or taken back since the last {@code Sync} or {@code Apply}: the supervisor sends them
     * right before the change they belong to, so until that change is read the worker is in no state the supervisor
     * has a hash for (it is neither the old epoch's nor the new one's), and it reports none.
     */
    private boolean inputsAwaitEpoch;
    private boolean ackOwed;
    private boolean done;
    private String doneReason = "";
    private long heartbeatTimerId = -1;
    private long heartbeatSequence;
    private long heartbeatsSkipped;
    /** When the last heartbeat went (or the worker started). */
    private long lastHeartbeatNs;
    /** The pending heartbeat is at the idle interval: anything that happens brings it back to the usual one. */
    private boolean heartbeatIdle;
    /** Heartbeats in a row that had nothing new to report ({@link #quietSinceLastHeartbeat}). */
    private int quietHeartbeats;
    // What the last heartbeat reported, to tell whether the next one has anything new.
    private long markFrames = -1;
    private long markCommands;
    private long markSends;
    private long markCompletions;
    private long markErrors;
    private long markInputs;
    private long markEpoch;
    private long markHash;
    private long commandsReceived;

    private long framesReceived;
    private long unmatched;
    private long malformed;
    private long fragments;
    // Worker-wide totals that outlive removed rules, for the conservation checker.
    private long matched;
    private long sendsAttempted;
    private long sendsCompleted;
    private long sendsFailed;
    private long sendsInFlight;
    private long dropsBufferFull;
    private long dropsNoBufferSpace;
    private long dropsSendError;
    private long dropsLinkDown;

    private final WorkerChannel.FrameHandler commandHandler = this::onCommandFrame;
    private final PacketIo.FrameHandler frameHandler = this::onFrame;
    private final PacketIo.CompletionHandler completionHandler = this::onSendComplete;
    private final OutputErrors outputErrors = new OutputErrors();
    private final WorkerTable compiled;
    private final PacketIo.SendErrorHandler sendErrorHandler;
    private final Timers.Handler timerHandler = this::onTimer;

    public WorkerAgent(final Config config, final WorkerChannel channel, final PacketIo io, final Timers timers) {
        this.config = Objects.requireNonNull(config, "config");
        this.channel = Objects.requireNonNull(channel, "channel");
        this.io = Objects.requireNonNull(io, "io");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.inputs = new HeldInputs(io);
        this.report = new CounterReport(config.heartbeatIntervalNs());
        this.stats = new RuleStatsTable(report);
        this.sendErrorHandler = (destination, errno) -> outputErrors.onReport(destination, stats.slots(), report);
        this.compiled = new WorkerTable(io, stats, outputErrors, new WorkerTable.Hooks(this::installTable,
            this::addToTable, this::removeFromTable, this::closeDestination));
    }

    /** Starts the heartbeat; call once, before the first {@link #doWork}. */
    public void start(final long nowNs) {
        assert heartbeatTimerId == -1 : "started twice";
        lastHeartbeatNs = nowNs;
        heartbeatTimerId = timers.schedule(nowNs + config.heartbeatIntervalNs());
    }

    /**
     * One duty cycle: commands (up to one {@code Sync} chunk), a step of a Sync being taken in, owed acks, frames,
     * completions, timers, then one submit.
     *
     * @return the amount of work done (0 means idle)
     */
    @Override
    public int doWork(final long nowNs) {
        if (done) {
            return 0;
        }
        onDutyCycle(nowNs);
        final long chunksBefore = intake.chunksTaken();
        int work = 0; // commands one at a time, none after a Sync chunk: taking one in is a cycle's share of a table
        while (work < config.commandLimit() && intake.chunksTaken() == chunksBefore
            && channel.poll(commandHandler, 1) > 0) {
            work++;
        }
        work += takeInSync(nowNs);
        if (inputs.releasing()) {
            final int released = inputs.continueReleases();
            if (released > 0) {
                ackOwed = true;
                work += released;
            }
        }
        final long interfaces = io.interfacesVersion();
        if (interfaces != interfacesSeen) {
            interfacesSeen = interfaces;
            if (epoch != NO_EPOCH) {
                rebuild(); // interface indices may have moved: match frames on the new ones
                work++;
            }
        }
        // While a Sync is taken in, the inputs handed over with it are held but its rules are not installed yet: a
        // state the supervisor has no hash for, so the last real one is reported until the install.
        if (!inputs.releasing() && !inputsAwaitEpoch && !intake.underWay()) {
            reportedEpoch = epoch;
            reportedHash = rulesetHash();
            if (ackOwed) {
                work += sendAck();
            }
        }
        // Completions first: they give back send capacity. Then no more frames than the capacity can forward, so a
        // burst waits in the receive ring rather than being read and dropped for want of a submission slot, and no
        // more than the cycle's send limit allows. Before the first Sync there is no table to match against: frames
        // wait in the ring too (a replacement worker adopting its predecessor's ring forwards what arrived in between
        // instead of counting it unmatched).
        work += io.pollCompletions(completionHandler, config.completionLimit());
        work += io.pollSendErrors(sendErrorHandler, config.completionLimit());
        final int frameBudget = epoch == NO_EPOCH ? 0 : compiled.frameBudget(config.sendLimit(), io.sendCapacity());
        if (frameBudget > 0) {
            work += io.pollFrames(frameHandler, frameBudget);
        }
        if (heartbeatIdle && work > 0) {
            heartbeatSoon(nowNs);
        }
        work += timers.poll(nowNs, timerHandler, 4);
        work += io.submit();
        if (channel.isClosed()) {
            finish("the supervisor's channel closed");
        }
        return work;
    }

    /** True once the worker should exit: its channel closed or it was told to shut down. */
    @Override
    public boolean isDone() {
        return done;
    }

    /** Why the worker is done, for its exit log. */
    public String doneReason() {
        return doneReason;
    }

    public long epoch() {
        return epoch;
    }

    /** Frames read since the worker started: a plain counter, read without allocating. */
    public long framesReceived() {
        return framesReceived;
    }

    /** How far the Sync being taken in got, as heartbeats report it ({@code SyncProgress.NONE} when none is). */
    public WorkerMessage.SyncProgress syncProgress() {
        return intake.progress();
    }

    /** The hash of the rules installed and the inputs held (not those being released); see {@code RulesetHash}. */
    public long rulesetHash() {
        return rules.hash() + inputs.hash();
    }

    /** The rules installed, in id order (for checkers and tests). */
    public List<Rule> rules() {
        return rules.rules();
    }

    /** The inputs held, by interface name, with the generation of each (for checkers and tests). */
    public java.util.SortedMap<String, Long> inputGenerations() {
        return inputs.generations();
    }

    public int workerIndex() {
        return config.workerIndex();
    }

    // ---- commands -------------------------------------------------------------------------------------------

    private void onCommandFrame(final DirectBuffer buffer, final int offset, final int length) {
        commandsReceived++;
        final WorkerMessage message;
        try {
            message = WorkerMessageCodec.decode(buffer, offset, length);
        } catch (final CodecException e) {
            // The supervisor never sends a bad frame: a corrupt channel cannot be trusted, so leave and be restarted.
            finish("bad frame from the supervisor: " + e.getMessage());
            return;
        }
        switch (message) {
            case WorkerMessage.Sync sync -> {
                inputsAwaitEpoch = false;
                onSync(sync);
            }
            case WorkerMessage.Apply apply -> {
                inputsAwaitEpoch = false;
                onApply(apply);
            }
            case WorkerMessage.Shutdown shutdown -> finish("shutdown: " + shutdown.reason());
            case WorkerMessage.AttachInput attach -> {
                inputs.attach(attach, channel.takeDescriptor());
                inputsAwaitEpoch = true;
                ackOwed = true; // whatever came of it, say where we are once its change is read
            }
            case WorkerMessage.ReleaseInput release -> {
                inputs.release(release);
                inputsAwaitEpoch = true;
                ackOwed = true;
            }
            case WorkerMessage.Trace trace -> stats.setTraced(trace.id(), trace.enabled());
            case WorkerMessage.LogLevel level -> config.logLevels().set(level.facility(), level.level());
            default -> finish("unexpected " + message.getClass().getSimpleName() + " from the supervisor");
        }
    }

    private void onSync(final WorkerMessage.Sync sync) {
        try {
            // An older Sync (delayed or duplicated) would move us backwards: ignore it, but say where we are.
            ackOwed |= intake.offer(sync, epoch) == SyncIntake.Taken.STALE;
        } catch (final IllegalArgumentException e) {
            finish("bad Sync from the supervisor: " + e.getMessage());
        }
    }

    /**
     * Moves a Sync being taken in along by a bounded step ({@link SyncIntake}); once prepared, installs it at its
     * epoch, applies the Applies that came meanwhile in order, and owes the ack. Returns the work done.
     */
    private int takeInSync(final long nowNs) {
        if (!intake.underWay()) {
            return 0;
        }
        final int prepared = intake.prepare(rules, opener);
        if (!intake.ready()) {
            return prepared;
        }
        if (intake.announceInstall()) { // a big table: say it is all prepared, then install it next cycle
            sendHeartbeat(nowNs);
            return prepared + 1;
        }
        final List<WorkerMessage.Apply> deferred = new ArrayList<>();
        epoch = intake.epoch();
        rules = intake.take(deferred);
        for (final WorkerMessage.Apply apply : deferred) {
            if (apply.epoch() == epoch + 1) { // in order; a gap leaves the rest to the supervisor's resync
                applyChangeWithoutRebuild(apply);
            }
        }
        rebuild();
        ackOwed = true;
        return prepared + 1;
    }

    /** Opens output {@code output} of {@code rule} ahead of its install; the install finds it open. */
    private int openOutput(final Rule rule, final int output) {
        final RuleOutput out = rule.outputs().get(output);
        return compiled.destinations().prepared(io.openDestination(out.interfaceName(), out.group().toBytes(), out.port(),
            out.ttl()));
    }

    /** Hook: an {@code Apply} arrived. */
    void onApply(final WorkerMessage.Apply apply) {
        // Only the next epoch applies; an old or duplicate one is already in, a later one means we missed one and
        // the supervisor will send a Sync when it sees our ack. Either way the ack tells it where we are. While a
        // Sync is taken in, an Apply waits for it: it follows that Sync's epoch, not the one installed.
        if (intake.underWay()) {
            if (apply.epoch() > intake.epoch()) {
                intake.deferApply(apply); // if too many wait, it is dropped: the supervisor sends the table again
            }
        } else if (epoch != NO_EPOCH && apply.epoch() == epoch + 1) {
            applyChange(apply);
        }
        ackOwed = true;
    }

    final void applyChange(final WorkerMessage.Apply apply) {
        applyChangeWithoutRebuild(apply);
        if (compiled.inPlace() && !intake.underWay()) {
            compiled.change(rules, apply.removals(), apply.upserts()); // the cost of the change, not the table's
        } else {
            rebuild();
        }
    }

    private void applyChangeWithoutRebuild(final WorkerMessage.Apply apply) {
        assert apply.epoch() == epoch + 1 : "apply out of order";
        for (final RuleId id : apply.removals()) {
            rules.remove(id);
        }
        for (final Rule rule : apply.upserts()) {
            rules.put(rule);
        }
        epoch = apply.epoch();
    }

    /** Hook: called at the start of every duty cycle. */
    void onDutyCycle(final long nowNs) {
    }

    final RuleSet ruleSet() {
        return rules;
    }

    /** Sends an {@code Ack} now, whatever is owed (a mutant's early ack). */
    final void sendAckNow(final long ackEpoch, final long hash) {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Ack(ackEpoch, hash), writer);
        channel.send(writer.buffer(), 0, writer.position());
    }

    private int sendAck() {
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Ack(reportedEpoch, reportedHash), writer);
        final WorkerChannel.SendResult result = channel.send(writer.buffer(), 0, writer.position());
        if (result == WorkerChannel.SendResult.FULL) {
            return 0; // try again next cycle: the ack is owed until it is sent
        }
        ackOwed = false;
        return 1;
    }

    /** Recompiles the forwarding table from the whole ruleset and reconciles counters and destinations. */
    private void rebuild() {
        compiled.rebuild(rules, intake.underWay());
        assert stats.size() == rules.size();
    }

    /** Hook: releases a destination no rule uses any more (nor a Sync being prepared). */
    void closeDestination(final int destination) {
        io.closeDestination(destination);
    }

    /** Hook: makes {@code entries} the forwarding table. */
    void installTable(final List<ForwardingTable.Entry> entries) {
        table.rebuild(entries);
    }

    /** Hook: adds one entry to the forwarding table (an Apply, in place). */
    void addToTable(final ForwardingTable.Entry entry) {
        table.put(entry);
    }

    /** Hook: takes one entry out of the forwarding table (an Apply, in place). */
    void removeFromTable(final ForwardingTable.Entry entry) {
        final boolean removed = table.remove(entry);
        assert removed : "the entry of " + entry.rule.id() + " was not in the table";
    }

    // ---- the packet path: no allocation, no logging ---------------------------------------------------------

    /** One received frame, lent for the duration of the call. */
    public void onFrame(final int ifIndex, final DirectBuffer frame, final int offset, final int length) {
        framesReceived++;
        switch (parser.parse(frame, offset, length)) {
            case PacketParser.OK -> forward(ifIndex, frame, offset, length);
            case PacketParser.NOT_UDP -> unmatched++;
            case PacketParser.FRAGMENT -> fragments++;
            default -> malformed++;
        }
    }

    private void forward(final int ifIndex, final DirectBuffer frame, final int offset, final int frameLength) {
        final ForwardingTable.Entry entry = table.lookup(ifIndex, parser.destinationAddress(),
            parser.destinationPort(), parser.sourceAddress());
        if (entry == null) {
            unmatched++;
            return;
        }
        final RuleStats counters = entry.stats;
        final int payloadLength = parser.payloadLength();
        matched++;
        counters.packetsIn++;
        counters.bytesIn += payloadLength;
        report.mark(counters.slot);
        long userDataBase = (long) counters.slot << OUTPUT_BITS;
        final long packet = counters.traced ? traceRing.sample(counters.slot, frameLength, payloadLength) : -1;
        if (packet >= 0) { // free when off: one field test
            userDataBase |= TRACED_BIT | packet << TRACE_PACKET_SHIFT;
        }
        final int[] destinations = entry.destinations;
        for (int i = 0; i < destinations.length; i++) {
            final long userData = userDataBase | i;
            sendsAttempted++;
            if (sendPacket(destinations[i], frame, offset + parser.payloadOffset(), payloadLength, userData) == 0) {
                counters.inFlight++;
                sendsInFlight++;
            } else {
                // The submission queue is full: as good as a full socket buffer.
                countDrop(counters, i, -PacketIo.EAGAIN);
                if (userData < 0) { // traced
                    traceRing.record(counters.slot, packetOf(userData), WorkerMessage.TraceEvent.DROPPED, i,
                        PacketIo.SEND_QUEUE_FULL);
                }
            }
        }
    }

    /** Hook: hands one send to the packet I/O. */
    int sendPacket(final int destination, final DirectBuffer payload, final int offset, final int length,
                   final long userData) {
        return io.send(destination, payload, offset, length, userData);
    }

    /** Hook: counts one failed send under exactly one reason, for the rule and the worker. */
    void countDrop(final RuleStats stats, final int output, final int result) {
        sendsFailed++;
        report.mark(stats.slot);
        switch (PacketIo.SendFailure.of(result)) {
            case BUFFER_FULL -> {
                stats.dropsBufferFull++;
                dropsBufferFull++;
            }
            case NO_BUFFER_SPACE -> {
                stats.dropsNoBufferSpace++;
                dropsNoBufferSpace++;
            }
            case LINK_DOWN -> {
                stats.dropsLinkDown++;
                dropsLinkDown++;
            }
            case SEND_ERROR -> {
                stats.dropsSendError++;
                dropsSendError++;
            }
        }
    }

    private static long packetOf(final long userData) {
        return userData >>> TRACE_PACKET_SHIFT & TraceRing.PACKET_MASK;
    }

    /** The outcome of one send: bytes sent, or a negative errno. */
    public void onSendComplete(final long userData, final int result) {
        final RuleStats rule = stats.slot((int) (userData >>> OUTPUT_BITS & ((1L << SLOT_BITS) - 1)));
        assert rule != null && rule.inFlight > 0 : "completion for an unknown send";
        final int output = (int) (userData & ((1 << OUTPUT_BITS) - 1));
        rule.inFlight--;
        sendsInFlight--;
        report.mark(rule.slot);
        if (result >= 0) {
            sendsCompleted++;
            if (output < rule.packetsOut.length) { // a rule may have lost outputs while the send was in flight
                rule.packetsOut[output]++;
                rule.bytesOut[output] += result;
            }
        } else {
            countDrop(rule, output, result);
        }
        if (userData < 0) { // traced
            traceRing.record(rule.slot, packetOf(userData), result >= 0 ? WorkerMessage.TraceEvent.SENT
                : WorkerMessage.TraceEvent.DROPPED, output, result);
        }
        if (rule.retired) {
            stats.releaseIfIdle(rule);
        }
    }

    // ---- heartbeats -----------------------------------------------------------------------------------------

    private void onTimer(final long timerId, final long nowNs) {
        if (timerId != heartbeatTimerId) {
            return;
        }
        final long nextNs = sendHeartbeat(nowNs);
        heartbeatIdle = nextNs > config.heartbeatIntervalNs();
        heartbeatTimerId = timers.schedule(nowNs + nextNs);
    }

    /**
     * The pending heartbeat was at the idle interval and something happened: the next one goes at the usual interval
     * from the last (at once if that is past), so counters and acks are reported as promptly as while busy.
     */
    private void heartbeatSoon(final long nowNs) {
        timers.cancel(heartbeatTimerId);
        heartbeatTimerId = timers.schedule(Math.max(nowNs, lastHeartbeatNs + config.heartbeatIntervalNs()));
        heartbeatIdle = false;
    }

    /**
     * Sends a heartbeat; returns the interval to the next one. After {@link #QUIET_HEARTBEATS} heartbeats in a row with
     * nothing new, each announces the idle interval; the first of them is still followed at the usual interval and
     * only the next ones at the idle interval, so that the supervisor learns of the longer interval before the first
     * long silence even if one heartbeat of the two is lost on the way. One the channel could not take announced
     * nothing, so the usual interval follows, and the quiet count starts over.
     */
    private long sendHeartbeat(final long nowNs) {
        final List<WorkerMessage.TraceEvent> traces = new ArrayList<>();
        traceRing.drainTo(traces, stats.slots());
        final WorkerCounters counters = workerCounters(stats.forHeartbeat());
        final boolean quiet = quietSinceLastHeartbeat(counters) && traces.isEmpty() && !intake.underWay();
        quietHeartbeats = quiet ? Math.min(quietHeartbeats + 1, QUIET_HEARTBEATS + 1) : 0;
        final long announcedNs = quietHeartbeats >= QUIET_HEARTBEATS ? config.idleHeartbeatIntervalNs() : 0;
        writer.reset();
        WorkerMessageCodec.encode(new WorkerMessage.Heartbeat(heartbeatSequence++, reportedEpoch, reportedHash,
            announcedNs, intake.progress(), counters, traces), writer);
        if (channel.send(writer.buffer(), 0, writer.position()) == WorkerChannel.SendResult.SENT) {
            report.sent();
            lastHeartbeatNs = nowNs;
            return quietHeartbeats > QUIET_HEARTBEATS ? config.idleHeartbeatIntervalNs()
                : config.heartbeatIntervalNs();
        }
        heartbeatsSkipped++; // a full channel: the next heartbeat carries these changes too
        quietHeartbeats = 0;
        return config.heartbeatIntervalNs();
    }

    /**
     * Whether nothing happened since the last heartbeat that a heartbeat reports: no frame read, command taken, send
     * made or completed, error reported, input counter moved, epoch or hash changed. Every one of these only grows
     * (or, for epoch and hash, is compared whole), so equal values mean nothing moved. Remembers the values.
     */
    private boolean quietSinceLastHeartbeat(final WorkerCounters counters) {
        long inputsTotal = 0;
        for (final WorkerCounters.InputCounters input : counters.inputs()) {
            inputsTotal += input.packets() + input.ringFull() + input.stagingFull();
        }
        final long errors = outputErrors.reports();
        final boolean quiet = markFrames == framesReceived && markCommands == commandsReceived
            && markSends == sendsAttempted && markCompletions == sendsCompleted + sendsFailed && markErrors == errors
            && markInputs == inputsTotal && markEpoch == reportedEpoch && markHash == reportedHash;
        markFrames = framesReceived;
        markCommands = commandsReceived;
        markSends = sendsAttempted;
        markCompletions = sendsCompleted + sendsFailed;
        markErrors = errors;
        markInputs = inputsTotal;
        markEpoch = reportedEpoch;
        markHash = reportedHash;
        return quiet;
    }

    /** The cumulative counters of the worker and of every rule it holds (a heartbeat carries only some rules'). */
    public WorkerCounters counters() {
        return workerCounters(stats.all());
    }

    private WorkerCounters workerCounters(final List<WorkerCounters.RuleCounters> perRule) {
        final List<WorkerCounters.InputCounters> inputs = io.inputCounts().stream().map(input ->
            new WorkerCounters.InputCounters(input.interfaceName(), input.packets(), input.ringFull(),
                input.stagingFull())).toList();
        return new WorkerCounters(framesReceived, unmatched, malformed, fragments, removedPacketsIn(),
            stats.removedBytesIn(), inputs, perRule);
    }

    /** What the rules removed so far had counted in (package-private for the simulator's mutants). */
    long removedPacketsIn() {
        return stats.removedPacketsIn();
    }

    /** Worker-wide totals since start, including rules removed since (see {@link WorkerTotals}). */
    public WorkerTotals totals() {
        return new WorkerTotals(framesReceived, matched, unmatched, malformed, fragments, sendsAttempted, sendsCompleted,
            sendsFailed, sendsInFlight, dropsBufferFull, dropsNoBufferSpace, dropsSendError, dropsLinkDown,
            outputErrors.reports());
    }

    /** Heartbeats that could not be sent because the channel was full. */
    public long heartbeatsSkipped() {
        return heartbeatsSkipped;
    }

    /** Ends the worker: it closes its channel and is done (package-private for the simulator's mutants). */
    final void finish(final String reason) {
        if (!done) {
            done = true;
            doneReason = reason;
            channel.close();
            inputs.closePending();
        }
    }
}
