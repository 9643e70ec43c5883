package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.fault.FaultPlan;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.seam.support.SeededRandom;

/**
 * The supervisor's stats stay right while the worker channels duplicate and reorder frames: heartbeats carry
 * absolute counters of the rules that changed, with a sequence, so a heartbeat seen twice or late never counts twice.
 * Two workers forward a flow for 3 s with 30% of all channel frames duplicated and 30% reordered; every
 * 100 ms the {@code stats} answer must count no more than the workers really did (never a double count) and no less
 * than it did before (a late heartbeat never moves a counter back), and once the faults stop and a heartbeat has gone
 * by, exactly as much. Simulated time, seeded; nothing real is timed.
 */
class StatsUnderChannelFaultsTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    private static long truth(final Cluster cluster, final String id) {
        long packets = 0;
        for (final WorkerAgent agent : cluster.liveAgents()) {
            for (final WorkerCounters.RuleCounters rule : agent.counters().rules()) {
                if (rule.id().value().equals(id)) {
                    packets += rule.packetsIn();
                }
            }
        }
        return packets;
    }

    private static ControlResponse.RuleStats reported(final TestClient client) {
        return client.stats().rules().getFirst();
    }

    @Test
    void duplicatedOrReorderedHeartbeatsNeverCountTwice() {
        final SeededRandom random = new SeededRandom(13);
        final FaultPlan faults = FaultPlan.of(random.split("faults"), 0.3, Set.of(FaultKind.CHANNEL_DUPLICATION,
            FaultKind.CHANNEL_REORDER));
        final Cluster cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2))
            .with(random.split("scheduling"), faults, null));
        cluster.network().createLinkUp("in0");
        cluster.network().createLinkUp("out0");
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 20 * SECOND), "the workers sync despite the faults");
        final TestClient client = cluster.client();
        final ControlResponse added = client.add(new RuleDocument("flow", null, "in0", "239.1.1.1", 5000, null,
            List.of(new RuleDocument.OutputDocument("239.10.0.1", 6000, "out0", null)), null));
        assertTrue(added instanceof ControlResponse.RuleAdded || added instanceof ControlResponse.NotAcked,
            added::toString);
        assertTrue(cluster.runUntil(cluster::converged, 20 * SECOND));

        final int group = IpAddress.parse("239.1.1.1").ipv4Value();
        int looks = 0;
        long previous = 0;
        for (int ms = 0; ms < 3_000; ms++) {
            // Flows from many sources, so that the kernel's flow hash spreads them over both workers.
            cluster.sendPacket("in0", 0x0A000000 | (ms % 64), group, 5000, new byte[] {(byte) ms});
            cluster.step();
            if (ms % 100 == 99) {
                final long reported = reported(client).packetsIn();
                final long truth = truth(cluster, "flow");
                assertTrue(reported <= truth, "at " + ms + " ms the supervisor counts " + reported + " packets, the "
                    + "workers " + truth + ": a heartbeat counted twice");
                assertTrue(reported >= previous, "at " + ms + " ms the count went back from " + previous + " to "
                    + reported + ": a late heartbeat overwrote a newer one");
                previous = reported;
                looks++;
            }
        }
        for (final FaultKind kind : faults.enabled()) {
            assertTrue(faults.firedCounts().getOrDefault(kind, 0L) >= 5, "each fault fired: " + faults.firedCounts());
        }
        faults.stop();
        cluster.runFor(SECOND); // more than a heartbeat interval without faults: the frames held back went
        final ControlResponse.RuleStats settled = reported(client);
        assertEquals(3_000, truth(cluster, "flow"), "the workers matched every packet");
        assertEquals(3_000, settled.packetsIn(), "the supervisor counts exactly what the workers did");
        assertTrue(looks >= 30);
        for (final ControlResponse.WorkerInfo worker : client.stats().workers()) {
            assertEquals(0, worker.restarts(), "no worker was restarted: " + worker);
        }
    }
}
