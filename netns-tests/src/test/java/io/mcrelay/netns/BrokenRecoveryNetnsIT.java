package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;

/**
 * The fault suites fail when the recovery they rely on is broken: the real daemon as the fault-injection module runs
 * it ({@code mcrelay fault-supervisor --break ...}), each time with one recovery broken through a seam decorator, and
 * the check a suite makes. A worker killed is never replaced when the launcher refuses to respawn (the worker-kill
 * suite's "a new worker ready" never comes, and no packet is forwarded), nor one stopped past its heartbeat deadline;
 * a worker whose channel drops every Sync is killed again and again for its sync timeout; joins answered and never
 * made leave the kernel without the group the memberships suite looks for; with link events lost, a rule is shown
 * active while its input is down, and an input made again is never used; a supervisor restarted on a journal it
 * cannot read back has no rule; a journal that stays refused after space came back keeps refusing rule changes. Each waits for events the daemon shows (restarts counted, a reason word), never for
 * a time.
 */
@Tag("full")
class BrokenRecoveryNetnsIT {
    private static final String PREFIX = "mcbr";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static void kill(final long pid) throws Exception {
        final Process process = new ProcessBuilder("kill", "-KILL", Long.toString(pid)).redirectErrorStream(true)
            .start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
    }

    /** Sends a short run: what the suites' "forwarding resumed" would judge. */
    private static TrafficRelay.Run shortRun(final TrafficRelay relay) throws Exception {
        return relay.send(2_000, 2_000, 200, () -> { });
    }

    @Test
    void aLauncherThatRefusesToRespawnLeavesAKilledWorkerUnreplacedAndNothingForwarded() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "respawn", "--break", "respawn")) {
            final ControlResponse.WorkerInfo before = relay.workers().getFirst();
            kill(before.pid());
            // The supervisor tries again, with backoff; each launch is refused at once. Three tries, no ready worker.
            final ControlResponse.WorkerInfo after = Waits.until(Waits.Pace.DAEMON, "three refused relaunches",
                () -> relay.workers().getFirst(), worker -> worker.restarts() >= before.restarts() + 3,
                () -> DaemonKit.read(relay.log));
            assertFalse(after.state().equals("ready") && after.pid() != before.pid(), after::toString);
            assertEquals(List.of(), DaemonKit.processesMentioning(relay.dir), "no worker runs");
            final TrafficRelay.Run run = shortRun(relay);
            System.out.println("[broken] respawn: " + after + "; " + run.report().describe());
            assertEquals(0, run.report().received(), run.report()::describe);
            assertTrue(DaemonKit.read(relay.log).contains("fault injection (not for production)"),
                () -> DaemonKit.read(relay.log));
        }
    }

    @Test
    void aWorkerStoppedPastItsHeartbeatDeadlineIsKilledAndNeverReplacedWhenTheLauncherRefusesToRespawn()
        throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "stop", "--break", "respawn")) {
            final ControlResponse.WorkerInfo before = relay.workers().getFirst();
            final Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(before.pid())).start();
            assertEquals(0, stop.waitFor());
            try {
                final ControlResponse.WorkerInfo after = Waits.until(Waits.Pace.DAEMON,
                    "the stopped worker killed for no_heartbeat, then two refused relaunches",
                    () -> relay.workers().getFirst(), worker -> worker.restarts() >= before.restarts() + 3,
                    () -> DaemonKit.read(relay.log));
                assertTrue(DaemonKit.read(relay.log).contains("no_heartbeat"), () -> DaemonKit.read(relay.log));
                final TrafficRelay.Run run = shortRun(relay);
                System.out.println("[broken] stop + respawn: " + after + "; " + run.report().describe());
                assertEquals(0, run.report().received(), run.report()::describe);
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(before.pid())).start().waitFor();
            }
        }
    }

    /**
     * The link suites' recoveries broken: link events lost. The input taken down, the rule is still shown active (the
     * link-flap suite waits for "down" in vain); the input's veth pair deleted and made again, the daemon's sockets
     * stay on the deleted device and nothing is forwarded (the veth suite's flow never resumes). Each step waits for
     * the daemon's log line saying the event was dropped.
     */
    @Test
    void linkEventsLostLeaveTheRuleStateWrongAndAnInterfaceMadeAgainUnused() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "links", "--break", "links")) {
            relay.sendThroughSourceBridge();
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "down");
            awaitDropped(relay, "DOWN in0");
            assertEquals("active", ruleState(relay), "the link-flap suite's wait for \"down\" would never end");
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "up");
            awaitDropped(relay, "UP in0");

            relay.net.relay.execOrThrow("ip", "link", "del", "in0");
            awaitDropped(relay, "REMOVED in0");
            relay.recreateInputVeth();
            awaitDropped(relay, "ADDED in0");
            final TrafficRelay.Run run = shortRun(relay);
            System.out.println("[broken] links: rule " + ruleState(relay) + "; " + run.report().describe());
            assertEquals(0, run.report().received(), run.report()::describe);
        }
    }

    private static void awaitDropped(final TrafficRelay relay, final String event) {
        Waits.until(Waits.Pace.DAEMON, "the daemon to drop the link event " + event,
            () -> DaemonKit.read(relay.log).contains("link event " + event + " "), Boolean::booleanValue,
            () -> DaemonKit.read(relay.log));
    }

    private static String ruleState(final TrafficRelay relay) throws Exception {
        return ((ControlResponse.Rules) relay.client.exchange(new io.mcrelay.control.ControlRequest.ListRules(
            relay.client.nextRequestId()))).rules().getFirst().state();
    }

    @Test
    void aChannelThatDropsEverySyncLeavesAReplacementWorkerWithoutItsTableKilledForItsSyncTimeout()
        throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "sync", "--break", "sync")) {
            // The first worker took the empty table before the rule came as an Apply; its replacement needs a Sync.
            final ControlResponse.WorkerInfo before = relay.workers().getFirst();
            kill(before.pid());
            final ControlResponse.WorkerInfo after = Waits.until(Waits.Pace.DAEMON,
                "a replacement killed for its sync timeout", () -> relay.workers().getFirst(),
                worker -> worker.restarts() >= before.restarts() + 2
                    && worker.lastRestartReason().equals("sync_timeout"), () -> DaemonKit.read(relay.log));
            final TrafficRelay.Run run = shortRun(relay);
            System.out.println("[broken] sync: " + after + "; " + run.report().describe());
            assertTrue(run.report().received() < run.report().sent(), run.report()::describe);
        }
    }

    @Test
    void joinsAnsweredAndNeverMadeLeaveTheKernelWithoutTheGroup() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.openFaulty(PREFIX, "joins", 1, "--break", "joins")) {
            final ControlResponse added = relay.add(new RuleDocument("any", null, "in0", "239.7.7.7", 7000, null,
                List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT, TrafficRelay.PORT_OUT, "out0", null)),
                null));
            assertInstanceOf(ControlResponse.RuleAdded.class, added, added::toString);
            final Set<String> joined = new TreeSet<>();
            for (final String line : relay.net.relay.execOrThrow("ip", "maddr", "show", "dev", "in0").stdout()
                .split("\n")) {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length >= 2 && fields[0].equals("inet")) {
                    joined.add(fields[1]);
                }
            }
            System.out.println("[broken] joins: in0 holds " + joined);
            assertFalse(joined.contains("239.7.7.7"), "the memberships suite's check fails: " + joined);
            assertEquals("active", ((ControlResponse.Rules) relay.client.exchange(
                new io.mcrelay.control.ControlRequest.ListRules(relay.client.nextRequestId()))).rules().getFirst()
                .state(), "the supervisor believes it joined");
        }
    }

    /**
     * The supervisor-kill suite's recovery broken: a supervisor killed with -9 and restarted on a journal it cannot read
     * back comes back without its rule (the suite's "rules intact" does not hold): no rule, none counted.
     */
    @Test
    void aSupervisorRestartedOnAJournalItCannotReadBackHasNoRule() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "restore", "--break", "restore")) {
            relay.killAndRestart();
            final ControlResponse answer = relay.client.exchange(new ControlRequest.ListRules(
                relay.client.nextRequestId()));
            final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, answer,
                answer::toString);
            final ControlResponse.StatsReport stats = relay.stats();
            System.out.println("[broken] restore: rules after the restart " + rules.rules() + "; stats " + stats);
            assertEquals(List.of(), rules.rules(), "no rule recovered");
            assertEquals(List.of(), stats.rules(), "no rule counted");
            assertTrue(DaemonKit.read(relay.log).contains("(0 rules recovered, epoch 0)"),
                () -> DaemonKit.read(relay.log));
        }
    }

    /**
     * The journal-full suite's recovery broken: once the journal refused an entry it refuses every later one, so when
     * space comes back (the journal below takes entries again and logs so) rule changes are still refused and ping
     * still says full: what the suite waits for ("the journal ok again", the add accepted) does not come.
     */
    @Test
    void aJournalThatStaysRefusedAfterSpaceComesBackKeepsRefusingRuleChanges() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaultyOnJournalDisk(PREFIX, "space", JournalFullNetnsIT.DISK_BYTES,
            "--break", "space")) {
            final java.nio.file.Path ballast = relay.journalDir().resolve("ballast");
            JournalFullNetnsIT.fill(relay.journalDir(), ballast, 256 << 10);
            Waits.until(Waits.Pace.DAEMON, "the journal full", () -> JournalFullNetnsIT.journalState(relay),
                state -> state.state().equals("full"), () -> DaemonKit.read(relay.log));
            java.nio.file.Files.delete(ballast); // space comes back
            Waits.until(Waits.Pace.DAEMON, "the journal below taking entries again", () -> DaemonKit.read(relay.log),
                log -> log.contains("takes entries again: a gap entry marks"), () -> DaemonKit.read(relay.log));
            final ControlResponse.JournalState state = JournalFullNetnsIT.journalState(relay);
            final ControlResponse refused = relay.add(new RuleDocument("r2", null, "in0", "239.7.7.9",
                TrafficRelay.PORT_IN, null, List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT,
                    TrafficRelay.PORT_OUT + 5, "out0", null)), null));
            System.out.println("[broken] space: journal " + state + " after space came back; add: " + refused);
            assertEquals("full", state.state(), state::toString);
            assertTrue(refused instanceof ControlResponse.Refused r && r.code().equals("unavailable"),
                refused::toString);
        }
    }
}
