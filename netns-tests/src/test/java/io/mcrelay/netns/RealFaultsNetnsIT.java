package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.traffic.HistoryChecker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real daemon (one worker, the shipped jar) under faults made by the kernel's own means while the product's
 * generator sends 20,000 numbered packets a second through it: a worker killed with SIGKILL, a worker stopped with
 * SIGSTOP past its heartbeat deadline, the input link taken down and up, and the supervisor killed with SIGKILL and
 * started again on its journal (its worker must die with it). Each fault's window starts when it is
 * made (and {@code TrafficRelay.IN_FLIGHT_NS} before, for what is inside the relay then) and ends on an event the
 * daemon shows (a worker for the slot ready again, the rule active again), once the input's ring stopped overflowing
 * with what came during the fault; the history
 * checker then judges every packet sent outside the window strictly (none lost, none corrupt, none to another flow),
 * and reports how long after the window forwarding was complete. A worker killed in the middle of a ring block may
 * leave that block unreleased, and its replacement forwards it again: at most one block's frames of duplicates per
 * kill (counted, and reordered no more than duplicated). After each fault the rule is intact and active, and the
 * journal the daemon wrote through it (both lives, for the supervisor's kill) replays identically.
 */
class RealFaultsNetnsIT {
    private static final String PREFIX = "mcrf";
    private static final int PACKETS = 120_000;
    /** A supervisor's restart (a JVM, the journal's recovery, a worker, the ring's backlog) takes 3-4 s here: 12 s. */
    private static final int PACKETS_ACROSS_A_RESTART = 240_000;
    private static final int RATE = 20_000;
    private static final int SIZE = 1200;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void aWorkerKilledUnderTrafficIsReplacedAndForwardingResumesWithAtMostABlockOfDuplicates() throws Exception {
        final Signalled killed = signalTheWorkerUnderTraffic("kill", "-KILL");
        assertEquals(killed.before().restarts() + killed.faults(), killed.after().restarts(), killed::toString);
    }

    @Tag("full")
    @Test
    void aWorkerStoppedPastItsHeartbeatDeadlineIsReplacedAndForwardingResumes() throws Exception {
        final Signalled stopped = signalTheWorkerUnderTraffic("stop", "-STOP");
        assertEquals("no_heartbeat", stopped.after().lastRestartReason(), stopped::toString);
    }

    /**
     * {@code kill SIGNAL} to the worker under traffic: judged outside the window, at most one ring block of
     * duplicates, the worker replaced, the rule active, the journal replayable.
     */
    private static Signalled signalTheWorkerUnderTraffic(final String name, final String signal)
        throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, name)) {
            final ControlResponse.WorkerInfo before = relay.workers().getFirst();
            final long framesPerBlock = framesPerBlock(before.pid());
            final List<TrafficRelay.Window> windows = new ArrayList<>();
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.sendWithFault(PACKETS, RATE, SIZE,
                new WorkerSignal("kill " + signal + " of the worker", signal), windows));
            final HistoryChecker.Report report = run.report();
            final ControlResponse.StatsReport stats = relay.settledStats();
            System.out.println("[faults] kill " + signal + ": " + report.describe() + "\n[faults] drops counted: "
                + stats.drops() + ", per rule " + stats.rules().getFirst().drops());
            assertCleanOutsideTheWindow(report);
            assertTrue(report.duplicates() <= framesPerBlock, () -> "at most one ring block (" + framesPerBlock
                + " frames) forwarded again per kill: " + report.describe());
            assertTrue(report.reordered() <= report.duplicates(), report::describe);
            final ControlResponse.WorkerInfo after = relay.workers().getFirst();
            assertNotEquals(before.pid(), after.pid(), after::toString);
            assertRuleActive(relay);
            relay.stopAndReplayJournal();
            return new Signalled(before, after, windows.size()); // a fault per run (an inconclusive one is repeated)
        }
    }

    @Tag("full")
    @Test
    void theInputLinkDownAndUpLosesOnlyWhatCameWhileItWasDown() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "flap")) {
            final long restartsBefore = relay.workers().getFirst().restarts();
            final List<TrafficRelay.Window> windows = new ArrayList<>();
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.sendWithFault(PACKETS, RATE, SIZE,
                new LinkFlap(relay), windows));
            final HistoryChecker.Report report = run.report();
            System.out.println("[faults] link down/up: " + report.describe());
            assertCleanOutsideTheWindow(report);
            assertEquals(0, report.duplicates(), report::describe);
            assertEquals(0, report.reordered(), report::describe);
            assertEquals(restartsBefore, relay.workers().getFirst().restarts(), "a link flap restarts no worker");
            assertRuleActive(relay);
            DropAccountingNetnsIT.assertIdentities(relay.settledStats());
            relay.stopAndReplayJournal();
        }
    }

    /**
     * The input veth pair deleted under traffic (the rule waits for its interface) and made again with the same
     * name, a new index: the daemon opens the new interface's input and joins again; only what came while there was
     * no interface, and while it came back, is lost.
     */
    @Tag("full")
    @Test
    void theInputVethDeletedAndMadeAgainUnderTrafficIsTakenUpAgain() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "veth")) {
            relay.sendThroughSourceBridge();
            final long restartsBefore = relay.workers().getFirst().restarts();
            final List<TrafficRelay.Window> windows = new ArrayList<>();
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.sendWithFault(PACKETS, RATE, SIZE,
                new TrafficRelay.Fault() {
                    private boolean gone;

                    @Override
                    public String name() {
                        return "in0 deleted and made again";
                    }

                    @Override
                    public void inject(final ControlClient control) throws Exception {
                        relay.net.relay.execOrThrow("ip", "link", "del", "in0");
                        gone = true;
                        Waits.until(Waits.Pace.DAEMON, "the rule waiting for its interface",
                            () -> LinkFlap.ruleState(control), "waiting"::equals);
                        relay.recreateInputVeth();
                        gone = false;
                    }

                    @Override
                    public void awaitRecovery(final ControlClient control) throws Exception {
                        Waits.until(Waits.Pace.DAEMON, "the rule active again", () -> LinkFlap.ruleState(control),
                            "active"::equals);
                        Waits.until(Waits.Pace.DAEMON, "the worker ready",
                            () -> DaemonKit.workers(control).getFirst().state(), "ready"::equals);
                    }

                    @Override
                    public void cleanUp() {
                        if (gone) {
                            relay.recreateInputVeth();
                        }
                    }
                }, windows));
            final HistoryChecker.Report report = run.report();
            System.out.println("[faults] veth deleted and made again: " + report.describe());
            assertCleanOutsideTheWindow(report);
            assertEquals(0, report.duplicates(), report::describe);
            assertEquals(0, report.reordered(), report::describe);
            assertEquals(restartsBefore, relay.workers().getFirst().restarts(), "a re-made interface restarts no "
                + "worker");
            assertRuleActive(relay);
            relay.stopAndReplayJournal();
        }
    }

    @Tag("full")
    @Test
    void theSupervisorKilledUnderTrafficTakesItsWorkersWithItAndARestartOnItsJournalForwardsAgain() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "supervisor")) {
            final long workerBefore = relay.workers().getFirst().pid();
            final List<TrafficRelay.Window> windows = new ArrayList<>();
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.sendWithFault(PACKETS_ACROSS_A_RESTART,
                RATE, SIZE, new TrafficRelay.Fault() {
                    @Override
                    public String name() {
                        return "kill -9 of the supervisor, then a restart on its journal";
                    }

                    @Override
                    public void inject(final ControlClient control) throws Exception {
                        relay.killAndRestart(); // returns once the new daemon's worker is ready
                    }

                    @Override
                    public void awaitRecovery(final ControlClient control) {
                        // killAndRestart waited for the new daemon's worker; the new daemon opened the input's ring
                        // at its start, seconds before that, and the run waits for its backlog to drain
                    }
                }, windows));
            final HistoryChecker.Report report = run.report();
            System.out.println("[faults] supervisor kill -9: " + report.describe());
            assertCleanOutsideTheWindow(report);
            assertEquals(0, report.duplicates(), report::describe);
            assertEquals(0, report.reordered(), report::describe);
            assertNotEquals(workerBefore, relay.workers().getFirst().pid(), "the worker is the new daemon's");
            assertRuleActive(relay); // restored from the journal
            // The killed daemon could not remove its workers' runtime directory: the restarted one did, at its start.
            try (java.util.stream.Stream<java.nio.file.Path> entries = java.nio.file.Files.list(relay.dir)) {
                final List<String> runtimes = entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.startsWith("mcrelay-")).toList();
                assertEquals(1, runtimes.size(), () -> "one runtime directory, the live daemon's: " + runtimes);
                assertTrue(runtimes.getFirst().startsWith("mcrelay-" + relay.daemon.pid() + "-"),
                    () -> runtimes + " belongs to pid " + relay.daemon.pid());
            }
            relay.stopAndReplayJournal(); // both lives
        }
    }

    /** The worker before and after, and how many times it was signalled (once per run). */
    private record Signalled(ControlResponse.WorkerInfo before, ControlResponse.WorkerInfo after, int faults) {
    }

    /** Nothing lost, corrupt or misdelivered outside the fault's window, and forwarding complete after it. */
    private static void assertCleanOutsideTheWindow(final HistoryChecker.Report report) {
        assertEquals(0, report.lostOutsideWindows(), report::describe);
        assertEquals(0, report.leaks() + report.corrupt(), report::describe);
        assertEquals(1, report.windows().size(), report::describe);
        final HistoryChecker.WindowRecovery recovery = report.windows().getFirst();
        assertNotEquals(HistoryChecker.NEVER, recovery.recoveryNs(), report::describe);
        System.out.println("[faults] " + recovery.window().name() + ": " + recovery.lostInside()
            + " lost inside the window; forwarding complete " + recovery.recoveryNs() / 1_000_000
            + " ms after it");
    }

    private static void assertRuleActive(final TrafficRelay relay) throws Exception {
        final ControlResponse answer = relay.client.exchange(new ControlRequest.ListRules(
            relay.client.nextRequestId()));
        final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, answer, answer::toString);
        assertEquals(1, rules.rules().size(), rules::toString);
        assertEquals("r1", rules.rules().getFirst().id());
        assertEquals("active", rules.rules().getFirst().state(), rules::toString);
    }

    /**
     * The frames one receive block of the worker holds at most: its block size ({@code --ring=BYTESxBLOCKS} on its
     * command line) over the smallest room one frame of this run takes (its Ethernet, IP and UDP headers and payload;
     * the ring's own per-frame header makes it larger still).
     */
    private static long framesPerBlock(final long workerPid) throws Exception {
        final String commandLine = new String(Files.readAllBytes(Path.of("/proc/" + workerPid + "/cmdline")),
            StandardCharsets.UTF_8).replace('\0', ' ');
        final Matcher ring = Pattern.compile("--ring=(\\d+)x(\\d+)").matcher(commandLine);
        assertTrue(ring.find(), () -> "the worker's command line names its ring: " + commandLine);
        return Long.parseLong(ring.group(1)) / (14 + 20 + 8 + SIZE);
    }

    /** A signal to the worker of slot 0; the window ends when a worker with another pid is ready in the slot. */
    private static final class WorkerSignal implements TrafficRelay.Fault {
        private final String name;
        private final String signal;
        private long pid;

        WorkerSignal(final String name, final String signal) {
            this.name = name;
            this.signal = signal;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void inject(final ControlClient control) throws Exception {
            pid = DaemonKit.workers(control).getFirst().pid();
            run("kill", signal, Long.toString(pid));
        }

        @Override
        public void awaitRecovery(final ControlClient control) throws Exception {
            Waits.until(Waits.Pace.DAEMON, "a new worker ready in slot 0 after " + name,
                () -> DaemonKit.workers(control).getFirst(),
                worker -> worker.pid() != pid && worker.state().equals("ready"));
        }

        @Override
        public void cleanUp() {
            if (signal.equals("-STOP")) {
                // The daemon killed it meanwhile (it is then gone) or it is still stopped: continue it either way.
                ProcessHandle.of(pid).ifPresent(process -> {
                    try {
                        new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
                    } catch (final java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }
    }

    /**
     * The relay's input link down, seen by the daemon (the rule {@code down}), then up; the window ends when the rule
     * is {@code active} again and the worker ready.
     */
    private static final class LinkFlap implements TrafficRelay.Fault {
        private final TrafficRelay relay;
        private boolean down;

        LinkFlap(final TrafficRelay relay) {
            this.relay = relay;
        }

        @Override
        public String name() {
            return "in0 down and up";
        }

        @Override
        public void inject(final ControlClient control) throws Exception {
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "down");
            down = true;
            Waits.until(Waits.Pace.DAEMON, "the rule down with its input", () -> ruleState(control), "down"::equals);
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "up");
            down = false;
        }

        @Override
        public void awaitRecovery(final ControlClient control) throws Exception {
            Waits.until(Waits.Pace.DAEMON, "the rule active again", () -> ruleState(control), "active"::equals);
            Waits.until(Waits.Pace.DAEMON, "the worker ready", () -> DaemonKit.workers(control).getFirst().state(),
                "ready"::equals);
        }

        @Override
        public void cleanUp() {
            if (down) {
                relay.net.relay.exec("ip", "link", "set", "in0", "up");
            }
        }

        static String ruleState(final ControlClient control) throws Exception {
            final ControlResponse answer = control.exchange(new ControlRequest.ListRules(control.nextRequestId()));
            return ((ControlResponse.Rules) answer).rules().getFirst().state();
        }
    }

    private static void run(final String... command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), () -> String.join(" ", command) + ": " + output);
    }
}
