package io.mcrelay.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.fault.CrashPointChannel;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.fault.FaultyWorkerChannel;
import io.mcrelay.protocol.Frames;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.RandomSource;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.DutyCycleRunner;
import io.mcrelay.sim.check.ConvergenceChecker;
import io.mcrelay.sim.fault.FaultSchedule;
import io.mcrelay.sim.seams.EndedInputs;
import io.mcrelay.sim.seams.InMemoryJournal;
import io.mcrelay.sim.seams.ManualClock;
import io.mcrelay.sim.seams.MapLogLevels;
import io.mcrelay.sim.seams.SimControlServer;
import io.mcrelay.sim.seams.SimGroupMemberships;
import io.mcrelay.sim.seams.SimInputGroup;
import io.mcrelay.sim.seams.SimInputSockets;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimLinkMonitor;
import io.mcrelay.sim.seams.SimNetwork;
import io.mcrelay.sim.seams.SimPacketIo;
import io.mcrelay.sim.seams.SimTimers;

/**
 * A supervisor and its workers over simulated seams, stepped in one thread on virtual time: the world of the core's
 * scenario and model tests and of the {@link Simulator}. It builds the real {@link Supervisor} and
 * {@link WorkerAgent} classes, as the daemon does, around {@link SimLauncher}, {@link SimNetwork},
 * {@link SimControlServer}, {@link SimTimers} and an {@link InMemoryJournal}; with {@link Config} it also draws the
 * order of the agents in each step from a seed, injects the faults of a {@link FaultPlan} into the worker channels,
 * and folds everything that happens into an {@link EventLog}. Single-threaded and deterministic.
 */
public final class Cluster implements FaultSchedule.Target {
    /** How far virtual time moves per step. */
    public static final long STEP_NS = 1_000_000L;
    /** The frames in flight on one worker channel, in bytes, before sends see {@code FULL}. */
    public static final int CHANNEL_CAPACITY_BYTES = 8 * 1024 * 1024;
    /**
     * The simulated kernel's membership limits: far below the kernel's defaults (20 groups per socket, 10 sources per
     * group), so that the workload's few groups per interface already spread over several sockets.
     */
    public static final GroupMemberships.Limits MEMBERSHIP_LIMITS = new GroupMemberships.Limits(3, 2);

    /** Builds a supervisor: the real one, or a test's mutant. */
    @FunctionalInterface
    public interface SupervisorFactory {
        Supervisor create(Supervisor.Config config, Supervisor.Seams seams);
    }

    /** Builds a worker agent: the real one, or a test's mutant. */
    @FunctionalInterface
    public interface WorkerFactory {
        WorkerAgent create(WorkerAgent.Config config, WorkerChannel channel, PacketIo io, Timers timers);
    }

    /**
     * How a cluster is built.
     *
     * @param scheduling draws the order of agents in each step; {@code null} for workers first, then the supervisor
     * @param faults     the faults to inject into worker channels; {@code null} for none
     * @param log        where events are folded; {@code null} for no log
     */
    public record Config(Supervisor.Config config, RandomSource scheduling, FaultPlan faults, EventLog log,
                          SupervisorFactory supervisors, WorkerFactory workers, Journal journal, boolean recordIo) {
        public Config {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(supervisors, "supervisors");
            Objects.requireNonNull(workers, "workers");
        }

        public static Config of(final Supervisor.Config config) {
            return new Config(config, null, null, null, Supervisor::new, WorkerAgent::new, null, false);
        }

        public Config with(final RandomSource newScheduling, final FaultPlan newFaults, final EventLog newLog) {
            return new Config(config, newScheduling, newFaults, newLog, supervisors, workers, journal, recordIo);
        }

        public Config withFactories(final SupervisorFactory newSupervisors, final WorkerFactory newWorkers) {
            return new Config(config, scheduling, faults, log, newSupervisors, newWorkers, journal, recordIo);
        }

        /** The supervisor's journal (kept across its crashes); {@code null} for a new {@link InMemoryJournal}. */
        public Config withJournal(final Journal newJournal) {
            return new Config(config, scheduling, faults, log, supervisors, workers, newJournal, recordIo);
        }

        /** Also journal every input and output of the supervisor, for {@code journal replay}. */
        public Config recordingIo() {
            return recordingIoIf(true);
        }

        public Config recordingIoIf(final boolean record) {
            return new Config(config, scheduling, faults, log, supervisors, workers, journal, record);
        }
    }

    /** One life of the supervisor: everything that dies with its process. */
    private final class SupervisorLife {
        final SimTimers timers = new SimTimers();
        final SimControlServer control = new SimControlServer();
        final SimInputSockets inputSockets =
            new SimInputSockets(network, options.config().workerCount(), SimInputGroup.DEFAULT_RING_FRAMES);
        final SimGroupMemberships memberships = new SimGroupMemberships(network, MEMBERSHIP_LIMITS);
        final SimLauncher launcher;
        final Supervisor supervisor;
        /** Runs the supervisor's duty cycle, as the daemon's runner does; a failed cycle fails it for good. */
        final DutyCycleRunner runner;

        SupervisorLife() {
            launcher = new SimLauncher(Cluster.this::newWorker, clock, CHANNEL_CAPACITY_BYTES, Frames.WORKER_BYTES_MAX,
                Cluster.this::wrapChannel).countingEndedInputsInto(endedInputs);
            final Timers recordedTimers = log == null ? timers : new RecordingTimers(timers, log);
            final Supervisor.Seams seams = new Supervisor.Seams(recordedTimers, launcher, control, links,
                new MapLogLevels(), inputSockets, memberships, journal, clock);
            supervisor = options.supervisors().create(options.config(), io == null ? seams : io.wrap(seams));
            runner = new DutyCycleRunner("supervisor", supervisor);
        }
    }

    private final Config options;
    private final EventLog log;
    private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);
    private final SimNetwork network = new SimNetwork();
    /** The input counts of every ended worker, over every supervisor life. */
    private final EndedInputs endedInputs = new EndedInputs();
    private final SimLinkMonitor links;
    private final Journal journal;
    private final List<FaultyWorkerChannel> faultyChannels = new ArrayList<>();
    private SimNetwork.DeliveryListener deliveries;
    private final io.mcrelay.record.IoRecorder io;
    private final byte[] deliveryScratch = new byte[32];
    private SupervisorLife life;
    private String lastWorkerStates = "";
    private long lastWorkerStateVersion = -1;
    private int supervisorRestarts;

    /** A cluster with the given supervisor tunables, no faults, fixed order; not started yet. */
    public Cluster(final Supervisor.Config config) {
        this(Config.of(config));
    }

    public Cluster(final Config options) {
        this.options = options;
        this.log = options.log();
        this.journal = options.journal() == null ? new InMemoryJournal() : options.journal();
        this.io = options.recordIo() ? new io.mcrelay.record.IoRecorder(journal, clock) : null;
        links = network.monitor();
        network.setDeliveryListener((endpoint, ttl, payload, offset, length) -> {
            if (log != null) {
                // String hash codes are fixed by the JLS; a record's own hashCode is not, so it is not used.
                final long where = (endpoint.interfaceName().hashCode() * 31L + endpoint.group().hashCode()) * 31L
                    + endpoint.port();
                final int sampled = Math.min(length, deliveryScratch.length);
                payload.getBytes(offset, deliveryScratch, 0, sampled);
                log.record(EventLog.DELIVERY, where, ttl, length);
                log.record(EventLog.DELIVERY, deliveryScratch, 0, sampled);
            }
            if (deliveries != null) {
                deliveries.onDelivered(endpoint, ttl, payload, offset, length);
            }
        });
        life = new SupervisorLife();
    }

    private SimLauncher.Incarnation newWorker(final int index, final long launchId, final WorkerChannel channel) {
        final SimPacketIo io = network.attach();
        final SimTimers timers = new SimTimers();
        final Timers recorded = log == null ? timers : new RecordingTimers(timers, log);
        return new SimLauncher.Incarnation(options.workers().create(new WorkerAgent.Config(index,
            WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS, 16, 256, 1024), channel, io, recorded), io, timers);
    }

    private WorkerChannel wrapChannel(final WorkerChannel end, final boolean supervisorEnd,
                                      final WorkerLauncher.WorkerHandle handle) {
        WorkerChannel wrapped = end;
        final FaultPlan faults = options.faults();
        if (faults != null) {
            final SimLauncher launcher = life == null ? null : life.launcher;
            wrapped = new CrashPointChannel(wrapped, faults, !supervisorEnd, () -> {
                if (launcher != null) {
                    launcher.requestCrash(handle);
                }
            });
            final FaultyWorkerChannel faulty = new FaultyWorkerChannel(wrapped, clock, faults);
            faultyChannels.add(faulty);
            wrapped = faulty;
        }
        if (log != null) {
            wrapped = new RecordingWorkerChannel(wrapped, log, (int) (handle.launchId() * 2 + (supervisorEnd ? 0 : 1)));
        }
        return wrapped;
    }

    /** Journals the run's seed, when inputs are recorded. */
    public void recordSeed(final long seed) {
        if (io != null) {
            io.seed(clock.nanoTime(), seed);
        }
    }

    /** Where delivered packets are reported (the workload's sinks); one listener. */
    public void onDelivery(final SimNetwork.DeliveryListener listener) {
        deliveries = listener;
    }

    public void start() {
        startSupervisor();
    }

    private void startSupervisor() {
        if (io != null) {
            io.start(clock.nanoTime(), options.config());
        }
        life.supervisor.start(clock.nanoTime());
    }

    /**
     * One step: every live worker's duty cycle and the supervisor's (workers first, or in an order drawn from the
     * seed), each through its own {@link DutyCycleRunner}, the network and the control sockets; then time. With
     * workers first, a command the supervisor sends is handled no earlier than the next step. Returns the work done;
     * 0 means nothing happened. An error escaping a duty cycle escapes the step: the run ends there, and the
     * simulator's caller reports the seed as failed with its reproduce command.
     */
    public int step() {
        final long nowNs = clock.nanoTime();
        int work = 0;
        final List<SimLauncher.LiveWorker> workers = life.launcher.liveWorkers();
        if (options.scheduling() == null) {
            for (final SimLauncher.LiveWorker worker : workers) {
                work += life.launcher.stepWorker(worker, nowNs);
            }
            work += supervisorCycle(nowNs);
        } else {
            final int agents = workers.size() + 1;
            final int[] order = new int[agents];
            for (int i = 0; i < agents; i++) {
                order[i] = i;
            }
            for (int i = agents - 1; i > 0; i--) { // Fisher-Yates from the seed
                final int j = options.scheduling().nextInt(i + 1);
                final int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            for (final int agent : order) {
                work += agent == workers.size() ? supervisorCycle(nowNs)
                    : life.launcher.stepWorker(workers.get(agent), nowNs);
            }
        }
        work += network.step();
        work += life.control.step();
        work += life.launcher.applyCrashRequests();
        recordWorkerStates();
        clock.advance(STEP_NS);
        return work;
    }

    private int supervisorCycle(final long nowNs) {
        if (io != null) {
            io.beginCycle(nowNs);
        }
        return life.runner.step(nowNs);
    }

    private void recordWorkerStates() {
        if (log == null) {
            return;
        }
        final long version = life.supervisor.workerStateVersion() * 31 + supervisorRestarts;
        if (version == lastWorkerStateVersion) {
            return; // nothing changed: skip building the description
        }
        lastWorkerStateVersion = version;
        final StringBuilder states = new StringBuilder();
        for (final ControlResponse.WorkerInfo worker : life.supervisor.workers()) {
            states.append(worker.index()).append(worker.state()).append(worker.restarts()).append('@')
                .append(worker.epoch()).append(';');
        }
        final String now = states.toString();
        if (!now.equals(lastWorkerStates)) {
            lastWorkerStates = now;
            log.record(EventLog.WORKER_STATE, now);
        }
    }

    /** True if nothing is moving: no frames held by faults and nothing queued for the network. */
    public boolean quiet() {
        for (final FaultyWorkerChannel channel : faultyChannels) {
            if (channel.heldFrames() > 0) {
                return false;
            }
        }
        return true;
    }

    /** The earliest timer deadline of the supervisor and the workers. */
    public long nextDeadlineNs() {
        return Math.min(life.timers.nextDeadlineNs(), life.launcher.nextDeadlineNs());
    }

    /** Moves time forward to {@code targetNs} without stepping (the caller knows nothing is due before). */
    public void skipTo(final long targetNs) {
        if (targetNs > clock.nanoTime()) {
            clock.advanceTo(targetNs);
        }
    }

    /**
     * The supervisor process dies: its workers die with it (their parent-death signal), its clients are cut off,
     * and a new supervisor starts on the same journal, recovering its rules, ids and epoch.
     */
    @Override
    public void crashSupervisor() {
        final SupervisorLife old = life;
        // Workers die with their supervisor (PR_SET_PDEATHSIG), even a hung one: none lingers on the network.
        old.launcher.killAll();
        old.control.close();
        old.inputSockets.close(); // its descriptors close with it: the next life opens every input anew
        old.memberships.close(); // and its memberships: the next life joins anew
        faultyChannels.clear();
        life = new SupervisorLife();
        supervisorRestarts++;
        startSupervisor();
    }

    /** Steps for {@code durationNs} of virtual time. */
    public void runFor(final long durationNs) {
        final long until = clock.nanoTime() + durationNs;
        while (clock.nanoTime() < until) {
            step();
        }
    }

    /** Steps until {@code condition} holds; false if {@code limitNs} of virtual time passed first. */
    public boolean runUntil(final BooleanSupplier condition, final long limitNs) {
        final long until = clock.nanoTime() + limitNs;
        while (!condition.getAsBoolean()) {
            if (clock.nanoTime() >= until) {
                return false;
            }
            step();
        }
        return true;
    }

    /** True when every worker is ready and holds the supervisor's epoch and hash (see {@link ConvergenceChecker}). */
    public boolean converged() {
        return ConvergenceChecker.converged(life.supervisor, life.launcher.liveWorkers());
    }

    /** Sends one UDP packet into the network on {@code linkName}, as a source on that segment would. */
    public void sendPacket(final String linkName, final int source, final int group, final int port,
                           final byte[] payload) {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payload.length, false)]);
        final int length = UdpFrameEncoder.write(frame, 0, -1, source, group, 40000, port, 8, payload);
        network.injectFrame(linkName, frame, 0, length);
    }

    /** A new control client of the current supervisor, already through the hello handshake. */
    public TestClient client() {
        final TestClient client = new TestClient(this, life.control.connect());
        client.hello();
        return client;
    }

    @Override
    public ManualClock clock() {
        return clock;
    }

    @Override
    public SimNetwork network() {
        return network;
    }

    /** The current supervisor's launcher. */
    @Override
    public SimLauncher launcher() {
        return life.launcher;
    }

    /** The current supervisor. */
    public Supervisor supervisor() {
        return life.supervisor;
    }

    public SimInputSockets inputSockets() {
        return life.inputSockets;
    }

    /** The current supervisor life's group memberships. */
    @Override
    public SimGroupMemberships memberships() {
        return life.memberships;
    }

    /** Link changes the supervisor has not taken yet: until it has, its memberships may lag the network. */
    public int linkEventsPending() {
        return links.pending();
    }

    public SimControlServer control() {
        return life.control;
    }

    public Journal journal() {
        return journal;
    }

    public int supervisorRestarts() {
        return supervisorRestarts;
    }

    /** The current supervisor's live workers' agents, in launch order. */
    public List<WorkerAgent> liveAgents() {
        final List<WorkerAgent> agents = new ArrayList<>();
        for (final SimLauncher.LiveWorker worker : life.launcher.liveWorkers()) {
            agents.add(worker.agent());
        }
        return agents;
    }
}
