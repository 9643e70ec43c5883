package io.mcrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.spi.ExitCodes;

/**
 * The client commands' side that needs no daemon: bad arguments are usage errors (exit 2) found before any
 * connection, naming the argument; no daemon is exit 3 naming the socket; every command explains itself with
 * {@code --help}. The commands' conversations with a real supervisor are {@code CliCommandsSupervisorTest} (sim).
 */
class ClientCommandsTest {
    private static final List<List<String>> COMMANDS = List.of(List.of("add"), List.of("remove"), List.of("list"),
        List.of("stats"), List.of("workers"), List.of("ping"), List.of("sync"), List.of("log-level", "get"),
        List.of("log-level", "set"), List.of("trace", "enable"), List.of("trace", "disable"), List.of("trace", "show"),
        List.of("config", "check"), List.of("config", "load"), List.of("version"));

    @TempDir
    Path dir;

    private static CliRun run(final String... args) {
        return CliRun.of(args);
    }

    private static String[] add(final String... outputs) {
        final List<String> args = new ArrayList<>(List.of("add",
            "--input-interface", "eth0", "--input-group", "239.1.1.1", "--input-port", "5000"));
        for (final String output : outputs) {
            args.add("--output");
            args.add(output);
        }
        return args.toArray(String[]::new);
    }

    /** Runs {@code args} with a listening socket and checks that nobody connected to it. */
    private CliRun runWithoutConnecting(final String... args) throws IOException {
        final Path socket = dir.resolve("listening.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            final List<String> withSocket = new ArrayList<>(Arrays.asList(args));
            withSocket.add("--socket");
            withSocket.add(socket.toString());
            final CliRun run = run(withSocket.toArray(String[]::new));
            server.configureBlocking(false);
            assertNull(server.accept(), "the command connected before checking its arguments");
            return run;
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void aBadOutputIsAUsageErrorNamingTheArgumentBeforeAnyConnection() throws IOException {
        final CliRun notAPort = runWithoutConnecting(add("239.10.0.1:5000:eth1",
            "239.1.1.1:notaport:eth0"));
        assertEquals(ExitCodes.USAGE, notAPort.exitCode(), notAPort::toString);
        assertTrue(notAPort.err().startsWith("invalid --output \"239.1.1.1:notaport:eth0\": outputs[1].port: "),
            notAPort::toString);
        assertTrue(notAPort.err().contains("Usage: mcrelay add"), notAPort::toString);
        assertEquals("", notAPort.out());

        final CliRun notAnOutput = runWithoutConnecting(add("239.10.0.1-5000"));
        assertEquals(ExitCodes.USAGE, notAnOutput.exitCode(), notAnOutput::toString);
        assertTrue(notAnOutput.err().startsWith("invalid --output: \"239.10.0.1-5000\" is not an output: expected "
            + "GROUP:PORT:INTERFACE[:TTL]"), notAnOutput::toString);
    }

    @Test
    void badInputFieldsAreUsageErrorsNamingTheirOptions() throws IOException {
        final CliRun run = runWithoutConnecting("add", "--input-interface", "eth0", "--input-group", "239.1.1.300",
            "--input-port", "70000", "--output", "239.10.0.1:5000:eth1", "--id", "bad id!");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run::toString);
        final List<String> lines = run.err().lines().limit(3).toList();
        assertTrue(lines.get(0).startsWith("invalid --id: id: "), run::toString);
        assertTrue(lines.get(1).startsWith("invalid --input-group: input_group: "), run::toString);
        assertTrue(lines.get(2).startsWith("invalid --input-port: input_port: "), run::toString);

        final CliRun badId = runWithoutConnecting("remove", "bad id!");
        assertEquals(ExitCodes.USAGE, badId.exitCode(), badId::toString);
        assertTrue(badId.err().startsWith("invalid ID: "), badId::toString);
        final CliRun badTraceId = runWithoutConnecting("trace", "show", "");
        assertEquals(ExitCodes.USAGE, badTraceId.exitCode(), badTraceId::toString);
    }

    @Test
    void withoutADaemonEveryClientCommandExitsThreeNamingTheSocket() throws IOException {
        final Path absent = dir.resolve("absent.sock");
        final Path config = Files.writeString(dir.resolve("c.json"), "{\"rules\": []}");
        final List<String> addArgs = new ArrayList<>(List.of(add("239.10.0.1:5000:eth1")));
        addArgs.addAll(List.of("--socket", absent.toString()));
        final List<String[]> invocations = List.of(addArgs.toArray(String[]::new),
            new String[] {"remove", "cam-1", "--socket", absent.toString()},
            new String[] {"list", "--json", "--socket", absent.toString()},
            new String[] {"stats", "--socket", absent.toString()},
            new String[] {"workers", "--socket", absent.toString()},
            new String[] {"ping", "--socket", absent.toString()},
            new String[] {"sync", "--socket", absent.toString()},
            new String[] {"log-level", "set", "DEBUG", "--socket", absent.toString()},
            new String[] {"trace", "enable", "cam-1", "--socket", absent.toString()},
            new String[] {"config", "load", config.toString(), "--socket", absent.toString()});
        for (final String[] args : invocations) {
            final CliRun run = run(args);
            assertEquals(ExitCodes.UNREACHABLE, run.exitCode(), () -> String.join(" ", args) + ": " + run);
            assertEquals("mcrelay: no daemon: nothing at " + absent + " (start one with 'mcrelay supervisor', or "
                + "pass --socket / set MCRELAY_SOCKET)\n", run.err(), () -> String.join(" ", args));
            assertEquals("", run.out());
        }
    }

    @Test
    void aSocketFileNobodyListensOnIsExitThreeNamingIt() throws IOException {
        final Path stale = Files.createFile(dir.resolve("stale.sock"));
        final CliRun run = run("ping", "--socket", stale.toString());
        assertEquals(ExitCodes.UNREACHABLE, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("mcrelay: cannot connect to " + stale + ": "), run::toString);
    }

    @Test
    void usageErrorsExitTwoWithTheUsageOnStderr() {
        final CliRun unknown = run("list", "--jsn");
        assertEquals(ExitCodes.USAGE, unknown.exitCode(), unknown::toString);
        assertEquals("Unknown option: '--jsn'\nPossible solutions: --json\n", unknown.err());
        assertEquals("", unknown.out());

        final CliRun noOutput = run("add", "--input-interface", "eth0", "--input-group", "239.1.1.1",
            "--input-port", "5000");
        assertEquals(ExitCodes.USAGE, noOutput.exitCode(), noOutput::toString);
        assertTrue(noOutput.err().startsWith("Missing required option: '--output=G:P:IF[:TTL]'"), noOutput::toString);
        assertTrue(noOutput.err().contains("Usage: mcrelay add"), noOutput::toString);

        for (final String parent : List.of("log-level", "trace", "config")) {
            final CliRun bare = run(parent);
            assertEquals(ExitCodes.USAGE, bare.exitCode(), bare::toString);
            assertTrue(bare.err().contains("Usage: mcrelay " + parent), bare::toString);
        }
        final CliRun noLevel = run("log-level", "set");
        assertEquals(ExitCodes.USAGE, noLevel.exitCode(), noLevel::toString);
        assertTrue(noLevel.err().startsWith("Missing required parameter: 'LEVEL'"), noLevel::toString);
        final CliRun timeout = run("ping", "--timeout-ms", "0");
        assertEquals(ExitCodes.USAGE, timeout.exitCode(), timeout::toString);
        assertTrue(timeout.err().startsWith("--timeout-ms must be positive: 0"), timeout::toString);
    }

    @Test
    void aWatchIntervalOutsideItsRangeIsAUsageErrorBeforeAnyConnection() throws IOException {
        for (final String interval : List.of("0", "61", "-1")) {
            final CliRun run = runWithoutConnecting("stats", "--watch", "--interval", interval);
            assertEquals(ExitCodes.USAGE, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("--interval must be 0.1 to 60 seconds"), run::toString);
        }
    }

    /**
     * {@code config check} needs no daemon: a valid file is exit 0 and says it was checked here; an invalid one is
     * exit 1 with every error positioned; neither connects when the file is invalid.
     */
    @Test
    void configCheckWorksWithoutADaemon() throws IOException {
        final Path good = dir.resolve("good.json");
        Files.writeString(good, """
            {"rules": [{"id": "cam-1", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
                        "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]}]}
            """);
        final Path socket = dir.resolve("nobody.sock");
        final CliRun valid = run("config", "check", good.toString(), "--socket", socket.toString());
        assertEquals(ExitCodes.OK, valid.exitCode(), valid::toString);
        assertEquals(good + ": valid, 1 rule (checked here: no daemon answers at " + socket + ", so what a load "
            + "would change is not shown)\n", valid.out());
        assertEquals("", valid.err());

        final Path bad = dir.resolve("bad.json");
        Files.writeString(bad, """
            {"rules": [{"id": "cam-1", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": "x",
                        "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]}]}
            """);
        final CliRun invalid = runWithoutConnecting("config", "check", bad.toString());
        assertEquals(ExitCodes.FAILED, invalid.exitCode(), invalid::toString);
        assertEquals("", invalid.out());
        assertTrue(invalid.err().matches("mcrelay: " + java.util.regex.Pattern.quote(bad.toString())
            + ":1:\\d+: rules\\[0]\\.input_port: .*\n"), invalid::toString);
    }

    @Test
    void everyClientCommandExplainsItselfWithHelp() {
        for (final List<String> command : COMMANDS) {
            final List<String> args = new ArrayList<>(command);
            args.add("--help");
            final CliRun run = run(args.toArray(String[]::new));
            final String name = String.join(" ", command);
            assertEquals(0, run.exitCode(), () -> name + ": " + run);
            assertTrue(run.out().startsWith("Usage: mcrelay " + name), () -> name + ": " + run.out());
            assertTrue(run.out().contains("--socket=PATH"), () -> name + ": " + run.out());
            assertTrue(run.out().contains("--timeout-ms=MS"), () -> name + ": " + run.out());
        }
        for (final String parent : List.of("log-level", "trace", "config")) {
            final CliRun run = run(parent, "--help");
            assertEquals(0, run.exitCode(), () -> parent + ": " + run);
            assertTrue(run.out().startsWith("Usage: mcrelay " + parent), run::toString);
        }
        final String top = run("--help").out();
        for (final String name : List.of("add", "remove", "list", "stats", "workers", "ping", "sync", "log-level",
            "trace", "config", "version")) {
            assertTrue(top.contains("\n  " + name + " "), () -> name + " missing from:\n" + top);
        }
    }

    @Test
    void progressIsDrawnOnlyOnATerminalOutsideCi() {
        assertFalse(Progress.interactive("true", System.console()));
        assertFalse(Progress.interactive(null, null));
    }
}
