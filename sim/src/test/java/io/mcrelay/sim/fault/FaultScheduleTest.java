package io.mcrelay.sim.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.seam.support.SeededRandom;
import io.mcrelay.sim.Cluster;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * The fault schedule fires what its plan enables on the cluster's world, undoes each fault in its time, and heals
 * everything still in force when the safety phase ends; after that nothing fires.
 */
class FaultScheduleTest {
    private static final long SECOND = 1_000_000_000L;
    private static final FaultSchedule.Links LINKS = new FaultSchedule.Links("in0",
        List.of(0xEF010101), List.of("in0", "out0", "out1"),
        List.of("out0", "out1"), "late0");

    private final Cluster cluster = new Cluster(Supervisor.Config.defaults(2));
    private final SimNetwork network = cluster.network();
    private FaultPlan plan;

    private FaultSchedule schedule(final FaultKind... kinds) {
        for (final String link : LINKS.flappable()) {
            network.createLinkUp(link);
        }
        final SeededRandom random = new SeededRandom(5);
        plan = FaultPlan.of(random.split("plan"), 1.0, EnumSet.of(kinds[0], kinds));
        return new FaultSchedule(plan, random.split("targets"), cluster, LINKS);
    }

    private List<String> linksDown() {
        return LINKS.flappable().stream().filter(link -> !network.isUp(link)).toList();
    }

    @Test
    void aFlappedLinkComesBackUpWithinASecond() {
        final FaultSchedule faults = schedule(FaultKind.LINK_DOWN_UP);
        final long nowNs = cluster.clock().nanoTime();
        faults.tick(nowNs);
        assertEquals(1, linksDown().size(), "one link goes down per tick");
        assertTrue(faults.nextDueNs() > nowNs && faults.nextDueNs() <= nowNs + SECOND, () -> "" + faults.nextDueNs());
        assertEquals(nowNs + FaultSchedule.TICK_INTERVAL_NS, faults.nextTickNs());
        faults.tick(nowNs + 1); // not due yet: nothing more goes down
        assertEquals(1, linksDown().size());
        faults.runDue(faults.nextDueNs());
        assertEquals(List.of(), linksDown());
    }

    @Test
    void theLateLinkAppearsFiveToTwentyFiveSecondsIn() {
        final FaultSchedule faults = schedule(FaultKind.INTERFACE_LATE);
        final long startNs = cluster.clock().nanoTime();
        faults.begin(startNs);
        assertEquals(0, network.interfaceIndex("late0"));
        assertTrue(faults.nextDueNs() >= startNs + 5 * SECOND && faults.nextDueNs() < startNs + 25 * SECOND);
        faults.runDue(faults.nextDueNs() - 1);
        assertEquals(0, network.interfaceIndex("late0"));
        faults.runDue(faults.nextDueNs());
        assertTrue(network.interfaceIndex("late0") > 0);
    }

    @Test
    void withoutTheLateKindTheLateLinkIsThereFromTheStart() {
        final FaultSchedule faults = schedule(FaultKind.LINK_DOWN_UP);
        faults.begin(cluster.clock().nanoTime());
        assertTrue(network.interfaceIndex("late0") > 0);
        assertEquals(Long.MAX_VALUE, faults.nextDueNs());
    }

    @Test
    void healingUndoesEveryFaultInForceAndNothingFiresAfter() {
        final FaultSchedule faults = schedule(FaultKind.LINK_DOWN_UP, FaultKind.WORKER_HANG);
        faults.begin(cluster.clock().nanoTime());
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 20 * SECOND));
        faults.tick(cluster.clock().nanoTime());
        assertEquals(1, linksDown().size());
        assertTrue(cluster.launcher().liveWorkers().stream().anyMatch(SimLauncher.LiveWorker::isHung));

        faults.stopAndHeal();
        assertEquals(List.of(), linksDown());
        assertFalse(cluster.launcher().liveWorkers().stream().anyMatch(SimLauncher.LiveWorker::isHung));
        final Map<FaultKind, Long> fired = Map.of(FaultKind.LINK_DOWN_UP, 1L, FaultKind.WORKER_HANG, 1L);
        assertEquals(fired, plan.firedCounts());
        faults.tick(cluster.clock().nanoTime() + FaultSchedule.TICK_INTERVAL_NS);
        assertEquals(List.of(), linksDown(), "no fault fires once the schedule has stopped");
        assertEquals(fired, plan.firedCounts());
    }
}
