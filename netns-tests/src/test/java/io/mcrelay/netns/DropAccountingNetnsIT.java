package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.traffic.History;
import io.mcrelay.traffic.HistoryChecker;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every drop counted where it happens, on the real daemon (one worker) in a source → relay → sink topology, with
 * traffic from the product's generator: under an egress rate limit ({@code tc tbf} on the relay's {@code out0}: sends
 * fail with {@code ENOBUFS} or {@code EAGAIN}), and with the worker stopped ({@code SIGSTOP}) longer than its receive
 * ring holds but shorter than the heartbeat deadline (the kernel drops for a full ring; the worker is not restarted).
 * Both times, once traffic stopped and the counters settled, DESIGN's two identities hold exactly, and every packet
 * the sink did not get is one the relay counted as dropped. Last, a loss planted after the relay (an nftables rule in
 * the sink's namespace dropping every hundredth packet) is found and placed by the history checker while the relay
 * counts every packet as sent.
 */
class DropAccountingNetnsIT {
    private static final String PREFIX = "mcrda";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void underAnEgressRateLimitEveryPacketIsCountedOnceAndTheIdentitiesHoldExactly() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "ratelimit")) {
            relay.net.relay.execOrThrow("tc", "qdisc", "add", "dev", "out0", "root", "tbf", "rate", "4mbit",
                "burst", "4000", "limit", "8000");
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.send(10_000, 10_000, 1200, () -> { }));
            final ControlResponse.StatsReport stats = relay.settledStats();
            System.out.println("[drops] rate limit: " + run.report().describe() + "\n[drops] " + stats);
            assertIdentities(stats);
            final ControlResponse.Drops drops = stats.rules().getFirst().drops();
            assertTrue(drops.bufferFull() + drops.noBufferSpace() > 0, () -> "a 4 Mbit/s egress under 96 Mbit/s "
                + "of traffic drops sends: " + stats);
            assertEveryLossCounted(run, stats);
        }
    }

    @Test
    void aWorkerStoppedLongerThanItsRingHoldsCountsRingFullAndIsNotRestarted() throws Exception {
        Netns.requireRoot();
        // A ring of 1 MiB (16 blocks of 64 KiB: about 780 frames of this size), so that 0.3 s of 20 k/s overflows it
        // while the worker stays silent for well under the 1 s of heartbeat silence after which it would be replaced.
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "stopped", "--ring-size", "1M")) {
            final ControlResponse.WorkerInfo before = relay.workers().getFirst();
            final String pid = Long.toString(before.pid());
            final AtomicBoolean stopped = new AtomicBoolean();
            final TrafficRelay.Run run;
            try {
                run = TrafficRelay.conclusive(() -> {
                    relay.net.relay.execOrThrow("kill", "-STOP", pid);
                    stopped.set(true);
                    final long stoppedNs = System.nanoTime();
                    return relay.send(6_000, 20_000, 1200, () -> {
                        relay.net.relay.execOrThrow("kill", "-CONT", pid);
                        stopped.set(false);
                        System.out.println("[drops] worker stopped for " + (System.nanoTime() - stoppedNs) / 1_000_000
                            + " ms");
                    });
                });
            } finally {
                if (stopped.get()) {
                    relay.net.relay.exec("kill", "-CONT", pid);
                }
            }
            final ControlResponse.StatsReport stats = relay.settledStats();
            System.out.println("[drops] stopped worker: " + run.report().describe() + "\n[drops] " + stats);
            assertIdentities(stats);
            assertTrue(stats.drops().ringFull() > 0, () -> "a stopped worker's ring overflows: " + stats);
            final ControlResponse.WorkerInfo after = relay.workers().getFirst();
            assertEquals(before.pid(), after.pid(), () -> "the worker was not replaced: " + after);
            assertEquals(before.restarts(), after.restarts(), () -> "the worker was not restarted: " + after);
            assertEveryLossCounted(run, stats);
        }
    }

    @Test
    void aPlantedOnePercentLossIsFoundAndPlacedByTheHistoryChecker() throws Exception {
        Netns.requireRoot();
        Assumptions.assumeTrue(Netns.hasCommand("nft"), () -> {
            System.out.println("[drops] SKIPPED: nftables' nft is not installed (.ci/run installs it)");
            return "nft is not installed";
        });
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "planted")) {
            // After the relay, in the sink's namespace: the 1st, 101st, 201st… packet to the output port is dropped.
            relay.net.sink.execOrThrow("nft", "add", "table", "inet", "mcrelay_test");
            relay.net.sink.execOrThrow("nft", "add", "chain", "inet", "mcrelay_test", "planted",
                "{ type filter hook prerouting priority 0; }");
            relay.net.sink.execOrThrow("nft", "add", "rule", "inet", "mcrelay_test", "planted", "udp", "dport",
                Integer.toString(TrafficRelay.PORT_OUT), "numgen", "inc", "mod", "100", "0", "drop");
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.send(2_000, 2_000, 200, () -> { }));
            final ControlResponse.StatsReport stats = relay.settledStats();
            System.out.println("[drops] planted loss: " + run.report().describe());
            assertEquals(2_000, run.report().sent());
            assertEquals(20, run.report().lostOutsideWindows(), run.report()::describe);
            assertEquals(LongStream.range(0, 20).map(i -> i * 100).boxed().toList(),
                run.report().lostSamples().stream().map(History.Sent::seq).toList(), run.report()::describe);
            assertEquals(0, run.report().duplicates() + run.report().corrupt() + run.report().reordered(),
                run.report()::describe);
            final ControlResponse.RuleStats rule = stats.rules().getFirst();
            assertEquals(0, rule.drops().perRuleTotal(), stats::toString);
            assertEquals(2_000, rule.outputs().getFirst().packetsOut() - run.packetsOutBefore(),
                () -> "the relay sent every packet: the loss is after it\n" + stats);
            assertIdentities(stats);
        }
    }

    /** DESIGN's identities over the whole daemon and per rule. */
    static void assertIdentities(final ControlResponse.StatsReport stats) {
        final long offered = stats.inputs().stream().mapToLong(ControlResponse.InputStats::tpPackets).sum();
        final long ringFull = stats.inputs().stream().mapToLong(ControlResponse.InputStats::ringFull).sum();
        final long stagingFull = stats.inputs().stream().mapToLong(ControlResponse.InputStats::stagingFull).sum();
        assertEquals(ringFull, stats.drops().ringFull(), stats::toString);
        assertEquals(stagingFull, stats.drops().stagingFull(), stats::toString);
        final long packetsIn = stats.rules().stream().mapToLong(ControlResponse.RuleStats::packetsIn).sum();
        assertEquals(offered, ringFull + stagingFull + stats.drops().malformed() + stats.drops().fragment()
            + stats.unmatched() + stats.removedRules().packetsIn() + packetsIn, () -> "Σ tp_packets = Σ ring_full + "
            + "Σ staging_full + malformed + fragment + unmatched + removed_rules' packets_in + Σ packets_in:\n" + stats);
        for (final ControlResponse.RuleStats rule : stats.rules()) {
            final long out = rule.outputs().stream().mapToLong(ControlResponse.OutputStats::packetsOut).sum();
            assertEquals(rule.packetsIn() * rule.outputs().size(), out + rule.drops().perRuleTotal(),
                () -> "rule " + rule.id() + ": packets_in × outputs = Σ packets_out + its drops:\n" + stats);
        }
    }

    /** Every packet of the run the sink did not get is one the relay counted as lost (this run's share). */
    private static void assertEveryLossCounted(final TrafficRelay.Run run, final ControlResponse.StatsReport stats) {
        final HistoryChecker.Report report = run.report();
        assertEquals(0, report.duplicates() + report.corrupt() + report.reordered() + report.leaks(),
            report::describe);
        final long counted = stats.drops().ringFull() + stats.drops().stagingFull()
            + stats.rules().getFirst().drops().perRuleTotal() - run.lossesCountedBefore();
        assertEquals(counted, report.lostOutsideWindows(), () -> "the sink's losses are the relay's counted drops: "
            + report.describe() + "\n" + stats);
    }

}
