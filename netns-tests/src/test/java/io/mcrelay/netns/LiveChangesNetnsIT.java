package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Live changes on the real daemon with 2 workers (issue 12's acceptance): a rule is forwarding when {@code add}
 * answers. 20,000 packets of 1,200 bytes at 20 k/s, sent from the moment {@code add} returned, all arrive, intact,
 * once each, in order — for a rule on an input no rule used before (its sockets are opened and handed to the running
 * workers), and for a rule on a new group of an input already open; no worker is restarted (same pids). While such a
 * flow runs, a rule on another new input interface is added and removed: the flow loses nothing. A run in which the
 * sink itself dropped packets is inconclusive and repeated, never passed. Likewise another input interface deleted and
 * re-created (new sockets handed over, the old ones released) costs the flow nothing.
 */
class LiveChangesNetnsIT {
    private static final String PREFIX = "mcrlc";
    private static final int PACKETS = 20_000;
    private static final long RATE_PPS = 20_000;
    private static final int SIZE_BYTES = 1200;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static RuleDocument rule(final String id, final String input, final String group) {
        return new RuleDocument(id, null, input, group, TrafficRelay.PORT_IN, null,
            List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT, TrafficRelay.PORT_OUT, "out0", null)),
            null);
    }

    private static List<Long> pids(final TrafficRelay relay) throws Exception {
        return DaemonKit.workers(relay.client).stream().map(ControlResponse.WorkerInfo::pid).sorted().toList();
    }

    /** Adds r1 (the flow's rule), runs the flow the moment the add answered, then removes r1 again. */
    private static TrafficRelay.Run flowRightAfterAdd(final TrafficRelay relay, final Runnable duringTheFlow)
        throws Exception {
        return TrafficRelay.conclusive(() -> {
            final ControlResponse added = relay.add(rule("r1", "in0", TrafficRelay.GROUP_IN));
            assertInstanceOf(ControlResponse.RuleAdded.class, added, () -> added + "\n" + DaemonKit.read(relay.log));
            final Thread side = Thread.ofPlatform().name("side-changes").start(duringTheFlow);
            final TrafficRelay.Run run = relay.send(PACKETS, RATE_PPS, SIZE_BYTES, () -> { });
            side.join();
            final ControlResponse removed = relay.remove("r1");
            assertInstanceOf(ControlResponse.RuleRemoved.class, removed, removed::toString);
            return run;
        });
    }

    /** Side changes made during a flow, on their own thread. */
    @FunctionalInterface
    interface SideChanges {
        void run() throws Exception;
    }

    /** {@code changes} as a runnable for the side thread, its failure kept in {@code failure}. */
    private static Runnable recording(final AtomicReference<Throwable> failure, final SideChanges changes) {
        return () -> {
            try {
                changes.run();
            } catch (final Exception | AssertionError e) {
                failure.set(e);
            }
        };
    }

    private static void rethrow(final String what, final AtomicReference<Throwable> failure) {
        if (failure.get() != null) {
            throw new AssertionError(what, failure.get());
        }
    }

    private static String statsOf(final TrafficRelay relay) {
        try {
            return relay.stats().toString();
        } catch (final Exception e) {
            return "(no stats: " + e + ")";
        }
    }

    /** Judges the flow through the history checker; a failure names what was lost and shows the daemon's log. */
    private static void assertEveryPacketArrivedOnce(final TrafficRelay relay, final TrafficRelay.Run run) {
        System.out.println("[live] " + run.report().describe());
        assertEquals(PACKETS, run.report().sent());
        assertTrue(run.report().clean(), () -> run.report().describe() + "\nstats: " + statsOf(relay)
            + "\ndaemon log:\n" + DaemonKit.read(relay.log));
        assertEquals(PACKETS, run.report().received() - run.report().foreign() - run.report().corrupt(),
            run.report()::describe);
    }

    @Test
    void aRuleOnANewInputForwardsFromItsAnswerOnWithoutRestartingAWorker() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "new-input", 2)) {
            final List<Long> before = pids(relay);
            assertEveryPacketArrivedOnce(relay, flowRightAfterAdd(relay, () -> { }));
            assertEquals(before, pids(relay), () -> "no worker was restarted:\n" + DaemonKit.read(relay.log));
            assertTrue(!DaemonKit.read(relay.log).contains("killing worker"), () -> DaemonKit.read(relay.log));
        }
    }

    @Test
    void aGroupNoRuleNamesIsNeitherForwardedNorCountedToARuleUntilAddedAndAfterRemoved() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "unmatched", 1)) {
            final ControlResponse other = relay.add(rule("r0", "in0", "239.7.7.6")); // in0 open, another group
            assertInstanceOf(ControlResponse.RuleAdded.class, other, other::toString);
            relay.settledStats();

            // Before: the flow's group on an open interface, no rule for it. Nothing reaches the sink, nothing is
            // counted against the rule of the other group.
            assertNothingForwarded(relay, "before the add", 0);

            // Added: every packet arrives once.
            final ControlResponse added = relay.add(rule("r1", "in0", TrafficRelay.GROUP_IN));
            assertInstanceOf(ControlResponse.RuleAdded.class, added, () -> added + "\n" + DaemonKit.read(relay.log));
            assertEveryPacketArrivedOnce(relay, TrafficRelay.conclusive(
                () -> relay.send(PACKETS, RATE_PPS, SIZE_BYTES, () -> { })));

            // Removed: nothing forwarded again.
            final long r1PacketsIn = relay.settledStats().rules().stream().filter(r -> r.id().equals("r1"))
                .findFirst().orElseThrow().packetsIn();
            final ControlResponse removed = relay.remove("r1");
            assertInstanceOf(ControlResponse.RuleRemoved.class, removed, removed::toString);
            assertNothingForwarded(relay, "after the remove", r1PacketsIn);
        }
    }

    private static long tpPackets(final ControlResponse.StatsReport stats) {
        return stats.inputs().stream().mapToLong(ControlResponse.InputStats::tpPackets).sum();
    }

    /**
     * A run to the flow's group: no packet at the sink, none counted against the other rule, whatever passed the
     * kernel's filter counted unmatched.
     */
    private static void assertNothingForwarded(final TrafficRelay relay, final String when,
        final long removedPacketsIn) throws Exception {
        final ControlResponse.StatsReport before = relay.settledStats();
        final TrafficRelay.Run run = relay.send(PACKETS, RATE_PPS, SIZE_BYTES, () -> { });
        final ControlResponse.StatsReport after = relay.settledStats();
        System.out.println("[live] " + when + ": " + run.report().describe() + "; tp_packets "
            + tpPackets(before) + " -> " + tpPackets(after) + ", unmatched " + before.unmatched() + " -> "
            + after.unmatched());
        assertEquals(PACKETS, run.report().sent());
        assertEquals(0, run.report().received(), () -> when + ": nothing is forwarded: " + run.report().describe());
        // Refused before any rule saw it: by the input sockets' filter in the kernel (which runs before tp_packets
        // counts: those are counted nowhere) or, past it, as unmatched. Here the filter is exact (few rules).
        final long offered = tpPackets(after) - tpPackets(before);
        assertEquals(offered, after.unmatched() - before.unmatched(), () -> when + ": whatever reached the socket "
            + "is unmatched\n" + before + "\n" + after);
        final ControlResponse.RuleStats otherBefore = before.rules().stream().filter(r -> r.id().equals("r0"))
            .findFirst().orElseThrow();
        final ControlResponse.RuleStats otherAfter = after.rules().stream().filter(r -> r.id().equals("r0"))
            .findFirst().orElseThrow();
        assertEquals(otherBefore.packetsIn(), otherAfter.packetsIn(), () -> when + ": nothing counted against r0");
        // A removed rule's packets_in leave the rules' sum for removed_rules: the whole-daemon identity holds.
        assertEquals(removedPacketsIn, after.removedRules().packetsIn(), () -> when + ": removed_rules carries what "
            + "the removed rules counted in\n" + after);
        DropAccountingNetnsIT.assertIdentities(after);
    }

    @Test
    void aRuleOnANewGroupOfAnOpenInputForwardsFromItsAnswerOn() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "open-input", 2)) {
            final ControlResponse other = relay.add(rule("r0", "in0", "239.7.7.6")); // in0 is open from now on
            assertInstanceOf(ControlResponse.RuleAdded.class, other, other::toString);
            final List<Long> before = pids(relay);
            assertEveryPacketArrivedOnce(relay, flowRightAfterAdd(relay, () -> { }));
            assertEquals(before, pids(relay), () -> "no worker was restarted:\n" + DaemonKit.read(relay.log));
        }
    }

    @Test
    void anotherInputAddedAndRemovedDuringAFlowCostsItNothing() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "side-input", 2)) {
            Netns.vethPair(relay.net.source, "in1p", relay.net.relay, "in1");
            final List<Long> before = pids(relay);
            final AtomicReference<Throwable> sideFailure = new AtomicReference<>();
            final TrafficRelay.Run run = flowRightAfterAdd(relay, recording(sideFailure, () -> {
                try (ControlClient side = DaemonKit.connect(relay.daemon, relay.dir.resolve("control.sock"),
                    relay.log)) {
                    Thread.sleep(200); // pacing, not a wait: into the flow
                    final ControlResponse added = side.exchange(new ControlRequest.Add(side.nextRequestId(),
                        rule("r2", "in1", "239.7.7.9")));
                    assertInstanceOf(ControlResponse.RuleAdded.class, added, added::toString);
                    Thread.sleep(200);
                    final ControlResponse removed = side.exchange(new ControlRequest.Remove(side.nextRequestId(),
                        "r2"));
                    assertInstanceOf(ControlResponse.RuleRemoved.class, removed, removed::toString);
                }
            }));
            rethrow("the side changes failed", sideFailure);
            assertEveryPacketArrivedOnce(relay, run);
            assertEquals(before, pids(relay), () -> "no worker was restarted:\n" + DaemonKit.read(relay.log));
        }
    }

    @Test
    void anotherInputDeletedAndRecreatedDuringAFlowCostsItNothing() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "recreated", 2)) {
            Netns.vethPair(relay.net.source, "in1p", relay.net.relay, "in1");
            final ControlResponse onIn1 = relay.add(rule("r2", "in1", "239.7.7.9"));
            assertInstanceOf(ControlResponse.RuleAdded.class, onIn1, onIn1::toString);
            final List<Long> before = pids(relay);
            final AtomicReference<Throwable> sideFailure = new AtomicReference<>();
            final TrafficRelay.Run run = flowRightAfterAdd(relay, recording(sideFailure, () -> {
                Thread.sleep(200); // pacing, not a wait: into the flow
                relay.net.relay.execOrThrow("ip", "link", "del", "in1"); // its sockets are bound to nothing now
                Thread.sleep(200);
                Netns.vethPair(relay.net.source, "in1p", relay.net.relay, "in1"); // a new ifindex
            }));
            rethrow("deleting and re-creating in1 failed", sideFailure);
            assertEveryPacketArrivedOnce(relay, run);
            assertEquals(before, pids(relay), () -> "no worker was restarted:\n" + DaemonKit.read(relay.log));
            assertTrue(DaemonKit.read(relay.log).contains("input in1: packet sockets closed"),
                () -> "in1's old sockets were closed:\n" + DaemonKit.read(relay.log));
        }
    }
}
