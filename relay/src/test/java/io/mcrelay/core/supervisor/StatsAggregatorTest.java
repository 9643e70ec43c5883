package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * The whole daemon's identity across removals: what a removed rule had counted in (in ended incarnations and in a live
 * worker that removed it) is reported as {@code removed_rules}, and a rule added again under that id starts from zero.
 */
class StatsAggregatorTest {
    private static final Rule A = TestKit.rule("a", "eth0", "eth1");
    private static final Rule B = TestKit.rule("b", "eth0", "eth1");

    private static WorkerCounters.RuleCounters counted(final Rule rule, final long packetsIn) {
        return new WorkerCounters.RuleCounters(rule.id(), packetsIn, packetsIn * 10, 0, 0, 0, 0,
            List.of(new WorkerCounters.OutputCounters(packetsIn, packetsIn * 10, 0)));
    }

    private static LiveCounters live(final long removedPacketsIn, final WorkerCounters.RuleCounters... rules) {
        long matched = removedPacketsIn;
        for (final WorkerCounters.RuleCounters rule : rules) {
            matched += rule.packetsIn();
        }
        final LiveCounters live = new LiveCounters();
        live.take(new WorkerMessage.Heartbeat(0, 1, 0, new WorkerCounters(matched, 0, 0, 0, removedPacketsIn,
            removedPacketsIn * 10, List.of(), List.of(rules)), List.of()), 0, id -> true);
        return live;
    }

    private static long packetsIn(final ControlResponse.StatsReport report, final Rule rule) {
        return report.rules().stream().filter(r -> r.id().equals(rule.id().value())).findFirst().orElseThrow()
            .packetsIn();
    }

    @Test
    void aRemovedRulesCountsMoveToRemovedRulesAndTheIdStartsAgainFromZero() {
        final StatsAggregator stats = new StatsAggregator();
        // An ended incarnation counted 7 for a and 3 for b.
        stats.retire(0, new WorkerCounters(10, 0, 0, 0, 0, 0, List.of(), List.of(counted(A, 7), counted(B, 3))));
        final ControlResponse.StatsReport before = stats.report(1, List.of(A, B), List.of(), List.of(), ControlResponse.JournalState.OK);
        assertEquals(7, packetsIn(before, A));
        assertEquals(ControlResponse.RemovedRules.NONE, before.removedRules());

        stats.forget(A.id());
        final ControlResponse.StatsReport removed = stats.report(2, List.of(B), List.of(), List.of(), ControlResponse.JournalState.OK);
        assertEquals(new ControlResponse.RemovedRules(7, 70), removed.removedRules());
        assertEquals(3, packetsIn(removed, B));

        // Added again: nothing of the old rule's counts.
        final ControlResponse.StatsReport again = stats.report(3, List.of(A, B), List.of(), List.of(), ControlResponse.JournalState.OK);
        assertEquals(0, packetsIn(again, A));
        assertEquals(new ControlResponse.RemovedRules(7, 70), again.removedRules());
    }

    @Test
    void liveAndEndedWorkersRemovalsAddUp() {
        final StatsAggregator stats = new StatsAggregator();
        stats.retire(0, new WorkerCounters(5, 0, 0, 0, 5, 50, List.of(), List.of())); // removed 5 before it ended
        final List<StatsAggregator.Live> workers = List.of(new StatsAggregator.Live(0, live(4, counted(B, 2))),
            new StatsAggregator.Live(1, live(6)));
        final ControlResponse.StatsReport report = stats.report(1, List.of(B), workers, List.of(), ControlResponse.JournalState.OK);
        assertEquals(new ControlResponse.RemovedRules(15, 150), report.removedRules());
        assertEquals(2, packetsIn(report, B));
    }

    @Test
    void forgettingAnIdWithNoEndedCountsChangesNothing() {
        final StatsAggregator stats = new StatsAggregator();
        stats.forget(new RuleId("never"));
        assertEquals(ControlResponse.RemovedRules.NONE,
            stats.report(1, List.of(B), List.of(), List.of(), ControlResponse.JournalState.OK).removedRules());
    }
}
