package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --log-json}: every line the daemon writes, from its start through a rule added, traffic, a worker killed and
 * replaced, to its stop, is one JSON object with a level, a logger and a message.
 */
class LogJsonNetnsIT {
    private static final String PREFIX = "mclj";
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void everyLineOfTheDaemonsLogIsAJsonObject() throws Exception {
        Netns.requireRoot();
        final String log;
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "logjson", "--log-json")) {
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.send(2_000, 2_000, 200, () -> { }));
            assertTrue(run.report().clean(), run.report()::describe);
            final long pid = relay.workers().getFirst().pid();
            // SIGQUIT makes the worker's JVM print its threads (to worker-0-L.log); its kill then brings them into
            // the daemon's log, a line an entry, tagged with the worker's index and pid.
            new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor();
            Waits.until(Waits.Pace.DAEMON, "the worker's thread dump in its output file", () -> {
                try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(relay.dir)) {
                    return files.filter(f -> f.getFileName().toString().startsWith("worker-0-"))
                        .anyMatch(f -> DaemonKit.read(f).contains("Full thread dump"));
                }
            }, Boolean::booleanValue);
            new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
            Waits.until(Waits.Pace.DAEMON, "a new worker ready", () -> relay.workers().getFirst(),
                worker -> worker.pid() != pid && worker.state().equals("ready"));
            relay.client.close();
            DaemonKit.stop(relay.daemon, relay.log);
            log = DaemonKit.read(relay.log);
        }
        final List<String> lines = log.lines().toList();
        assertTrue(lines.size() > 5, log);
        int workerLines = 0;
        for (final String line : lines) {
            final JsonNode object = JSON.readTree(line);
            assertTrue(object.isObject() && object.has("level") && object.has("loggerName")
                && object.has("formattedMessage"), () -> "not a log object: " + line);
            if (object.path("mdc").path("worker").asText().equals("0")) {
                assertTrue(object.get("formattedMessage").asText().startsWith("worker 0 (pid "), line);
                workerLines++;
            }
        }
        assertTrue(workerLines > 3, () -> "the worker's thread dump came into the log, tagged:\n" + log);
        assertTrue(log.contains("supervisor started") && (log.contains("killed") || log.contains("exited")), log);
        System.out.println("[log-json] " + lines.size() + " lines, each a JSON object, " + workerLines + " of them the "
            + "worker's");
    }
}
