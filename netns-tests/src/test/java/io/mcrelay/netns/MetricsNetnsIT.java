package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;

/**
 * {@code --metrics}: a scrape of the running daemon, after traffic stopped and the counters settled (and a second for
 * the loop to publish them), has the rule's packet counter equal to {@code stats}', and the closed label sets of the
 * worker state and the journal's state.
 */
class MetricsNetnsIT {
    private static final String PREFIX = "mcmt";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** The value of {@code series} in a scrape, or -1 when it has none. */
    private static long valueOrNone(final String scrape, final String series) {
        final Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        return matcher.find() ? (long) Double.parseDouble(matcher.group(1)) : -1;
    }

    private static long value(final String scrape, final String series) {
        final long value = valueOrNone(scrape, series);
        assertTrue(value >= 0, () -> series + " in:\n" + scrape);
        return value;
    }

    @Test
    void aScrapeAfterTrafficHasTheRulesPacketCounterOfStats() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "metrics", "--metrics", "127.0.0.1:0",
            "--metrics-outputs")) {
            final Matcher served = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)")
                .matcher(DaemonKit.read(relay.log));
            assertTrue(served.find(), () -> DaemonKit.read(relay.log));
            final String url = served.group(1);
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.send(5_000, 5_000, 200, () -> { }));
            assertTrue(run.report().clean(), run.report()::describe);
            final ControlResponse.StatsReport stats = relay.settledStats();
            final long packetsIn = stats.rules().getFirst().packetsIn();
            // The loop publishes once a second: scrape until it shows the settled count (it never goes past it).
            final String scrape = Waits.until(Waits.Pace.DAEMON, "the scrape at the settled count", () ->
                relay.net.relay.execOrThrow("curl", "-sS", "--max-time", "5", url).stdout(),
                text -> valueOrNone(text, "mcrelay_rule_packets_in_total{rule=\"r1\"}") == packetsIn);
            System.out.println("[metrics] r1 packets in " + packetsIn + "; " + scrape.lines()
                .filter(line -> line.startsWith("mcrelay_") && !line.startsWith("mcrelay_worker_last")).count()
                + " mcrelay series");
            assertEquals(stats.rules().getFirst().outputs().getFirst().packetsOut(), value(scrape,
                "mcrelay_output_packets_out_total{output=\"" + TrafficRelay.GROUP_OUT + ":" + TrafficRelay.PORT_OUT
                    + ":out0\",rule=\"r1\"}"));
            assertEquals(1, value(scrape, "mcrelay_worker_state{state=\"ready\",worker=\"0\"}"));
            assertEquals(0, value(scrape, "mcrelay_worker_state{state=\"backoff\",worker=\"0\"}"));
            assertEquals(1, value(scrape, "mcrelay_journal_state{state=\"ok\"}"));
            assertEquals(stats.drops().ringFull(), value(scrape, "mcrelay_drops_total{reason=\"ring_full\"}"));
            assertTrue(value(scrape, "mcrelay_epoch") >= 1, scrape);
            assertTrue(value(scrape, "mcrelay_control_requests_total{kind=\"add\",outcome=\"ok\"}") >= 1, scrape);
            assertTrue(value(scrape, "mcrelay_journal_written_bytes_total") > 0, scrape);
            assertEquals(1, value(scrape, "mcrelay_rules_by_state{state=\"active\"}"));
            assertEquals(0, value(scrape, "mcrelay_rules_by_state{state=\"join_failed\"}"));
        }
    }
}
