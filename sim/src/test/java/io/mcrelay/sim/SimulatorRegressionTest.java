package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerTotals;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * Bugs the simulator's seeds found, each replayed here as a plain scenario so that it stays covered whatever later
 * changes do to the seeds' random choices (a seed only replays the same run on the same code).
 */
class SimulatorRegressionTest {
    private static final long SECOND = 1_000_000_000L;
    private static final int SOURCE = IpAddress.parse("10.0.0.1").ipv4Value();

    private static Cluster cluster() {
        final Cluster cluster = new Cluster(Supervisor.Config.defaults(2));
        for (final String link : List.of("in0", "out0", "out1", "out2")) {
            cluster.network().createLinkUp(link);
        }
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND));
        return cluster;
    }

    private static RuleDocument fanout(final String id, final String group) {
        return new RuleDocument(id, null, "in0", group, 5000, null, List.of(
            new RuleDocument.OutputDocument("239.2.0.1", 6000, "out0", null),
            new RuleDocument.OutputDocument("239.2.0.2", 6000, "out1", null),
            new RuleDocument.OutputDocument("239.2.0.3", 6000, "out2", null)), null);
    }

    /**
     * Seed 53: a thawed worker read a backlog of 256 frames of a 1→3 fan-out in one cycle, more sends than its
     * submission queue holds, and dropped them as buffer_full. Now it reads only what it can send.
     */
    @Test
    void aBacklogOfFanOutFramesIsForwardedWithoutDrops() {
        final Cluster cluster = cluster();
        final TestClient client = cluster.client();
        client.add(fanout("wide", "239.1.0.1"));
        final int group = IpAddress.parse("239.1.0.1").ipv4Value();
        final SimLauncher.LiveWorker target = cluster.launcher().liveWorkers().stream()
            .filter(w -> w.handle().workerIndex() == Math.floorMod(group * 31 + 5000, 2)).findFirst().orElseThrow();
        cluster.launcher().setHung(target.handle(), true);
        for (int i = 0; i < 900; i++) { // fits the 1,024-frame receive ring
            cluster.sendPacket("in0", SOURCE, group, 5000, new byte[] {(byte) i});
        }
        cluster.launcher().setHung(target.handle(), false);
        cluster.runFor(200_000_000L);
        final WorkerTotals totals = target.agent().totals();
        assertEquals(900, totals.matched());
        assertEquals(0, totals.dropsBufferFull(), "nothing read may be dropped for want of a submission slot");
        assertEquals(2_700, totals.sendsCompleted());
    }

    /**
     * Seed 23: a worker that was syncing (its Apply lost) still forwarded a rule whose removal had been acked,
     * because removals waited for ready workers only. Now a removal also waits for syncing workers.
     */
    @Test
    void aRemovalIsNotAckedWhileASyncingWorkerCanStillForwardTheRule() {
        final Cluster cluster = cluster();
        final TestClient client = cluster.client();
        client.add(fanout("gone", "239.1.0.2"));
        final SimLauncher.LiveWorker worker = cluster.launcher().liveWorker(0);
        // Drift: a forged table at the current epoch makes worker 0 syncing; freeze it so it stays so.
        cluster.launcher().injectCommand(worker.handle(), WorkerMessageCodec.toBytes(new WorkerMessage.Sync(
            cluster.supervisor().epoch(), List.of())));
        for (int i = 0; i < 5 && !cluster.supervisor().workers().get(0).state().equals("syncing"); i++) {
            cluster.step();
        }
        cluster.launcher().setHung(worker.handle(), true); // before it can apply the repairing Sync
        cluster.runFor(20_000_000L);
        assertTrue(cluster.supervisor().workers().get(0).state().equals("syncing"),
            () -> "worker 0 is " + cluster.supervisor().workers().get(0).state());
        final ControlResponse response = client.remove("gone");
        assertInstanceOf(ControlResponse.NotAcked.class, response,
            "a syncing worker that has not applied the removal must hold up its ack");
        assertEquals(List.of(0), ((ControlResponse.NotAcked) response).laggingWorkers());
    }

    /** Seed 127: a hung worker outlived its crashed supervisor and kept eating packets. Workers die with it. */
    @Test
    void noWorkerOutlivesItsSupervisor() {
        final Cluster cluster = cluster();
        final SimLauncher oldLauncher = cluster.launcher();
        cluster.launcher().setHung(cluster.launcher().liveWorker(0).handle(), true);
        cluster.crashSupervisor();
        assertEquals(List.of(), oldLauncher.liveWorkers(), "the old workers died with their supervisor");
        assertNull(oldLauncher.liveWorker(0));
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND));
    }

    /**
     * Seed 1031: an input interface was re-created and the worker's resync was lost; the worker kept matching on the
     * old interface index, and its state (epoch, hash) looked right, so nothing repaired it. Workers now recompile
     * their table whenever their I/O's interface indices move: here when the new sockets are handed over. Until the
     * supervisor has reopened them, the re-created interface has no packet socket and its frames reach nobody.
     */
    @Test
    void aWorkerFollowsARecreatedInterfaceOnItsOwn() {
        final Cluster cluster = cluster();
        final TestClient client = cluster.client();
        client.add(new RuleDocument("one", null, "in0", "239.1.0.3", 5000, null,
            List.of(new RuleDocument.OutputDocument("239.2.0.9", 6000, "out0", null)), null));
        cluster.network().deleteLink("in0");
        cluster.network().createLinkUp("in0");
        // The packet arrives before the supervisor has even seen the link change (workers step first).
        cluster.sendPacket("in0", SOURCE, IpAddress.parse("239.1.0.3").ipv4Value(), 5000, new byte[] {41});
        assertEquals(1, cluster.network().dropped(SimNetwork.Drop.INGRESS_NO_RECEIVER),
            "the old sockets are bound to the deleted interface");
        final long before = cluster.inputSockets().generation("in0");
        assertTrue(cluster.runUntil(() -> cluster.inputSockets().generation("in0") > before, SECOND));
        assertTrue(cluster.runUntil(() -> cluster.liveAgents().stream().allMatch(agent ->
            Long.valueOf(cluster.inputSockets().generation("in0")).equals(agent.inputGenerations().get("in0"))), SECOND));
        cluster.sendPacket("in0", SOURCE, IpAddress.parse("239.1.0.3").ipv4Value(), 5000, new byte[] {42});
        cluster.step();
        cluster.step();
        assertEquals(1, cluster.network().delivered("out0", IpAddress.parse("239.2.0.9").toBytes(), 6000).size());
    }

    /**
     * Seed 1009: a worker whose Sync was lost sent a heartbeat with epoch -1 (no ruleset yet), which the codec
     * refused as a bad frame, so the supervisor killed a healthy worker over and over. -1 is now a valid report.
     */
    @Test
    void aWorkerWithoutARulesetYetReportsEpochMinusOne() {
        final WorkerMessage.Heartbeat heartbeat = new WorkerMessage.Heartbeat(1, -1, 0,
            io.mcrelay.protocol.WorkerCounters.ZERO, List.of());
        assertEquals(heartbeat, WorkerMessageCodec.decode(WorkerMessageCodec.toBytes(heartbeat)));
        assertEquals(new WorkerMessage.Ack(-1, 0),
            WorkerMessageCodec.decode(WorkerMessageCodec.toBytes(new WorkerMessage.Ack(-1, 0))));
        final byte[] tooLow = WorkerMessageCodec.toBytes(new WorkerMessage.Ack(-2, 0));
        assertEquals("epoch must be -1 (none yet) or more: -2", org.junit.jupiter.api.Assertions.assertThrows(
            io.mcrelay.protocol.CodecException.class, () -> WorkerMessageCodec.decode(tooLow)).getMessage());
    }
}
