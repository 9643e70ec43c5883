package io.mcrelay.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.core.PacketParser;
import io.mcrelay.core.Supervisor;
import io.mcrelay.core.WorkerAgent;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.WorkerChannel;

/**
 * A supervisor and its workers over simulated seams, stepped in one thread on virtual time: the world the core's
 * scenario and model tests run in (and the seed of the full simulator). It builds the real {@link Supervisor} and
 * {@link WorkerAgent} classes, exactly as the daemon does, around {@link SimLauncher}, {@link SimNetwork},
 * {@link SimControlServer} and {@link SimTimers}. Single-threaded and deterministic: no clock but
 * {@link ManualClock}, no randomness of its own.
 */
public final class Cluster {
    /** How far virtual time moves per step. */
    public static final long STEP_NS = 1_000_000L;
    /** The frames in flight on one worker channel, in bytes, before sends see {@code FULL}. */
    public static final int CHANNEL_CAPACITY_BYTES = 8 * 1024 * 1024;

    private final ManualClock clock = new ManualClock(1_000_000_000L, 1_700_000_000_000L);
    private final SimNetwork network = new SimNetwork();
    private final SimControlServer control = new SimControlServer();
    private final SimLinkMonitor links;
    private final SimLauncher launcher;
    private final Supervisor supervisor;
    private final PacketParser fanoutParser = new PacketParser();
    private final SimInputSockets inputSockets = new SimInputSockets();

    /** A cluster of {@code workers} workers with the given supervisor tunables, not started yet. */
    public Cluster(final Supervisor.Config config) {
        links = network.monitor();
        network.setFanout(this::selectWorker);
        launcher = new SimLauncher(this::newWorker, clock, CHANNEL_CAPACITY_BYTES, Frames.WORKER_MAX_BYTES);
        supervisor = new Supervisor(config, new Supervisor.Seams(new SimTimers(), launcher, control, links,
            new MapLogLevels(), inputSockets));
    }

    private SimLauncher.Incarnation newWorker(final int index, final long launchId, final WorkerChannel channel) {
        final SimPacketIo io = network.attach();
        return new SimLauncher.Incarnation(new WorkerAgent(new WorkerAgent.Config(index,
            WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS, 16, 256, 1024), channel, io, new SimTimers()), io);
    }

    /**
     * The kernel's fanout, as DESIGN fixes it: a flow (destination address and port) always lands on the same
     * member. Members are the attached I/Os in attach order.
     */
    private int selectWorker(final int ifIndex, final org.agrona.DirectBuffer frame, final int offset,
                             final int length, final int members) {
        if (fanoutParser.parse(frame, offset, length) != PacketParser.OK) {
            return 0;
        }
        final int hash = fanoutParser.destinationAddress() * 31 + fanoutParser.destinationPort();
        return Math.floorMod(hash, members);
    }

    public void start() {
        supervisor.start(clock.nanoTime());
    }

    /**
     * One step: every worker's duty cycle, the supervisor's, the network and the control sockets; then time. Workers
     * run before the supervisor, so a command the supervisor sends is handled no earlier than the next step: a
     * response that reaches a client in the same step as the command it depends on was sent too early.
     */
    public void step() {
        final long nowNs = clock.nanoTime();
        launcher.step(nowNs);
        supervisor.doWork(nowNs);
        network.step();
        control.step();
        clock.advance(STEP_NS);
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

    /** True when every worker is ready and holds the supervisor's epoch and hash. */
    public boolean converged() {
        final List<SimLauncher.LiveWorker> live = launcher.liveWorkers();
        if (live.size() != supervisor.workers().size()) {
            return false;
        }
        for (final SimLauncher.LiveWorker worker : live) {
            if (!supervisor.isReady(worker.handle().workerIndex())
                || worker.agent().epoch() != supervisor.epoch()
                || worker.agent().rulesetHash() != supervisor.rulesetHash()) {
                return false;
            }
        }
        return true;
    }

    /** Sends one UDP packet into the network on {@code linkName}, as a source on that segment would. */
    public void sendPacket(final String linkName, final int source, final int group, final int port,
                           final byte[] payload) {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payload.length, false)]);
        final int length = UdpFrameEncoder.write(frame, 0, -1, source, group, 40000, port, 8, payload);
        network.injectFrame(linkName, frame, 0, length);
    }

    /** A new control client, already through the hello handshake. */
    public TestClient client() {
        final TestClient client = new TestClient(this, control.connect());
        client.hello();
        return client;
    }

    public ManualClock clock() {
        return clock;
    }

    public SimNetwork network() {
        return network;
    }

    public SimLauncher launcher() {
        return launcher;
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    public SimInputSockets inputSockets() {
        return inputSockets;
    }

    public SimControlServer control() {
        return control;
    }

    /** The live workers' agents, in launch order. */
    public List<WorkerAgent> liveAgents() {
        final List<WorkerAgent> agents = new ArrayList<>();
        for (final SimLauncher.LiveWorker worker : launcher.liveWorkers()) {
            agents.add(worker.agent());
        }
        return agents;
    }
}
