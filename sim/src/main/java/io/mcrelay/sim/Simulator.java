package io.mcrelay.sim;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import org.agrona.DirectBuffer;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.RandomSource;
import io.mcrelay.seam.support.SeededRandom;
import io.mcrelay.sim.check.AckedMeansLiveChecker;
import io.mcrelay.sim.check.ConservationChecker;
import io.mcrelay.sim.check.ConvergenceChecker;
import io.mcrelay.sim.check.DeliveryChecker;
import io.mcrelay.sim.check.Failures;
import io.mcrelay.sim.check.MembershipChecker;
import io.mcrelay.sim.check.NoForwardingAfterRemoveChecker;
import io.mcrelay.sim.fault.FaultSchedule;
import io.mcrelay.sim.seams.SimGroupMemberships;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * One simulated run from one seed: the real supervisor and workers in a {@link Cluster}, DESIGN's default workload,
 * the seed's swarm mix of faults during a safety phase ({@link FaultSchedule}), then a liveness phase without faults,
 * and the checkers of {@code io.mcrelay.sim.check}: convergence, acked means applied, refused means nowhere,
 * conservation, no forwarding for removed rules, delivery exactly once, acked means live (rules added in the liveness
 * phase forward from their answer on), and (by running twice) determinism. It prints
 * {@code SEED=} first and {@code DIGEST=} last; a failure names its checker and the command that reproduces it. Same
 * seed, same run, bit for bit.
 */
public final class Simulator {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000 * MS;
    /**
     * The supervisor's {@code Sync} chunks here: 4 KiB, a sixteenth of production's, so that the workload's bulk
     * tables of a few hundred rules ({@link BulkRules}) go in several chunks, as tables of thousands do in production.
     */
    static final int SYNC_CHUNK_BYTES = 4 * 1024;
    /** How long the workload waits after a change before it considers the next: 300 ms, plus up to 500 ms. */
    private static final long CHANGE_PAUSE_NS = 300 * MS;
    private static final int CHANGE_JITTER_MS = 500;
    /** How often conservation is checked during the run (it is checked once more at the end). */
    private static final long CONSERVATION_INTERVAL_NS = SECOND;
    /** Every link a rule of the workload may receive on. */
    private static final List<String> MEMBERSHIP_LINKS = List.of(Workload.INPUT_LINK, Workload.SECOND_INPUT_LINK,
        Workload.LATE_LINK);

    /**
     * What to run.
     *
     * @param seed               decides everything: the fault mix, the targets, the workload, the agents' order
     * @param safetyNs           the safety phase: the workload with faults
     * @param livenessNs         the liveness phase: the workload without faults (5 s or more)
     * @param convergenceBoundNs how long the cluster may take to converge after start and after the faults stop
     * @param workers            how many workers the supervisor runs ({@link #WORKERS_MIN} to {@link #WORKERS_MAX})
     * @param supervisors        builds the supervisor: the real one, or a test's mutant
     * @param workerAgents       builds each worker agent: the real one, or a test's mutant
     * @param journal            the supervisor's journal, recording every input for replay; {@code null} for memory
     */
    public record Config(long seed, long safetyNs, long livenessNs, long convergenceBoundNs, int workers,
                         Cluster.SupervisorFactory supervisors, Cluster.WorkerFactory workerAgents, Journal journal) {
        public Config {
            Objects.requireNonNull(supervisors, "supervisors");
            Objects.requireNonNull(workerAgents, "workerAgents");
            if (safetyNs < 0 || livenessNs < 5 * SECOND || workers < WORKERS_MIN || workers > WORKERS_MAX) {
                throw new IllegalArgumentException("a run needs " + WORKERS_MIN + " to " + WORKERS_MAX
                    + " workers and a liveness phase of 5 s or more");
            }
        }

        /** The default workload's safety phase (its faults). */
        public static final long DEFAULT_SAFETY_NS = 60 * SECOND;

        /**
         * The default workload: the seed's worker count ({@link #workersOf}), 60 s of faults, 30 s without,
         * convergence within 20 s.
         */
        public static Config defaults(final long seed) {
            return new Config(seed, DEFAULT_SAFETY_NS, 30 * SECOND, 20 * SECOND, workersOf(seed), Supervisor::new,
                WorkerAgent::new, null);
        }

        /** The same with {@code count} workers. */
        public Config withWorkers(final int count) {
            return new Config(seed, safetyNs, livenessNs, convergenceBoundNs, count, supervisors, workerAgents,
                journal);
        }

        public Config withDuration(final long newSafetyNs, final long newLivenessNs) {
            return new Config(seed, newSafetyNs, newLivenessNs, convergenceBoundNs, workers, supervisors, workerAgents,
                journal);
        }

        public Config withFactories(final Cluster.SupervisorFactory newSupervisors,
                                    final Cluster.WorkerFactory newWorkers) {
            return new Config(seed, safetyNs, livenessNs, convergenceBoundNs, workers, newSupervisors, newWorkers,
                journal);
        }

        /** Writes the supervisor's journal here (a Chronicle journal, say) instead of into memory. */
        public Config withJournal(final Journal newJournal) {
            return new Config(seed, safetyNs, livenessNs, convergenceBoundNs, workers, supervisors, workerAgents,
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

    /** Fewest and most workers a run has: one (no fan-out at all) to four (flows spread over many members). */
    public static final int WORKERS_MIN = 1;
    public static final int WORKERS_MAX = 4;

    /**
     * The worker count a seed runs with by default, 1 to 4, drawn from its own stream (a named split: it does not
     * disturb what the seed means for faults or the workload).
     */
    public static int workersOf(final long seed) {
        return WORKERS_MIN + new SeededRandom(seed).split("workers").nextInt(WORKERS_MAX - WORKERS_MIN + 1);
    }

    /** The command that replays a seed with its own worker count. */
    public static String reproduceCommand(final long seed) {
        return "./mcrelay sim --seed " + seed + "   (or: ./mvnw -pl sim test -Dsim.seed=" + seed + ")";
    }

    /** The command that replays a seed run with {@code workers} workers (named when not the seed's own). */
    public static String reproduceCommand(final long seed, final int workers) {
        return workers == workersOf(seed) ? reproduceCommand(seed)
            : "./mcrelay sim --seed " + seed + " --workers " + workers;
    }

    private final Config config;
    private final Consumer<String> out;
    private final FaultPlan plan;
    private final EventLog log = new EventLog();
    private final Cluster cluster;
    private final Workload workload;
    /** Paces the workload's changes; the fault schedule draws its targets from the same stream. */
    private final RandomSource faultTargets;
    private final FaultSchedule faults;
    private final Failures failures;
    private final WorkloadClient client;
    private final ConvergenceChecker convergence;
    private final ConservationChecker conservation;
    private final NoForwardingAfterRemoveChecker noForwardingAfterRemove;
    private final DeliveryChecker delivery;
    private final AckedMeansLiveChecker ackedMeansLive;
    private final MembershipChecker membershipChecker;
    /** When the liveness window opened: rules answered as added after it are judged by "acked means live". */
    private long livenessStartNs = Long.MAX_VALUE;
    private long packetsDelivered;
    private boolean livenessWindow;

    private long nextPacketNs;
    private long nextChangeNs;
    private long nextConservationNs;
    private long[] membershipsCheckedAt = {};

    private Simulator(final Config config, final Consumer<String> out) {
        this.config = config;
        this.out = out;
        // The order of the splits is part of what a seed means: changing it changes every digest.
        final RandomSource root = new SeededRandom(config.seed());
        this.plan = FaultPlan.swarm(config.seed(), root.split("faults"));
        this.faultTargets = root.split("fault-targets");
        this.workload = new Workload(root.split("workload"));
        final Supervisor.Config supervisorConfig = Supervisor.Config.defaults(config.workers())
            .withSyncChunkBytes(SYNC_CHUNK_BYTES);
        this.cluster = new Cluster(Cluster.Config.of(supervisorConfig).withFactories(config.supervisors(),
            config.workerAgents()).with(root.split("scheduler"), plan, log).withJournal(config.journal())
            .recordingIoIf(config.journal() != null)); // a journal given is a journal to replay: record everything
        this.faults = new FaultSchedule(plan, faultTargets, cluster, new FaultSchedule.Links(Workload.INPUT_LINK,
            Workload.groupsOn(Workload.INPUT_LINK), Workload.LINKS, Workload.OUTPUT_LINKS, Workload.LATE_LINK));
        this.failures = new Failures(cluster.clock());
        this.client = new WorkloadClient(cluster, workload, log, failures);
        this.convergence = new ConvergenceChecker(failures);
        this.conservation = new ConservationChecker(failures);
        this.noForwardingAfterRemove = new NoForwardingAfterRemoveChecker(failures);
        this.delivery = new DeliveryChecker(failures);
        this.ackedMeansLive = new AckedMeansLiveChecker(failures, delivery);
        this.membershipChecker = new MembershipChecker(failures);
    }

    /** Runs one seed; {@code out} gets the lines a person or a log would see. */
    public static Result run(final Config config, final Consumer<String> out) {
        return new Simulator(config, out).run();
    }

    private Result run() {
        out.accept("SEED=" + config.seed());
        out.accept("COMMIT=" + BuildInfo.commit());
        out.accept("FAULTS=" + plan.describe());
        out.accept("WORKERS=" + config.workers());
        final long startNs = cluster.clock().nanoTime();
        final SimNetwork network = cluster.network();
        network.setRecordLimit(0);
        cluster.onDelivery(this::onDelivery);
        for (final String link : Workload.LINKS) {
            network.createLinkUp(link);
        }
        faults.begin(startNs);
        cluster.recordSeed(config.seed());
        cluster.start();
        convergence.checkStarted(cluster.runUntil(cluster::converged, config.convergenceBoundNs()));
        client.connect();

        // Safety: the workload and the faults. DESIGN's default workload adds and removes at least 20 rules (in its
        // 60 s of faults; a shorter phase, in proportion); a phase that lost much of its time to its faults (several
        // supervisor crashes, say) goes on, faults and all, until it has removed that many, for at most as long again.
        final long safetyEndNs = cluster.clock().nanoTime() + config.safetyNs();
        runPhase(safetyEndNs, true);
        final long removesMin = Workload.CHANGES_MIN * config.safetyNs() / Config.DEFAULT_SAFETY_NS;
        final long safetyExtendedEndNs = safetyEndNs + config.safetyNs();
        while (workload.removes < removesMin && cluster.clock().nanoTime() < safetyExtendedEndNs) {
            tick(true);
        }

        // Liveness: faults stop, everything heals, the cluster must converge, then every packet must arrive once.
        faults.stopAndHeal();
        log.record(EventLog.PHASE, 1, cluster.clock().nanoTime(), 0);
        final long convergeByNs = cluster.clock().nanoTime() + config.convergenceBoundNs();
        while (!(!client.waiting() && cluster.converged()) && cluster.clock().nanoTime() < convergeByNs) {
            tick(false);
        }
        convergence.checkHealed(cluster.supervisor(), cluster.launcher().liveWorkers(), config.convergenceBoundNs());
        // Converged is not yet quiet: a worker thawed by the healing may still be working through a backlog of
        // frames from the safety phase. The delivery window opens once every receive ring is empty.
        while (!backlogsEmpty() && cluster.clock().nanoTime() < convergeByNs + config.convergenceBoundNs()) {
            tick(false);
        }
        livenessWindow = true;
        livenessStartNs = cluster.clock().nanoTime();
        final long livenessEndNs = cluster.clock().nanoTime() + config.livenessNs() - SECOND;
        runPhase(livenessEndNs, false);
        livenessWindow = false;
        cluster.runFor(SECOND); // drain: nothing new is sent
        conservation.check(cluster.launcher(), cluster.network());
        delivery.checkAllArrived(cluster.supervisor(), config.workers(), cluster.network());
        ackedMeansLive.checkAllArrived();

        final List<String> found = failures.list();
        final Result result = new Result(config.seed(), log.digest(), plan.describe(), plan.firedCounts(),
            cluster.clock().nanoTime() - startNs, found, workload.packetsSent, packetsDelivered, workload.adds,
            workload.removes, cluster.supervisorRestarts(), log.events());
        if (!found.isEmpty()) {
            for (final String failure : found.subList(0, Math.min(found.size(), 10))) {
                out.accept("FAILED " + failure);
            }
            out.accept("REPRODUCE: " + reproduceCommand(config.seed(), config.workers()));
        }
        out.accept("DIGEST=" + result.digest());
        return result;
    }

    // ---- the main loop ---------------------------------------------------------------------------------------

    private void runPhase(final long endNs, final boolean safety) {
        while (cluster.clock().nanoTime() < endNs) {
            tick(safety);
        }
    }

    /** One step of the world, with the workload's and the faults' work that is due. */
    private void tick(final boolean safety) {
        final long nowNs = cluster.clock().nanoTime();
        faults.runDue(nowNs);
        if (nowNs >= nextPacketNs) {
            workload.sendPackets(cluster, nowNs, true);
            if (livenessWindow) {
                expectWhatWasSent(nowNs);
            }
            nextPacketNs = nowNs + Workload.PACKET_INTERVAL_NS;
        }
        if ((safety || livenessWindow) && nowNs >= nextChangeNs && client.ready()) {
            // Without faults (the liveness window) only adds: a rule acked as added must forward at once.
            client.sendNextChange(!safety);
            nextChangeNs = nowNs + CHANGE_PAUSE_NS + faultTargets.nextInt(CHANGE_JITTER_MS) * MS;
        }
        if (safety) {
            faults.tick(nowNs);
        }
        if (nowNs >= nextConservationNs) {
            conservation.check(cluster.launcher(), cluster.network());
            nextConservationNs = nowNs + CONSERVATION_INTERVAL_NS;
        }
        final int work = cluster.step();
        checkMemberships(nowNs);
        client.readResponses();
        client.reconnectIfClosed(); // the supervisor restarted: a new connection, and learn what survived
        if (work == 0 && cluster.quiet() && !client.waiting()) {
            // Nothing moves: jump to the next thing that will (a timer, a packet, a fault, a change).
            long nextNs = Math.min(cluster.nextDeadlineNs(), nextPacketNs);
            if (safety) {
                nextNs = Math.min(nextNs, Math.min(faults.nextTickNs(), nextChangeNs));
            }
            cluster.skipTo(Math.min(nextNs, faults.nextDueNs()));
        }
    }

    /**
     * Shows the memberships to their checker whenever the rules, the links, the supervisor life or the joins moved
     * since it last looked, once the supervisor took every link change (before that they may lag the network).
     */
    private void checkMemberships(final long nowNs) {
        if (cluster.linkEventsPending() > 0) {
            return;
        }
        final SimGroupMemberships memberships = cluster.memberships();
        final long[] key = {cluster.supervisor().epoch(), cluster.network().linksVersion(), cluster.supervisorRestarts(),
            memberships.joins(), memberships.refused()};
        if (!java.util.Arrays.equals(key, membershipsCheckedAt)) {
            membershipsCheckedAt = key;
            membershipChecker.check(nowNs, cluster.supervisor().rules(), memberships, cluster.network(),
                MEMBERSHIP_LINKS);
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

    // ---- what the sinks see ----------------------------------------------------------------------------------

    /** A packet reached a sink: resolve it against the workload and show it to the delivery checkers. */
    private void onDelivery(final SimNetwork.Endpoint endpoint, final int ttl, final DirectBuffer payload,
                            final int offset, final int length) {
        packetsDelivered++;
        final Workload.Packet packet = Workload.decode(payload, offset, length);
        if (packet == null) {
            delivery.corrupt(endpoint, length);
            return;
        }
        final Workload.Template template = workload.byGeneration(packet.generation());
        if (template == null) {
            delivery.unknownGeneration(packet.generation());
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
            delivery.notAnOutput(packet.generation(), endpoint);
            return;
        }
        noForwardingAfterRemove.check(packet.generation(), packet.seq(), packet.sentNs(),
            new NoForwardingAfterRemoveChecker.Removal(template.id, template.generation, template.removedGeneration,
                template.removedAtNs), cluster.supervisor(), cluster.launcher().liveWorkers());
        delivery.delivered(packet.generation(), packet.seq(), output, endpoint);
    }

    /** In the liveness window, every packet just sent to a live rule must arrive at each of its outputs. */
    private void expectWhatWasSent(final long nowNs) {
        for (final Workload.Template template : workload.templates) {
            if (template.state == Workload.State.LIVE) {
                // The packet just sent to this template had sequence seq - 1.
                if (template.addAnsweredNs >= livenessStartNs) {
                    ackedMeansLive.expect(template.generation, template.seq - 1, template.outputs.size(), nowNs,
                        template.addAnsweredNs);
                } else {
                    delivery.expect(template.generation, template.seq - 1, template.outputs.size(), nowNs);
                }
            }
        }
    }
}
