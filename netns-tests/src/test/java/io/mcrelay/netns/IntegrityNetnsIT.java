package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.traffic.HistoryChecker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Integrity on the real daemon (one worker, the shipped jar): tens of thousands of numbered, checksummed packets of
 * the smallest, the largest ordinary and the largest jumbo UDP payloads (46, 1,472 and 8,972 bytes; the last over a
 * path whose veths were given a 9,000-byte MTU), every one judged by the history checker: each arrives once, whole,
 * in order, on its flow's socket, and the relay's counters add up exactly; a fan-out to three outputs gives each
 * output every packet once; a unicast output carries the rule's TTL. And the daemon's workers run as DESIGN
 * says: another user than root, in no root group, every capability set empty, {@code no_new_privs}.
 */
class IntegrityNetnsIT {
    private static final String PREFIX = "mcrin";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** The smallest payload the traffic kit numbers and checksums, and the largest of a 1,500-byte MTU. */
    @Tag("full")
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {46, 1_472})
    void fiftyThousandPacketsAt20kPerSecondArriveWholeOnceAndInOrder(final int size) throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "size" + size)) {
            assertEveryPacketWhole(relay, 50_000, 20_000, size);
        }
    }

    @Test
    void multicastRelayedToAUnicastAddressArrivesWholeWithTheRulesTtl() throws Exception {
        Netns.requireRoot();
        org.junit.jupiter.api.Assumptions.assumeTrue(Netns.hasCommand("nft"), () -> {
            System.out.println("[integrity] SKIPPED: nftables' nft is not installed (.ci/run installs it)");
            return "nft is not installed";
        });
        try (TrafficRelay relay = TrafficRelay.startTo(PREFIX, "unicast", TrafficRelay.SINK_ADDRESS, 7)) {
            // Counts, in the sink's namespace, the datagrams to the output port by the TTL they arrived with.
            relay.net.sink.execOrThrow("nft", "add", "table", "inet", "mcrelay_ttl");
            relay.net.sink.execOrThrow("nft", "add", "chain", "inet", "mcrelay_ttl", "seen",
                "{ type filter hook prerouting priority 0; }");
            relay.net.sink.execOrThrow("nft", "add", "rule", "inet", "mcrelay_ttl", "seen", "udp", "dport",
                Integer.toString(TrafficRelay.PORT_OUT), "ip", "ttl", "7", "counter");
            relay.net.sink.execOrThrow("nft", "add", "rule", "inet", "mcrelay_ttl", "seen", "udp", "dport",
                Integer.toString(TrafficRelay.PORT_OUT), "ip", "ttl", "!=", "7", "counter");
            assertEveryPacketWhole(relay, 20_000, 20_000, 1_200);
            final String ruleset = relay.net.sink.execOrThrow("nft", "list", "table", "inet", "mcrelay_ttl").stdout();
            final java.util.regex.Matcher counters = java.util.regex.Pattern.compile("counter packets (\\d+)")
                .matcher(ruleset);
            assertTrue(counters.find(), ruleset);
            final long withTtl7 = Long.parseLong(counters.group(1));
            assertTrue(counters.find(), ruleset);
            final long otherTtl = Long.parseLong(counters.group(1));
            System.out.println("[integrity] unicast output: " + withTtl7 + " datagrams with TTL 7, " + otherTtl
                + " with another");
            assertEquals(0, otherTtl, () -> "every datagram carries the rule's TTL:\n" + ruleset);
            assertTrue(withTtl7 >= 20_000, () -> "the run's datagrams carry TTL 7:\n" + ruleset);
        }
    }

    /**
     * A fan-out to 3 outputs (30,000 packets at 10,000/s in) and to 50 (6,000 at 1,000/s in: 50,000/s out, what one
     * sink thread on a shared CPU drains without dropping), each output's copy judged as a run of its own.
     */
    @ParameterizedTest(name = "{0} outputs")
    @CsvSource({"3, 30000, 10000", "50, 6000, 1000"})
    void aFanOutDeliversEveryPacketOnceToEachOutput(final int outputs, final int count, final int rate)
        throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFanOut(PREFIX, "fanout" + outputs, outputs)) {
            final ControlResponse.RuleStats[] before = new ControlResponse.RuleStats[1];
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> {
                before[0] = relay.settledStats().rules().getFirst();
                return relay.send(count, rate, 1_200, () -> { });
            });
            final ControlResponse.StatsReport stats = relay.settledStats();
            assertEquals(outputs, run.outputReports().size());
            for (int i = 0; i < outputs; i++) {
                final HistoryChecker.Report report = run.outputReports().get(i);
                final int output = i;
                System.out.println("[integrity] fan-out, output " + i + ": " + report.describe());
                assertTrue(report.clean(), () -> "output " + output + ": " + report.describe() + "\n" + stats);
                assertEquals(count, report.received() - report.foreign(), report::describe);
                assertEquals(count, stats.rules().getFirst().outputs().get(i).packetsOut()
                    - before[0].outputs().get(i).packetsOut(), stats::toString);
            }
            DropAccountingNetnsIT.assertIdentities(stats);
        }
    }

    /**
     * Two relays in a chain, each its own daemon: every packet through both, once, whole and in order; each relay's
     * identities hold, and what the first sent is what the second took in.
     */
    @Tag("full")
    @Test
    void twoRelaysInAChainDeliverEveryPacketOnce() throws Exception {
        Netns.requireRoot();
        final int count = 20_000;
        try (TrafficRelay relay = TrafficRelay.startChain(PREFIX, "chain")) {
            final long[] secondBefore = new long[1];
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> {
                secondBefore[0] = relay.secondStats().rules().getFirst().packetsIn();
                return relay.send(count, 10_000, 1_200, () -> { });
            });
            final HistoryChecker.Report report = run.report();
            System.out.println("[integrity] chain of two: " + report.describe());
            assertTrue(report.clean(), () -> report.describe() + "\n" + DaemonKit.read(relay.log));
            assertEquals(count, report.received() - report.foreign(), report::describe);
            final ControlResponse.StatsReport first = relay.settledStats();
            final ControlResponse.StatsReport second = relay.secondStats();
            DropAccountingNetnsIT.assertIdentities(first);
            DropAccountingNetnsIT.assertIdentities(second);
            assertEquals(count, second.rules().getFirst().packetsIn() - secondBefore[0], second::toString);
        }
    }

    @Test
    void theDaemonsWorkersRunUnprivileged() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "privileges", 2)) {
            for (final ControlResponse.WorkerInfo worker : relay.workers()) {
                final java.util.Map<String, String> status = status(worker.pid());
                for (final String uid : status.get("Uid").split("\\s+")) {
                    assertTrue(!uid.equals("0"), () -> "worker " + worker.index() + " runs as root: " + status);
                }
                for (final String gid : status.get("Gid").split("\\s+")) {
                    assertTrue(!gid.equals("0"), () -> "worker " + worker.index() + " in group root: " + status);
                }
                for (final String set : java.util.List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
                    assertEquals("0000000000000000", status.get(set), () -> set + " of worker " + worker.index());
                }
                assertEquals("1", status.get("NoNewPrivs"), () -> "NoNewPrivs of worker " + worker.index());
                System.out.println("[integrity] worker " + worker.index() + " (pid " + worker.pid() + "): uid "
                    + status.get("Uid") + ", no capabilities, NoNewPrivs");
            }
        }
    }

    /** {@code /proc/PID/status} as field → value (whitespace-trimmed). */
    private static java.util.Map<String, String> status(final long pid) throws java.io.IOException {
        final java.util.Map<String, String> fields = new java.util.HashMap<>();
        for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
            final int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    @Tag("full")
    @Test
    void jumboPacketsOverA9000ByteMtuPathArriveWholeOnceAndInOrder() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "jumbo")) {
            relay.net.source.execOrThrow("ip", "link", "set", "in0p", "mtu", "9000");
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "mtu", "9000");
            relay.net.relay.execOrThrow("ip", "link", "set", "out0", "mtu", "9000");
            relay.net.sink.execOrThrow("ip", "link", "set", "out0p", "mtu", "9000");
            relay.awaitForwarding();
            assertEveryPacketWhole(relay, 20_000, 5_000, 8_972);
        }
    }

    private static void assertEveryPacketWhole(final TrafficRelay relay, final int count, final int rate,
        final int size) throws Exception {
        final ControlResponse.OutputStats[] before = new ControlResponse.OutputStats[1];
        final TrafficRelay.Run run = TrafficRelay.conclusive(() -> {
            before[0] = output(relay.settledStats());
            return relay.send(count, rate, size, () -> { });
        });
        final HistoryChecker.Report report = run.report();
        final ControlResponse.StatsReport stats = relay.settledStats();
        System.out.println("[integrity] " + size + " bytes: " + report.describe());
        assertEquals(count, report.sent());
        assertTrue(report.clean(), () -> report.describe() + "\n" + stats + "\n" + DaemonKit.read(relay.log));
        assertEquals(count, report.received(), report::describe);
        assertEquals(0, report.foreign(), report::describe);
        assertEquals(count, output(stats).packetsOut() - before[0].packetsOut(), stats::toString);
        assertEquals((long) count * size, output(stats).bytesOut() - before[0].bytesOut(),
            () -> "bytes_out counts the UDP payloads: " + stats);
        DropAccountingNetnsIT.assertIdentities(stats);
    }

    private static ControlResponse.OutputStats output(final ControlResponse.StatsReport stats) {
        return stats.rules().getFirst().outputs().getFirst();
    }
}
