package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code mcrelay stats --watch}, the shipped CLI against the real daemon: with {@code --json}, one parseable object per
 * interval until SIGINT ends it with exit 0; without, one report after another under a header when not on a terminal
 * (cadence not asserted).
 */
class StatsWatchNetnsIT {
    private static final String PREFIX = "mcsw";
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static Process watch(final TrafficRelay relay, final String... more) throws Exception {
        final Path dist = Path.of(System.getProperty("mcrelay.dist", "../dist/target")).toAbsolutePath().normalize();
        final List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
            "@" + dist.resolve("jvm.options"), "-jar", dist.resolve("mcrelay.jar").toString(), "stats", "--watch",
            "--interval", "1", "--socket", relay.dir.resolve("control.sock").toString()));
        command.addAll(List.of(more));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("CI", "true");
        return builder.start();
    }

    private static int interruptAndWait(final Process process) throws Exception {
        final Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stats --watch ended within 30 s of SIGINT");
        return process.exitValue();
    }

    @Test
    void watchPrintsAJsonObjectPerIntervalUntilSigintEndsItWithExitZero() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "watch")) {
            final Process json = watch(relay, "--json");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(json.getInputStream(),
                StandardCharsets.UTF_8))) {
                for (int i = 0; i < 2; i++) {
                    final String line = out.readLine();
                    assertTrue(line != null, "an object per interval");
                    final JsonNode report = JSON.readTree(line);
                    assertEquals("r1", report.get("rules").get(0).get("id").asText(), line);
                    assertTrue(report.has("journal") && report.has("workers"), line);
                }
                assertEquals(0, interruptAndWait(json), "SIGINT ends the watch with exit 0");
            }

            final Process text = watch(relay);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(text.getInputStream(),
                StandardCharsets.UTF_8))) {
                int headers = 0;
                String line;
                while (headers < 2 && (line = out.readLine()) != null) {
                    if (line.startsWith("mcrelay stats every 1 s at ")) {
                        headers++;
                    }
                }
                assertEquals(2, headers, "two reports, one after another, each under its header");
                assertEquals(0, interruptAndWait(text));
            }
        }
    }
}
