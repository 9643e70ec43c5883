package io.mcrelay.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.Main;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.journal.NewerJournal;
import io.mcrelay.linux.packetio.PacketBackend;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.runtime.PeerLimits;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;

/**
 * {@code mcrelay supervisor}'s argument handling through the real CLI entry point: the command is found through
 * its provider; bad or unimplemented options are usage errors (exit 2) naming the option, before anything starts;
 * a start that fails (the control socket held by a live server, a journal a newer mcrelay wrote, an unknown
 * {@code --socket-group}) is one line and exit 1.
 */
class SupervisorCommandTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private Run supervisor(final String... more) {
        final String[] args = new String[more.length + 5];
        args[0] = "supervisor";
        args[1] = "--socket";
        args[2] = dir.resolve("control.sock").toString();
        args[3] = "--journal";
        args[4] = dir.resolve("journal").toString();
        System.arraycopy(more, 0, args, 5, more.length);
        return run(args);
    }

    private void assertUsageError(final Run run, final String option) {
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains(option), () -> "names " + option + ": " + run);
        assertTrue(run.err().contains("Usage: mcrelay supervisor"), () -> "prints the usage: " + run);
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
        assertFalse(Files.exists(dir.resolve("journal")), "nothing started");
    }

    @Test
    void helpListsEveryOptionOfTheContractAndTheExitCodes() {
        final Run run = run("supervisor", "--help");
        assertEquals(0, run.exitCode(), run::toString);
        for (final String option : new String[] {"--config", "--socket", "--workers", "--user", "--journal",
            "--backend", "--ring-size", "--log-level", "--log-json", "--metrics", "/run/mcrelay/control.sock",
            "--socket-group", "--control-idle-timeout",
            SupervisorCommand.DEFAULT_JOURNAL, "auto|io_uring|epoll", "Exit codes:"}) {
            assertTrue(run.out().contains(option), () -> option + " in: " + run.out());
        }
    }

    /** The help states the control socket's limits as the code has them (whitespace aside: the help wraps). */
    @Test
    void helpStatesTheControlSocketsLimitsAsTheCodeHasThem() {
        final String help = run("supervisor", "--help").out().replaceAll("\\s+", " ");
        final UnixControlServer.Config control = UnixControlServer.Config.DEFAULTS;
        final PeerLimits.Config peers = control.peers();
        final String limits = "Users other than root hold at most " + peers.connectionsPerUserMax()
            + " control connections each and " + peers.connectionsMax() + " in all, and "
            + (peers.heldBytesPerUserMax() >> 20) + " MiB of unfinished requests and unread answers each, "
            + (peers.heldBytesMax() >> 20) + " MiB in all; a connection over a limit is told why and closed, and a "
            + "WARN line (at most one per limit every " + UnixControlServer.LIMIT_LOG_INTERVAL_NS / 1_000_000_000L
            + " s) says so.";
        assertTrue(help.contains(limits), () -> limits + "\nin: " + help);
        assertTrue(help.contains("(default: " + control.idleTimeoutNs() / 1_000_000_000L + "; a whole number from 1 "
            + "to " + SupervisorCommand.CONTROL_IDLE_TIMEOUT_SECONDS_MAX + ")"), help);
    }

    @Test
    void theTopLevelHelpListsTheCommand() {
        final Run run = run("--help");
        assertTrue(run.out().contains("supervisor"), run::toString);
    }

    @Test
    void aRingSizeThatIsNoSizeOrOutOfRangeIsAUsageErrorNamingIt() {
        final Run noSize = supervisor("--ring-size", "lots");
        assertUsageError(noSize, "--ring-size");
        assertTrue(noSize.err().contains("'lots' is not a size"), noSize::toString);
        final Run tooSmall = supervisor("--ring-size", "1k");
        assertUsageError(tooSmall, "--ring-size");
        assertTrue(tooSmall.err().contains("256 KiB to 1 GiB"), tooSmall::toString);
    }

    @Test
    void zeroWorkersIsAUsageError() {
        assertUsageError(supervisor("--workers", "0"), "--workers");
    }

    @Test
    void tooManyWorkersIsAUsageError() {
        assertUsageError(supervisor("--workers", "1025"), "--workers");
    }

    @Test
    void aWorkerCountThatIsNoNumberIsAUsageError() {
        assertUsageError(supervisor("--workers", "many"), "--workers");
    }

    @Test
    void anUnknownBackendIsAUsageError() {
        final Run run = supervisor("--backend", "dpdk");
        assertUsageError(run, "--backend");
        assertTrue(run.err().contains("dpdk"), run::toString);
    }

    /**
     * {@code --check} names the backend the workers would run and why: {@code auto} takes io_uring here, epoll when
     * forced; io_uring forced is ok here too. Starts nothing.
     */
    @Test
    void checkNamesTheBackendAndWhy() {
        assertTrue(supervisor("--check", "--workers", "1").out().contains(
            "ok       packet backend: io_uring (auto: io_uring set up and has every operation needed)"));
        assertTrue(supervisor("--check", "--workers", "1", "--backend", "epoll").out().contains(
            "ok       packet backend: epoll (forced by backend=epoll)"));
        assertTrue(supervisor("--check", "--workers", "1", "--backend", "io_uring").out().contains(
            "ok       packet backend: io_uring (forced by backend=io_uring)"));
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
    }

    /**
     * {@code --check} names the interfaces of the {@code --config} file's rules that do not exist here (their rules
     * would wait), and the kernel's version.
     */
    @Test
    void checkNamesTheInterfacesTheConfigNamesThatDoNotExistAndTheKernel() throws java.io.IOException {
        final Path config = Files.writeString(dir.resolve("rules.conf"), """
            {"rules": [{"id": "a", "input_interface": "lo", "input_group": "239.1.1.1", "input_port": 5000,
              "outputs": [{"group": "239.2.2.2", "port": 6000, "interface": "mcr-none9"}]}]}
            """);
        final Run run = supervisor("--check", "--workers", "1", "--config", config.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.out().contains("ok       config: " + config + " is valid"), run::toString);
        assertTrue(run.out().contains("missing  interfaces: mcr-none9 does not exist in this network namespace (its "
            + "rules would wait for it)"), run::toString);
        assertTrue(run.out().contains("ok       kernel: Linux "), run::toString);
        final Path present = Files.writeString(dir.resolve("present.conf"), """
            {"rules": [{"id": "a", "input_interface": "lo", "input_group": "239.1.1.1", "input_port": 5000,
              "outputs": [{"group": "239.2.2.2", "port": 6000, "interface": "lo"}]}]}
            """);
        assertTrue(supervisor("--check", "--workers", "1", "--config", present.toString()).out()
            .contains("ok       interfaces: lo exists"));
        assertFalse(Files.exists(dir.resolve("journal")), "nothing created");
    }

    /**
     * {@code --check} reports each check on a line, ok or missing with why, and exits 0 exactly when nothing is missing;
     * it starts nothing: no socket, no journal. As another user than root without capabilities, they are missing.
     */
    @Test
    void checkReportsEachCheckAndStartsNothing() {
        final Run run = supervisor("--check", "--workers", "1");
        final java.util.List<String> lines = run.out().lines().toList();
        assertTrue(lines.size() >= 8, run::toString);
        final java.util.List<String> checks = lines.subList(0, lines.size() - 1);
        assertTrue(checks.stream().allMatch(line -> line.startsWith("ok       ") || line.startsWith("missing  ")),
            run::toString);
        final long missing = checks.stream().filter(line -> line.startsWith("missing")).count();
        assertEquals(missing == 0 ? 0 : 1, run.exitCode(), run::toString);
        assertEquals(missing == 0 ? "the daemon would start" : missing + (missing == 1 ? " thing" : " things")
            + " missing: the daemon would not start", lines.getLast());
        assertEquals(io.mcrelay.linux.sys.Processes.effectiveUid() != 0,
            checks.stream().anyMatch(line -> line.startsWith("missing  capabilities: ")), run::toString);
        assertTrue(checks.contains("ok       control socket: " + dir.resolve("control.sock") + " is free"),
            run::toString);
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
        assertFalse(Files.exists(dir.resolve("journal")), "nothing created");

        final Run noUser = supervisor("--check", "--workers", "1", "--user", "no-such-user-here");
        assertEquals(1, noUser.exitCode(), noUser::toString);
        assertTrue(noUser.out().contains("missing  worker user: worker user 'no-such-user-here' does not exist"),
            noUser::toString);
    }

    @Test
    void aBadMetricsAddressIsAUsageErrorAndOutputsNeedMetrics() {
        for (final String bad : new String[] {"9100", "127.0.0.1:", ":9100", "127.0.0.1:70000", "localhost:x"}) {
            final Run run = supervisor("--metrics", bad);
            assertUsageError(run, "--metrics must be ADDR:PORT");
        }
        assertUsageError(supervisor("--metrics-outputs"), "--metrics-outputs needs --metrics ADDR:PORT");
    }

    @Test
    void anUnknownLogLevelIsAUsageError() {
        assertUsageError(supervisor("--log-level", "LOUD"), "--log-level");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertUsageError(supervisor("--frobnicate"), "--frobnicate");
    }

    @Test
    void anIdleTimeoutThatIsNoWholeNumberOfSecondsFromOneToADayIsAUsageErrorNamingIt() {
        for (final String bad : new String[] {"0", "-5", "1.5", "ten", "", "86401", "99999999999"}) {
            final Run run = supervisor("--control-idle-timeout", bad);
            assertUsageError(run, "--control-idle-timeout");
            assertTrue(run.err().contains("--control-idle-timeout must be a whole number of seconds from 1 to 86400, "
                + "not '" + bad + "'"), run::toString);
        }
    }

    @Test
    void anUnknownSocketGroupStopsTheStartWithOneLineAndExitOneBeforeAnythingIsCreated() {
        final Run run = supervisor("--workers", "1", "--socket-group", "no-such-group-mcrelay");
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("mcrelay supervisor: cannot start: --socket-group no-such-group-mcrelay: no group named "
            + "\"no-such-group-mcrelay\" in the group database (getent group no-such-group-mcrelay finds none)",
            run.err().strip());
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
        assertFalse(Files.exists(dir.resolve("journal")), "nothing started");
    }

    @Test
    void aConfigFileThatDoesNotParseStopsTheStartWithExitOne() throws Exception {
        final Path config = dir.resolve("rules.json");
        Files.writeString(config, "{ \"rules\": [ { \"id\": 7 } ] }");
        final Run run = supervisor("--config", config.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("mcrelay supervisor: --config " + config + " is not valid"), run::toString);
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
    }

    @Test
    void aSocketHeldByALiveServerStopsTheStartWithOneLineAndExitOne() {
        final Path socket = dir.resolve("control.sock");
        try (UnixControlServer live = UnixControlServer.open(socket, SystemClock.INSTANCE)) {
            final Run run = supervisor("--workers", "1");
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("mcrelay supervisor: cannot start: "), run::toString);
            assertEquals(1, run.err().strip().lines().count(), () -> "one line: " + run.err());
            if (Processes.effectiveUid() == 0) {
                assertTrue(run.err().contains(socket.toString()), () -> "names the socket: " + run.err());
            } else {
                assertTrue(run.err().contains("lacks CAP_NET_RAW"), run::toString);
            }
            assertTrue(Files.exists(socket), "the live server's socket is left alone");
        }
    }

    /**
     * A journal a newer mcrelay wrote: the daemon does not start (exit 1, one line naming both schema versions) and
     * leaves every file of the journal as it was, byte for byte, so that the newer mcrelay can still use it.
     */
    @Test
    void aJournalOfANewerSchemaVersionStopsTheStartWithExitOneAndIsLeftAsItWas() throws Exception {
        final Path journal = NewerJournal.write(dir.resolve("journal"), JournalSchema.VERSION + 1);
        final java.util.Map<String, String> before = files(journal);
        final Run run = supervisor("--workers", "1");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("mcrelay supervisor: cannot start: "), run::toString);
        assertEquals(1, run.err().strip().lines().count(), () -> "one line: " + run.err());
        if (Processes.effectiveUid() == 0 && PacketBackend.probeIoUring().usable()) {
            // The start reaches the journal only as root with io_uring; before that it stops for their lack.
            assertTrue(run.err().contains("schema version " + (JournalSchema.VERSION + 1))
                && run.err().contains("schema version " + JournalSchema.VERSION + ";"), run::toString);
            assertTrue(run.err().contains(journal.toString()), () -> "names the journal: " + run.err());
        }
        assertEquals(before, files(journal), "no file of the journal changed");
        assertFalse(Files.exists(dir.resolve("control.sock")), "nothing started");
    }

    /** Every file under {@code root}: its length, modification time and contents' hash. */
    private static java.util.Map<String, String> files(final Path root) throws java.io.IOException {
        final java.util.Map<String, String> files = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (final Path path : walk.toList()) {
                files.put(root.relativize(path).toString(), Files.isRegularFile(path) ? Files.size(path) + " bytes, "
                    + Files.getLastModifiedTime(path) + ", " + java.util.Arrays.hashCode(Files.readAllBytes(path))
                    : "directory");
            }
        }
        return files;
    }
}
