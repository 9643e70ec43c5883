package io.mcrelay.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Consumer;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.seam.RandomSource;
import io.mcrelay.seam.support.SeededRandom;
import io.mcrelay.sim.seams.SimControlClient;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * One simulated run from one seed: the real supervisor and workers in a {@link Cluster}, DESIGN's default workload,
 * the seed's swarm mix of faults during a safety phase, then a liveness phase without faults, and the checkers:
 * convergence, acked means applied, refused means nowhere, conservation, no forwarding for removed rules, delivery
 * exactly once, and (by running twice) determinism. It prints {@code SEED=} first and {@code DIGEST=} last; a
 * failure names its checker and the command that reproduces it. Same seed, same run, bit for bit.
 */
public final class Simulator {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000 * MS;

    /** What to run. */
    public record Settings(long seed, long safetyNs, long livenessNs, long convergenceBoundNs, int workers,
                           Cluster.SupervisorFactory supervisors, Cluster.WorkerFactory workerAgents,
                           io.mcrelay.seam.Journal journal) {
        public Settings {
            Objects.requireNonNull(supervisors, "supervisors");
            Objects.requireNonNull(workerAgents, "workerAgents");
            if (safetyNs < 0 || livenessNs < 5 * SECOND || workers < 2) {
                throw new IllegalArgumentException("a run needs 2+ workers and a liveness phase of 5 s or more");
            }
        }

        /** The default workload: 2 workers, 60 s of faults, 30 s without, convergence within 20 s. */
        public static Settings defaults(final long seed) {
            return new Settings(seed, 60 * SECOND, 30 * SECOND, 20 * SECOND, 2, Supervisor::new, WorkerAgent::new,
                null);
        }

        public Settings withDuration(final long safety, final long liveness) {
            return new Settings(seed, safety, liveness, convergenceBoundNs, workers, supervisors, workerAgents, journal);
        }

        public Settings withFactories(final Cluster.SupervisorFactory newSupervisors,
                                      final Cluster.WorkerFactory newWorkers) {
            return new Settings(seed, safetyNs, livenessNs, convergenceBoundNs, workers, newSupervisors, newWorkers,
                journal);
        }

        /** Writes the supervisor's journal here (a Chronicle journal, say) instead of into memory. */
        public Settings withJournal(final io.mcrelay.seam.Journal newJournal) {
            return new Settings(seed, safetyNs, livenessNs, convergenceBoundNs, workers, supervisors, workerAgents,
                newJournal);
        }
    }

    /** What a run found. */
    public record Result(long seed, String digest, String faultMix, Map<FaultKind, Long> fired, long simulatedNs,
                         List<String> failures, long packetsSent, long packetsDelivered, int rulesAdded,
                         int rulesRemoved, int supervisorRestarts, long events) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    /** The command that replays a seed. */
    public static String reproduceCommand(final long seed) {
        return "./mcrelay sim --seed " + seed + "   (or: ./mvnw -pl sim test -Dsim.seed=" + seed + ")";
    }

    private record Scheduled(long atNs, long order, Runnable action) {
    }

    private final Settings settings;
    private final Consumer<String> out;
    private final RandomSource root;
    private final FaultPlan plan;
    private final EventLog log = new EventLog();
    private final Cluster cluster;
    private final Workload workload;
    private final RandomSource faultTargets;
    private final List<String> failures = new ArrayList<>();
    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>((a, b) -> a.atNs() != b.atNs()
        ? Long.compare(a.atNs(), b.atNs()) : Long.compare(a.order(), b.order()));
    private long scheduledOrder;
    // (generation, seq, output) → deliveries: looked up, never iterated. A primitive map: one entry per delivery.
    private final org.agrona.collections.Long2LongHashMap deliveries = new org.agrona.collections.Long2LongHashMap(0);
    private final List<long[]> expectedInLiveness = new ArrayList<>();
    private long packetsDelivered;
    private boolean livenessWindow;

    private SimControlClient connection;
    private long nextRequestId = 1;
    private ControlRequest outstanding;
    private long outstandingHash;
    private boolean reconciling;

    private Simulator(final Settings settings, final Consumer<String> out) {
        this.settings = settings;
        this.out = out;
        this.root = new SeededRandom(settings.seed());
        this.plan = FaultPlan.swarm(settings.seed(), root.split("faults"));
        this.faultTargets = root.split("fault-targets");
        this.workload = new Workload(root.split("workload"));
        final Supervisor.Config config = Supervisor.Config.defaults(settings.workers());
        this.cluster = new Cluster(Cluster.Options.of(config).withFactories(settings.supervisors(),
            settings.workerAgents()).with(root.split("scheduler"), plan, log).withJournal(settings.journal())
            .recordingIoIf(settings.journal() != null)); // a journal given is a journal to replay: record everything
    }

    /** Runs one seed; {@code out} gets the lines a person or a log would see. */
    public static Result run(final Settings settings, final Consumer<String> out) {
        return new Simulator(settings, out).run();
    }

    private Result run() {
        out.accept("SEED=" + settings.seed());
        out.accept("COMMIT=" + BuildInfo.commit());
        out.accept("FAULTS=" + plan.describe());
        final long startNs = cluster.clock().nanoTime();
        final SimNetwork network = cluster.network();
        network.setRecordLimit(0);
        cluster.onDelivery(this::onDelivery);
        for (final String link : List.of("in0", "out0", "out1", "out2")) {
            network.createLinkUp(link);
        }
        if (plan.isEnabled(FaultKind.INTERFACE_LATE)) {
            // The late template's interface appears some time after its rule was added.
            schedule(startNs + 5 * SECOND + faultTargets.nextInt(20_000) * MS, () -> {
                if (network.interfaceIndex(Workload.LATE_LINK) == 0) { // a short run's healing may have made it
                    network.createLinkUp(Workload.LATE_LINK);
                    plan.fired(FaultKind.INTERFACE_LATE);
                }
            });
        } else {
            network.createLinkUp(Workload.LATE_LINK);
        }
        cluster.recordSeed(settings.seed());
        cluster.start();
        if (!cluster.runUntil(cluster::converged, settings.convergenceBoundNs())) {
            fail("convergence", "the workers did not start and sync within the bound");
        }
        connect();

        // Safety: the workload and the faults.
        final long safetyEnd = cluster.clock().nanoTime() + settings.safetyNs();
        runPhase(safetyEnd, true);

        // Liveness: faults stop, everything heals, the cluster must converge, then every packet must arrive once.
        plan.stop();
        heal();
        log.record(EventLog.PHASE, 1, cluster.clock().nanoTime(), 0);
        final long convergeBy = cluster.clock().nanoTime() + settings.convergenceBoundNs();
        while (!(outstanding == null && cluster.converged()) && cluster.clock().nanoTime() < convergeBy) {
            tick(false);
        }
        if (!cluster.converged()) {
            fail("convergence", "not converged " + settings.convergenceBoundNs() / SECOND
                + " s after the faults stopped: supervisor epoch " + cluster.supervisor().epoch() + ", workers "
                + cluster.supervisor().workers());
        }
        // Converged is not yet quiet: a worker thawed by the healing may still be working through a backlog of
        // frames from the safety phase. The delivery window opens once every receive ring is empty.
        while (!backlogsEmpty() && cluster.clock().nanoTime() < convergeBy + settings.convergenceBoundNs()) {
            tick(false);
        }
        livenessWindow = true;
        final long livenessEnd = cluster.clock().nanoTime() + settings.livenessNs() - SECOND;
        runPhase(livenessEnd, false);
        livenessWindow = false;
        cluster.runFor(SECOND); // drain: nothing new is sent
        checkConservation();
        checkDelivery();

        final Result result = new Result(settings.seed(), log.digest(), plan.describe(), plan.firedCounts(),
            cluster.clock().nanoTime() - startNs, List.copyOf(failures), workload.packetsSent, packetsDelivered,
            workload.adds, workload.removes, cluster.supervisorRestarts(), log.events());
        if (!failures.isEmpty()) {
            for (final String failure : failures.subList(0, Math.min(failures.size(), 10))) {
                out.accept("FAILED " + failure);
            }
            out.accept("REPRODUCE: " + reproduceCommand(settings.seed()));
        }
        out.accept("DIGEST=" + result.digest());
        return result;
    }

    // ---- the main loop ---------------------------------------------------------------------------------------

    private long nextPacketNs;
    private long nextFaultTickNs;
    private long nextChangeNs;
    private long nextConservationNs;

    private void runPhase(final long endNs, final boolean safety) {
        while (cluster.clock().nanoTime() < endNs) {
            tick(safety);
        }
    }

    /** One step of the world, with the workload's and the faults' work that is due. */
    private void tick(final boolean safety) {
        final long nowNs = cluster.clock().nanoTime();
        while (!scheduled.isEmpty() && scheduled.peek().atNs() <= nowNs) {
            scheduled.poll().action().run();
        }
        if (nowNs >= nextPacketNs) {
            workload.sendPackets(cluster, nowNs, true);
            if (livenessWindow) {
                rememberExpected(nowNs);
            }
            nextPacketNs = nowNs + Workload.PACKET_INTERVAL_NS;
        }
        if (safety && nowNs >= nextChangeNs && outstanding == null && connection != null) {
            final ControlRequest request = workload.nextChange(nextRequestId);
            if (request != null) {
                send(request);
            }
            nextChangeNs = nowNs + 300 * MS + faultTargets.nextInt(500) * MS;
        }
        if (safety && nowNs >= nextFaultTickNs) {
            faultTick(nowNs);
            nextFaultTickNs = nowNs + 100 * MS;
        }
        if (nowNs >= nextConservationNs) {
            checkConservation();
            nextConservationNs = nowNs + SECOND;
        }
        final int work = cluster.step();
        readResponses();
        if (connection == null || connection.isClosedByServer()) {
            connect(); // the supervisor restarted: a new connection, and learn what survived
        }
        if (work == 0 && cluster.quiet() && outstanding == null) {
            // Nothing moves: jump to the next thing that will (a timer, a packet, a fault, a change).
            long next = Math.min(cluster.nextDeadlineNs(), nextPacketNs);
            if (safety) {
                next = Math.min(next, Math.min(nextFaultTickNs, nextChangeNs));
            }
            if (!scheduled.isEmpty()) {
                next = Math.min(next, scheduled.peek().atNs());
            }
            cluster.skipTo(next);
        }
    }

    private boolean backlogsEmpty() {
        for (final SimLauncher.LiveWorker worker : cluster.launcher().liveWorkers()) {
            if (worker.receiveBacklog() > 0) {
                return false;
            }
        }
        return true;
    }

    // ---- the control client ----------------------------------------------------------------------------------

    private void connect() {
        if (connection != null) {
            connection.close();
        }
        connection = cluster.control().connect();
        connection.sendFrame(ControlCodec.encode(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "simulator")));
        if (outstanding != null || reconciling) {
            // The answer to the request in flight is lost with the old connection: ask what the table holds.
            outstanding = null;
        }
        reconciling = true;
        send(new ControlRequest.ListRules(nextRequestId));
    }

    private void send(final ControlRequest request) {
        nextRequestId++;
        outstanding = request;
        outstandingHash = cluster.supervisor().rulesetHash();
        if (request instanceof ControlRequest.Add) {
            workload.adds += 0; // counted when acked
        }
        connection.sendFrame(ControlCodec.encode(request));
    }

    private void readResponses() {
        if (connection == null) {
            return;
        }
        byte[] frame;
        while ((frame = connection.pollReceived()) != null) {
            final ControlResponse response = ControlCodec.decodeResponse(frame);
            log.record(EventLog.RESPONSE, frame, 0, frame.length);
            if (response instanceof ControlResponse.Welcome) {
                continue;
            }
            if (outstanding == null || response.requestId() != outstanding.requestId()) {
                fail("protocol", "a response to no request in flight: " + response);
                continue;
            }
            final ControlRequest request = outstanding;
            outstanding = null;
            onResponse(request, response);
        }
    }

    private Workload.Template templateOf(final RuleDocument rule) {
        for (final Workload.Template template : workload.templates) {
            if (rule.inputGroup().equals(io.mcrelay.rules.IpAddress.ipv4(template.group).toString())
                && rule.inputInterface().equals(template.inputInterface)) {
                return template;
            }
        }
        return null;
    }

    private void onResponse(final ControlRequest request, final ControlResponse response) {
        switch (request) {
            case ControlRequest.ListRules list -> reconcile((ControlResponse.Rules) response);
            case ControlRequest.Add add -> onAddResponse(add, response);
            case ControlRequest.Remove remove -> onRemoveResponse(remove, response);
            default -> fail("protocol", "unexpected request " + request);
        }
    }

    private void reconcile(final ControlResponse.Rules rules) {
        reconciling = false;
        for (final Workload.Template template : workload.templates) {
            final RuleDocument present = rules.rules().stream().filter(r -> templateOf(r) == template).findFirst()
                .orElse(null);
            if (present != null) {
                template.id = present.id();
                template.state = Workload.State.LIVE;
            } else if (template.state != Workload.State.ABSENT) {
                template.state = Workload.State.ABSENT;
            }
        }
    }

    private void onAddResponse(final ControlRequest.Add add, final ControlResponse response) {
        final boolean mustRefuse = add.rule().id() != null && (add.rule().id().startsWith("clash-")
            || add.rule().id().equals("bad-port"));
        final Workload.Template template = mustRefuse ? null : templateOf(add.rule());
        switch (response) {
            case ControlResponse.RuleAdded added -> {
                if (mustRefuse) {
                    fail("refused means nowhere", "a clashing or invalid rule was accepted: " + add.rule());
                    return;
                }
                template.state = Workload.State.LIVE;
                template.id = added.id();
                workload.adds++;
                checkAckedMeansApplied(added.epoch(), "add of " + added.id());
            }
            case ControlResponse.NotAcked notAcked -> {
                if (mustRefuse) {
                    fail("refused means nowhere", "a clashing or invalid rule was committed: " + add.rule());
                    return;
                }
                template.state = Workload.State.LIVE;
                template.id = notAcked.id();
                workload.adds++;
            }
            case ControlResponse.Refused refused -> {
                if (!mustRefuse) {
                    fail("refused means nowhere", "a valid new rule was refused: " + refused.message());
                    template.state = Workload.State.ABSENT;
                    return;
                }
                if (cluster.supervisor().rulesetHash() != outstandingHash) {
                    fail("refused means nowhere", "the table changed although the request was refused: "
                        + refused.message());
                }
            }
            default -> fail("protocol", "unexpected answer to add: " + response);
        }
    }

    private void onRemoveResponse(final ControlRequest.Remove remove, final ControlResponse response) {
        final Workload.Template template = java.util.Arrays.stream(workload.templates)
            .filter(t -> remove.id().equals(t.id)).findFirst().orElse(null);
        if (template == null) {
            fail("protocol", "removed an id the workload does not know: " + remove.id());
            return;
        }
        switch (response) {
            case ControlResponse.RuleRemoved removed -> {
                template.state = Workload.State.ABSENT;
                template.removedAtNs = cluster.clock().nanoTime();
                template.removedGeneration = template.generation;
                workload.removes++;
                checkAckedMeansApplied(removed.epoch(), "removal of " + removed.id());
            }
            case ControlResponse.NotAcked notAcked -> {
                template.state = Workload.State.ABSENT;
                workload.removes++;
            }
            default -> fail("protocol", "unexpected answer to remove " + remove.id() + ": " + response);
        }
    }

    // ---- checkers --------------------------------------------------------------------------------------------

    private void fail(final String checker, final String message) {
        failures.add(checker + " at " + (cluster.clock().nanoTime() / MS) + " ms: " + message);
    }

    /** Acked means applied: every ready worker holds the acked epoch (or later), with the matching hash. */
    private void checkAckedMeansApplied(final long epoch, final String what) {
        final Supervisor supervisor = cluster.supervisor();
        for (final SimLauncher.LiveWorker worker : cluster.launcher().liveWorkers()) {
            final int index = worker.handle().workerIndex();
            if (!supervisor.isReady(index)) {
                continue;
            }
            final WorkerAgent agent = worker.agent();
            final Long expected = supervisor.rulesetHashAt(agent.epoch());
            if (agent.epoch() < epoch || (expected != null && expected != agent.rulesetHash())) {
                fail("acked means applied", what + " was acked at epoch " + epoch + " but ready worker " + index
                    + " is at epoch " + agent.epoch());
            }
        }
    }

    /** Conservation: every frame and every send of every live worker is accounted for exactly once. */
    private void checkConservation() {
        for (final SimLauncher.LiveWorker worker : cluster.launcher().liveWorkers()) {
            final WorkerAgent.Totals t = worker.agent().totals();
            if (t.framesReceived() != t.matched() + t.unmatched() + t.malformed() + t.fragments()) {
                fail("conservation", "worker " + worker.handle().workerIndex() + " received " + t.framesReceived()
                    + " frames but accounts for " + (t.matched() + t.unmatched() + t.malformed() + t.fragments()));
            }
            if (t.sendsAttempted() != t.sendsCompleted() + t.sendsFailed() + t.sendsInFlight()
                || t.sendsFailed() != t.dropsBufferFull() + t.dropsSendError() + t.dropsLinkDown()) {
                fail("conservation", "worker " + worker.handle().workerIndex() + " sends do not add up: " + t);
            }
        }
    }

    private static long deliveryKey(final int generation, final long seq, final int output) {
        return (long) generation << 44 | (seq & 0xFFFF_FFFFFL) << 4 | output;
    }

    private void onDelivery(final SimNetwork.Endpoint endpoint, final int ttl, final org.agrona.DirectBuffer payload,
                            final int offset, final int length) {
        packetsDelivered++;
        final Workload.Packet packet = Workload.decode(payload, offset, length);
        if (packet == null) {
            fail("delivery", "a corrupt or foreign payload of " + length + " bytes at " + endpoint);
            return;
        }
        final Workload.Template template = workload.byGeneration(packet.generation());
        if (template == null) {
            fail("delivery", "a packet of unknown generation " + packet.generation());
            return;
        }
        int output = -1;
        for (int i = 0; i < template.outputs.size(); i++) {
            final RuleDocument.OutputDocument doc = template.outputs.get(i);
            if (doc.interfaceName().equals(endpoint.interfaceName()) && doc.group().equals(endpoint.group())
                && doc.port() == endpoint.port()) {
                output = i;
            }
        }
        if (output < 0) {
            fail("delivery", "generation " + packet.generation() + " delivered to " + endpoint
                + ", not one of its outputs");
            return;
        }
        if (template.removedGeneration == packet.generation() && template.removedAtNs >= 0
            && packet.sentNs() > template.removedAtNs && template.generation == packet.generation()) {
            fail("no forwarding after remove", "packet " + packet.seq() + " of " + template.id + " sent at "
                + packet.sentNs() / MS + " ms was forwarded after its removal was acked at "
                + template.removedAtNs / MS + " ms; workers " + cluster.supervisor().workers() + ", agents at epochs "
                + cluster.liveAgents().stream().map(WorkerAgent::epoch).toList());
        }
        final long count = deliveries.merge(deliveryKey(packet.generation(), packet.seq(), output), 1L, Long::sum);
        if (count > 1) {
            fail("delivery", "packet " + packet.seq() + " of generation " + packet.generation() + " delivered "
                + count + " times to " + endpoint);
        }
    }

    private void rememberExpected(final long nowNs) {
        for (final Workload.Template template : workload.templates) {
            if (template.state == Workload.State.LIVE) {
                // The packet just sent to this template had sequence seq - 1.
                expectedInLiveness.add(new long[] {template.generation, template.seq - 1, template.outputs.size(),
                    nowNs});
            }
        }
    }

    /** Delivery: in the liveness phase every packet to an acked rule reached each of its outputs exactly once. */
    private void checkDelivery() {
        int missing = 0;
        String first = null;
        for (final long[] expected : expectedInLiveness) {
            for (int output = 0; output < expected[2]; output++) {
                final long count = deliveries.get(deliveryKey((int) expected[0], expected[1], output));
                if (count != 1) {
                    missing++;
                    if (first == null) {
                        first = "packet " + expected[1] + " of generation " + expected[0] + " sent at "
                            + expected[3] / MS + " ms reached output " + output + " " + count + " times";
                    }
                }
            }
        }
        if (missing > 0) {
            final StringBuilder restarts = new StringBuilder();
            for (int i = 0; i < settings.workers(); i++) {
                restarts.append(" worker ").append(i).append(' ').append(cluster.supervisor().restartReasons(i));
            }
            fail("delivery", missing + " deliveries wrong in the liveness phase; first: " + first + ";" + restarts
                + "; network drops " + java.util.Arrays.stream(SimNetwork.Drop.values()).filter(d ->
                cluster.network().dropped(d) > 0).map(d -> d + "=" + cluster.network().dropped(d)).toList());
        }
    }

    // ---- faults ----------------------------------------------------------------------------------------------

    private void schedule(final long atNs, final Runnable action) {
        scheduled.add(new Scheduled(atNs, scheduledOrder++, action));
    }

    private static final List<String> FLAPPABLE = List.of("in0", "out0", "out1", "out2");

    private void faultTick(final long nowNs) {
        final SimNetwork network = cluster.network();
        if (plan.roll(FaultKind.WORKER_HANG)) {
            final List<SimLauncher.LiveWorker> live = cluster.launcher().liveWorkers();
            if (!live.isEmpty()) {
                final SimLauncher.LiveWorker victim = live.get(faultTargets.nextInt(live.size()));
                if (!victim.isHung()) {
                    cluster.launcher().setHung(victim.handle(), true);
                    plan.fired(FaultKind.WORKER_HANG);
                    final SimLauncher launcher = cluster.launcher();
                    schedule(nowNs + 300 * MS + faultTargets.nextInt(2_700) * MS,
                        () -> launcher.setHung(victim.handle(), false));
                }
            }
        }
        if (plan.roll(FaultKind.SUPERVISOR_CRASH) && plan.draw(10) == 0) {
            cluster.crashSupervisor();
            plan.fired(FaultKind.SUPERVISOR_CRASH);
        }
        if (plan.roll(FaultKind.SOCKET_BUFFER_FULL_DROP)) {
            // A burst larger than a worker's receive ring: the kernel drops what does not fit.
            final long before = network.dropped(SimNetwork.Drop.RX_RING_FULL);
            final byte[] noise = new byte[60];
            noise[12] = 0x08; // IPv4, then a header the parser refuses: the burst forwards nothing
            for (int i = 0; i < 2_100; i++) {
                network.injectFrame("in0", noise);
            }
            if (network.dropped(SimNetwork.Drop.RX_RING_FULL) > before) {
                plan.fired(FaultKind.SOCKET_BUFFER_FULL_DROP);
            }
        }
        if (plan.roll(FaultKind.SOCKET_BUFFER_FULL_EAGAIN)) {
            final String link = Workload.OUTPUT_LINKS.get(faultTargets.nextInt(Workload.OUTPUT_LINKS.size()));
            if (network.interfaceIndex(link) > 0) {
                final long before = network.dropped(SimNetwork.Drop.EGRESS_FULL);
                network.setEgressCapacity(link, 0);
                schedule(nowNs + 200 * MS, () -> {
                    if (network.interfaceIndex(link) > 0) {
                        network.setEgressCapacity(link, SimNetwork.DEFAULT_EGRESS_CAPACITY_PACKETS);
                    }
                    if (network.dropped(SimNetwork.Drop.EGRESS_FULL) > before) {
                        plan.fired(FaultKind.SOCKET_BUFFER_FULL_EAGAIN);
                    }
                });
            }
        }
        if (plan.roll(FaultKind.LINK_DOWN_UP)) {
            final String link = FLAPPABLE.get(faultTargets.nextInt(FLAPPABLE.size()));
            if (network.interfaceIndex(link) > 0 && network.isUp(link)) {
                network.setUp(link, false);
                plan.fired(FaultKind.LINK_DOWN_UP);
                schedule(nowNs + 100 * MS + faultTargets.nextInt(900) * MS, () -> {
                    if (network.interfaceIndex(link) > 0) {
                        network.setUp(link, true);
                    }
                });
            }
        }
        if (plan.roll(FaultKind.INTERFACE_RECREATED)) {
            final String link = FLAPPABLE.get(faultTargets.nextInt(FLAPPABLE.size()));
            if (network.interfaceIndex(link) > 0) {
                network.deleteLink(link);
                network.createLinkUp(link);
                plan.fired(FaultKind.INTERFACE_RECREATED);
            }
        }
        if (plan.roll(FaultKind.SLOW_OUTPUT)) {
            final String link = Workload.OUTPUT_LINKS.get(faultTargets.nextInt(Workload.OUTPUT_LINKS.size()));
            if (network.interfaceIndex(link) > 0) {
                network.setDrainPerStep(link, 0);
                schedule(nowNs + 50 * MS, () -> {
                    if (network.interfaceIndex(link) > 0) {
                        if (network.egressDepth(link) > 0) {
                            plan.fired(FaultKind.SLOW_OUTPUT); // packets waited behind the slow output
                        }
                        network.setDrainPerStep(link, SimNetwork.UNLIMITED_DRAIN_PER_STEP);
                    }
                });
            }
        }
        if (plan.roll(FaultKind.MONOTONIC_CLOCK_JUMP) && plan.draw(5) == 0) {
            cluster.clock().advance(1_000 * MS + plan.draw(2_000) * MS);
            plan.fired(FaultKind.MONOTONIC_CLOCK_JUMP);
        }
        if (plan.roll(FaultKind.WALL_CLOCK_JUMP)) {
            cluster.clock().jumpWallClock(plan.draw(2) == 0 ? -3_600_000L : 3_600_000L);
            plan.fired(FaultKind.WALL_CLOCK_JUMP);
        }
    }

    /** The end of the safety phase: every fault is undone. */
    private void heal() {
        final SimNetwork network = cluster.network();
        for (final String link : List.of("in0", "out0", "out1", "out2", Workload.LATE_LINK)) {
            if (network.interfaceIndex(link) == 0) {
                network.createLinkUp(link);
            }
            network.setUp(link, true);
        }
        for (final String link : Workload.OUTPUT_LINKS) {
            network.setEgressCapacity(link, SimNetwork.DEFAULT_EGRESS_CAPACITY_PACKETS);
            network.setDrainPerStep(link, SimNetwork.UNLIMITED_DRAIN_PER_STEP);
        }
        for (final SimLauncher.LiveWorker worker : cluster.launcher().liveWorkers()) {
            cluster.launcher().setHung(worker.handle(), false);
        }
        // Thaws and restores still scheduled run harmlessly later; new faults are off.
    }
}
