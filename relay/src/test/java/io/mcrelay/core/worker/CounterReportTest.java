package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.rules.RuleId;

/**
 * What a heartbeat carries, driven directly: the rules marked changed since the last heartbeat sent, and the
 * refresh, which over one period sends every rule exactly once, in id order, spread evenly over its heartbeats.
 */
class CounterReportTest {
    private final TreeMap<RuleId, RuleStats> byId = new TreeMap<>();
    private RuleStats[] slots = new RuleStats[0];

    private void rules(final int count) {
        slots = new RuleStats[count];
        for (int i = 0; i < count; i++) {
            final RuleStats stats = new RuleStats(new RuleId(String.format("r%03d", i)), i, 1);
            slots[i] = stats;
            byId.put(stats.id, stats);
        }
    }

    private static List<String> ids(final List<WorkerCounters.RuleCounters> counters) {
        return counters.stream().map(c -> c.id().value()).toList();
    }

    @Test
    void theChangedRulesAreCarriedUntilAHeartbeatWithThemIsSent() {
        rules(200);
        final CounterReport report = new CounterReport(1); // a heartbeat every 1 ns: no refresh in sight
        report.ensureSlots(200);
        report.mark(3);
        report.mark(130);
        report.mark(3);
        assertTrue(report.isMarked(130) && !report.isMarked(4));
        assertEquals(List.of("r003", "r130"), ids(report.collect(byId, slots)));
        assertEquals(List.of("r003", "r130"), ids(report.collect(byId, slots)), "not sent: kept");
        report.sent();
        assertFalse(report.isMarked(3) || report.isMarked(130));
        slots[7].retired = true; // a removed rule still completing sends: never reported
        byId.remove(slots[7].id);
        report.mark(7);
        assertFalse(ids(report.collect(byId, slots)).contains("r007"));
    }

    @Test
    void overOnePeriodTheRefreshSendsEveryRuleOnceInIdOrderSpreadEvenly() {
        rules(10);
        final int heartbeats = 4;
        final CounterReport report = new CounterReport(CounterReport.REFRESH_PERIOD_NS / heartbeats);
        final List<String> refreshed = new ArrayList<>();
        for (int h = 0; h < heartbeats; h++) {
            final List<String> carried = ids(report.collect(byId, slots));
            assertTrue(carried.size() == 2 || carried.size() == 3, "10 rules over 4 heartbeats: " + carried);
            refreshed.addAll(carried);
            report.sent();
        }
        final List<String> all = byId.keySet().stream().map(RuleId::value).toList();
        assertEquals(all, refreshed);
        assertEquals(ids(report.collect(byId, slots)).getFirst(), "r000", "the next period starts over");
    }

    @Test
    void aBigTableIsRefreshedOneRuleAHeartbeatAtMostAtTheDefaultInterval() {
        rules(500);
        final CounterReport report = new CounterReport(WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS);
        int carried = 0;
        final long period = CounterReport.REFRESH_PERIOD_NS / WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS;
        for (long h = 0; h < period; h++) { // one period of heartbeats every 250 ms
            final int count = report.collect(byId, slots).size();
            assertTrue(count <= 1, "at most one rule a heartbeat: " + count);
            carried += count;
            report.sent();
        }
        assertEquals(500, carried, "every rule once in the period");
    }
}
