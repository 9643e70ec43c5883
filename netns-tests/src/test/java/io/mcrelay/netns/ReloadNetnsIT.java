package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.traffic.HistoryChecker;

/**
 * SIGHUP reloads the daemon's {@code --config} file: under traffic on rule r1, a file that keeps r1, adds b and drops
 * c becomes the table in one epoch and r1 loses nothing, not even while the load happens; a broken file changes
 * nothing, is logged with its line and field, and the daemon keeps running. Without {@code --config}, SIGHUP is
 * logged and changes nothing (the JVM's default would have ended the daemon). The running table saved with
 * {@code config save} and loaded back changes nothing, not even the epoch.
 */
class ReloadNetnsIT {
    private static final String PREFIX = "mcrl";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static String rule(final String id, final String group, final int port, final int outPort) {
        return "{\"id\": \"" + id + "\", \"input_interface\": \"in0\", \"input_group\": \"" + group
            + "\", \"input_port\": " + port + ", \"outputs\": [{\"group\": \"" + TrafficRelay.GROUP_OUT
            + "\", \"port\": " + outPort + ", \"interface\": \"out0\"}]}";
    }

    private static void write(final Path file, final String... rules) throws Exception {
        Files.writeString(file, "{\n  // written by ReloadNetnsIT\n  \"rules\": [\n    " + String.join(",\n    ", rules)
            + "\n  ]\n}\n", StandardCharsets.UTF_8);
    }

    private static List<String> ids(final ControlClient client) throws Exception {
        final ControlResponse answer = client.exchange(new ControlRequest.ListRules(client.nextRequestId()));
        final List<String> ids = new ArrayList<>();
        for (final RuleDocument rule : ((ControlResponse.Rules) answer).rules()) {
            ids.add(rule.id());
        }
        return ids;
    }

    private static void hangUp(final TrafficRelay relay) throws Exception {
        final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(relay.daemon.pid()))
            .redirectErrorStream(true).start();
        assertEquals(0, kill.waitFor(), () -> new String(readAll(kill), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(final Process process) {
        try {
            return process.getInputStream().readAllBytes();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void sighupMakesTheTableTheFilesUnderTrafficLosingNothingAndABrokenFileChangesNothing() throws Exception {
        Netns.requireRoot();
        final Path dir = Files.createTempDirectory(Path.of("/tmp"), "mcrelay-reload-");
        final Path file = dir.resolve("rules.json");
        try {
            write(file, rule("r1", TrafficRelay.GROUP_IN, TrafficRelay.PORT_IN, TrafficRelay.PORT_OUT),
                rule("c", "239.7.9.1", 7000, TrafficRelay.PORT_OUT + 1));
            try (TrafficRelay relay = TrafficRelay.open(PREFIX, "reload", 1, "--config", file.toString())) {
                Waits.until(Waits.Pace.DAEMON, "the --config file loaded", () -> ids(relay.client),
                    List.of("c", "r1")::equals, () -> DaemonKit.read(relay.log));
                relay.awaitForwarding();

                write(file, rule("r1", TrafficRelay.GROUP_IN, TrafficRelay.PORT_IN, TrafficRelay.PORT_OUT),
                    rule("b", "239.7.9.2", 7000, TrafficRelay.PORT_OUT + 2));
                final List<TrafficRelay.Window> windows = new ArrayList<>();
                final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.sendWithFault(40_000, 10_000, 1_200,
                    new TrafficRelay.Fault() {
                        @Override
                        public String name() {
                            return "SIGHUP with b added and c removed";
                        }

                        @Override
                        public void inject(final ControlClient control) throws Exception {
                            hangUp(relay);
                        }

                        @Override
                        public void awaitRecovery(final ControlClient control) throws Exception {
                            Waits.until(Waits.Pace.DAEMON, "the table the file's", () -> ids(control),
                                List.of("b", "r1")::equals, () -> DaemonKit.read(relay.log));
                        }
                    }, windows));
                final HistoryChecker.Report report = run.report();
                System.out.println("[reload] " + report.describe());
                assertEquals(40_000, report.sent());
                assertTrue(report.clean(), report::describe);
                assertEquals(0, report.windows().getFirst().lostInside(), () -> "r1 loses nothing during the "
                    + "reload either: " + report.describe());
                assertEquals(40_000, report.received() - report.foreign(), report::describe);
                assertTrue(DaemonKit.read(relay.log).contains("SIGHUP: loaded " + file + " at epoch"),
                    () -> DaemonKit.read(relay.log));

                Files.writeString(file, "{\"rules\": [" + rule("r1", TrafficRelay.GROUP_IN, TrafficRelay.PORT_IN,
                    TrafficRelay.PORT_OUT).replace("\"input_port\": " + TrafficRelay.PORT_IN, "\"input_port\": \"x\"")
                    + "]}\n", StandardCharsets.UTF_8);
                hangUp(relay);
                Waits.until(Waits.Pace.DAEMON, "the broken file refused in the log",
                    () -> DaemonKit.read(relay.log).contains("SIGHUP: " + file + " not loaded, the table stays as it is: "
                        + file + ":1:"), Boolean::booleanValue, () -> DaemonKit.read(relay.log));
                assertTrue(DaemonKit.read(relay.log).contains("rules[0].input_port"), () -> DaemonKit.read(relay.log));
                assertEquals(List.of("b", "r1"), ids(relay.client), "a broken file changes nothing");
                assertTrue(relay.daemon.isAlive(), "the daemon keeps running");
                assertTrue(relay.settledStats().rules().stream().anyMatch(r -> r.id().equals("r1")));
            }
        } finally {
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    @Test
    void sighupWithoutAConfigFileIsLoggedAndChangesNothing() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "noconfig")) {
            hangUp(relay);
            Waits.until(Waits.Pace.DAEMON, "the SIGHUP logged", () -> DaemonKit.read(relay.log).contains(
                "SIGHUP: the daemon runs without --config"), Boolean::booleanValue, () -> DaemonKit.read(relay.log));
            assertEquals(List.of("r1"), ids(relay.client));
            assertTrue(relay.daemon.isAlive(), "SIGHUP no longer ends the daemon");
        }
    }

    @Test
    void theRunningTableSavedAndLoadedBackChangesNothingNotEvenTheEpoch() throws Exception {
        Netns.requireRoot();
        final Path dir = Files.createTempDirectory(Path.of("/tmp"), "mcrelay-save-");
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "save")) {
            final String socket = relay.dir.resolve("control.sock").toString();
            final Path saved = dir.resolve("saved.json");
            final long epoch = ((ControlResponse.Rules) relay.client.exchange(new ControlRequest.ListRules(
                relay.client.nextRequestId()))).epoch();
            assertEquals("saved 1 rule of epoch " + epoch + " to " + saved + "\n",
                TrafficRelay.mcrelay("config", "save", saved.toString(), "--socket", socket));
            assertEquals("loaded " + saved + " at epoch " + epoch + ": 0 added, 0 removed, 1 kept\n",
                TrafficRelay.mcrelay("config", "load", saved.toString(), "--socket", socket));
            assertEquals(List.of("r1"), ids(relay.client));
        } finally {
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }
}
