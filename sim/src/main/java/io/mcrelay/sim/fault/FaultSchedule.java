package io.mcrelay.sim.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

import io.mcrelay.fault.FaultKind;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.seam.RandomSource;
import io.mcrelay.sim.seams.ManualClock;
import io.mcrelay.sim.seams.SimGroupMemberships;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * The faults of one run's safety phase, on the world outside the worker channels: every {@link #TICK_INTERVAL_NS}
 * each enabled kind of the seed's {@link FaultPlan} rolls its rate and, if it fires, picks a target (a worker to hang,
 * a link to flap or recreate, an output to fill or slow, a clock to jump) and schedules its undoing; then
 * {@link #stopAndHeal} ends the phase and undoes whatever is still in force. Every choice comes from the plan and from
 * one seeded stream of targets, so the same seed fires the same faults at the same instants.
 *
 * <p>Single-threaded: the simulator calls {@link #runDue} and {@link #tick} from its loop, on virtual time.
 */
public final class FaultSchedule {
    /** How often the enabled kinds roll their rates. */
    public static final long TICK_INTERVAL_NS = 100_000_000L;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    /** A burst larger than a worker's receive ring, so that the kernel must drop what does not fit. */
    private static final int BURST_FRAMES = 2_100;

    /** What the faults act on: the cluster's network, its current launcher, its clock and its supervisor process. */
    public interface Target {
        SimNetwork network();

        /** The current supervisor's launcher (a new one after each supervisor crash). */
        SimLauncher launcher();

        ManualClock clock();

        /** The supervisor process dies and a new one starts on the same journal. */
        void crashSupervisor();

        /** The current supervisor's group memberships (new ones after each supervisor crash). */
        SimGroupMemberships memberships();
    }

    /**
     * The links the faults may touch.
     *
     * @param input       the input link that bursts of noise flood
     * @param noiseGroups the IPv4 groups (network order) of the rules that may receive on {@code input}: a burst is
     *                    made of non-first fragments to one of them, which the input's exact filter lets through (to
     *                    a group a rule receives on) and the workers count and drop
     * @param flappable   links that may go down and up or be deleted and recreated (inputs and outputs)
     * @param outputs     output links that may fill up or slow down
     * @param late        the link that appears some time into the run when {@link FaultKind#INTERFACE_LATE} is
     *                    enabled
     */
    public record Links(String input, List<Integer> noiseGroups, List<String> flappable, List<String> outputs,
                        String late) {
        public Links {
            Objects.requireNonNull(input, "input");
            noiseGroups = List.copyOf(noiseGroups);
            if (noiseGroups.isEmpty()) {
                throw new IllegalArgumentException("noise needs a group to be sent to");
            }
            flappable = List.copyOf(flappable);
            outputs = List.copyOf(outputs);
            Objects.requireNonNull(late, "late");
        }
    }

    private record Scheduled(long atNs, long order, Runnable action) {
    }

    private final FaultPlan plan;
    private final RandomSource targets;
    private final Target target;
    private final Links links;
    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>((a, b) -> a.atNs() != b.atNs()
        ? Long.compare(a.atNs(), b.atNs()) : Long.compare(a.order(), b.order()));
    private long scheduledOrder;
    private long nextTickNs;

    /**
     * A schedule firing {@code plan}'s faults on {@code target}; {@code targets} picks what each fault hits and when it
     * is undone.
     */
    public FaultSchedule(final FaultPlan plan, final RandomSource targets, final Target target, final Links links) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.targets = Objects.requireNonNull(targets, "targets");
        this.target = Objects.requireNonNull(target, "target");
        this.links = Objects.requireNonNull(links, "links");
    }

    /**
     * The run starts at {@code startNs}: the late link is created at once, or, with {@link FaultKind#INTERFACE_LATE}
     * enabled, some time between 5 and 25 s in (after its rule was added).
     */
    public void begin(final long startNs) {
        final SimNetwork network = target.network();
        if (plan.isEnabled(FaultKind.INTERFACE_LATE)) {
            schedule(startNs + 5 * SECOND + targets.nextInt(20_000) * MS, () -> {
                if (network.interfaceIndex(links.late()) == 0) { // a short run's healing may have made it
                    network.createLinkUp(links.late());
                    plan.fired(FaultKind.INTERFACE_LATE);
                }
            });
        } else {
            network.createLinkUp(links.late());
        }
    }

    /** Runs what is due by {@code nowNs}: undoings, and the late link's appearance. */
    public void runDue(final long nowNs) {
        while (!scheduled.isEmpty() && scheduled.peek().atNs() <= nowNs) {
            scheduled.poll().action().run();
        }
    }

    /** When the next scheduled action is due, or {@link Long#MAX_VALUE}. */
    public long nextDueNs() {
        return scheduled.isEmpty() ? Long.MAX_VALUE : scheduled.peek().atNs();
    }

    /** When the next {@link #tick} will roll. */
    public long nextTickNs() {
        return nextTickNs;
    }

    /** Rolls every enabled kind once, if a tick is due at {@code nowNs}. */
    public void tick(final long nowNs) {
        if (nowNs < nextTickNs) {
            return;
        }
        fire(nowNs);
        nextTickNs = nowNs + TICK_INTERVAL_NS;
    }

    private void schedule(final long atNs, final Runnable action) {
        scheduled.add(new Scheduled(atNs, scheduledOrder++, action));
    }

    private void fire(final long nowNs) {
        final SimNetwork network = target.network();
        if (plan.roll(FaultKind.WORKER_HANG)) {
            hangAWorker(nowNs);
        }
        if (plan.roll(FaultKind.SUPERVISOR_CRASH) && plan.draw(10) == 0) {
            target.crashSupervisor();
            plan.fired(FaultKind.SUPERVISOR_CRASH);
        }
        if (plan.roll(FaultKind.SOCKET_BUFFER_FULL_DROP)) {
            final long before = network.dropped(SimNetwork.Drop.RX_RING_FULL);
            final byte[] noise = noise(links.noiseGroups().get(targets.nextInt(links.noiseGroups().size())));
            for (int i = 0; i < BURST_FRAMES; i++) {
                network.injectFrame(links.input(), noise);
            }
            if (network.dropped(SimNetwork.Drop.RX_RING_FULL) > before) {
                plan.fired(FaultKind.SOCKET_BUFFER_FULL_DROP);
            }
        }
        if (plan.roll(FaultKind.SOCKET_BUFFER_FULL_EAGAIN)) {
            fillAnOutput(nowNs);
        }
        if (plan.roll(FaultKind.LINK_DOWN_UP)) {
            flapALink(nowNs);
        }
        if (plan.roll(FaultKind.INTERFACE_RECREATED)) {
            final String link = links.flappable().get(targets.nextInt(links.flappable().size()));
            if (network.interfaceIndex(link) > 0) {
                network.deleteLink(link);
                network.createLinkUp(link);
                plan.fired(FaultKind.INTERFACE_RECREATED);
            }
        }
        if (plan.roll(FaultKind.SLOW_OUTPUT)) {
            slowAnOutput(nowNs);
        }
        if (plan.roll(FaultKind.MONOTONIC_CLOCK_JUMP) && plan.draw(5) == 0) {
            target.clock().advance(1_000 * MS + plan.draw(2_000) * MS);
            plan.fired(FaultKind.MONOTONIC_CLOCK_JUMP);
        }
        if (plan.roll(FaultKind.WALL_CLOCK_JUMP)) {
            target.clock().jumpWallClock(plan.draw(2) == 0 ? -3_600_000L : 3_600_000L);
            plan.fired(FaultKind.WALL_CLOCK_JUMP);
        }
        if (plan.roll(FaultKind.JOIN_REFUSED)) {
            refuseJoins(nowNs);
        }
    }

    /**
     * The current supervisor's joins are refused for 0.2 to 2 s ({@code ENOBUFS}); it fired if a join was refused.
     * The rules of a refused membership stay {@code join_failed} until their interface changes.
     */
    private void refuseJoins(final long nowNs) {
        final SimGroupMemberships memberships = target.memberships();
        final long before = memberships.refused();
        memberships.refuseJoins(true);
        schedule(nowNs + 200 * MS + targets.nextInt(1_800) * MS, () -> {
            memberships.refuseJoins(false);
            if (memberships.refused() > before) {
                plan.fired(FaultKind.JOIN_REFUSED);
            }
        });
    }

    /**
     * A non-first IPv4 fragment to {@code group}: the input's filter keeps it while a rule receives on the group, the
     * flow hash sends every copy to one member (port 0), and the worker counts it as a fragment and forwards nothing.
     */
    private static byte[] noise(final int group) {
        final byte[] frame = new byte[60];
        frame[12] = 0x08; // EtherType IPv4
        frame[14] = 0x45; // version 4, a 20-byte header
        frame[16] = 0;
        frame[17] = 46; // total length: the rest of the frame
        frame[21] = 0x10; // fragment offset 16 (128 bytes): not the first fragment
        frame[22] = 8; // TTL
        frame[23] = 17; // UDP
        for (int i = 0; i < 4; i++) {
            frame[30 + i] = (byte) (group >>> (24 - 8 * i));
        }
        return frame;
    }

    /** A live worker freezes for 0.3 to 3 s, like a process stuck in a loop. */
    private void hangAWorker(final long nowNs) {
        final SimLauncher launcher = target.launcher();
        final List<SimLauncher.LiveWorker> live = launcher.liveWorkers();
        if (live.isEmpty()) {
            return;
        }
        final SimLauncher.LiveWorker victim = live.get(targets.nextInt(live.size()));
        if (!victim.isHung()) {
            launcher.setHung(victim.handle(), true);
            plan.fired(FaultKind.WORKER_HANG);
            // The launcher of this supervisor life: after a crash the worker is gone with it, and the thaw is moot.
            schedule(nowNs + 300 * MS + targets.nextInt(2_700) * MS, () -> launcher.setHung(victim.handle(), false));
        }
    }

    /** An output's egress queue takes nothing for 200 ms: sends see {@code EAGAIN}. */
    private void fillAnOutput(final long nowNs) {
        final SimNetwork network = target.network();
        final String link = links.outputs().get(targets.nextInt(links.outputs().size()));
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

    /** A link goes down for 0.1 to 1 s. */
    private void flapALink(final long nowNs) {
        final SimNetwork network = target.network();
        final String link = links.flappable().get(targets.nextInt(links.flappable().size()));
        if (network.interfaceIndex(link) > 0 && network.isUp(link)) {
            network.setUp(link, false);
            plan.fired(FaultKind.LINK_DOWN_UP);
            schedule(nowNs + 100 * MS + targets.nextInt(900) * MS, () -> {
                if (network.interfaceIndex(link) > 0) {
                    network.setUp(link, true);
                }
            });
        }
    }

    /** An output drains nothing for 50 ms: packets wait behind it. */
    private void slowAnOutput(final long nowNs) {
        final SimNetwork network = target.network();
        final String link = links.outputs().get(targets.nextInt(links.outputs().size()));
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

    /**
     * The end of the safety phase: no new fault fires, and every fault still in force is undone (links exist and are
     * up, outputs take and drain everything, no worker is frozen). Undoings still scheduled run harmlessly when due.
     */
    public void stopAndHeal() {
        plan.stop();
        final SimNetwork network = target.network();
        final List<String> all = new ArrayList<>(links.flappable());
        all.add(links.late());
        for (final String link : all) {
            if (network.interfaceIndex(link) == 0) {
                network.createLinkUp(link);
            }
            network.setUp(link, true);
        }
        for (final String link : links.outputs()) {
            network.setEgressCapacity(link, SimNetwork.DEFAULT_EGRESS_CAPACITY_PACKETS);
            network.setDrainPerStep(link, SimNetwork.UNLIMITED_DRAIN_PER_STEP);
        }
        final SimLauncher launcher = target.launcher();
        for (final SimLauncher.LiveWorker worker : launcher.liveWorkers()) {
            launcher.setHung(worker.handle(), false);
        }
        target.memberships().refuseJoins(false);
    }
}
