package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Rule;

/**
 * The intake of a Sync, driven directly: chunks gathered whatever their order, a chunk offered again at any stage
 * (gathering or preparing) a duplicate, chunks of an older epoch stale, a newer epoch starting over, and preparing
 * bounded per call.
 */
class SyncIntakeTest {
    private final SyncIntake intake = new SyncIntake();
    private final List<Rule> opened = new ArrayList<>();
    private final SyncIntake.Opener opener = (rule, output) -> {
        opened.add(rule);
        return 1;
    };

    private static WorkerMessage.Sync chunk(final long epoch, final int chunk, final int chunks,
                                            final List<Rule> rules) {
        return new WorkerMessage.Sync(epoch, chunk, chunks, rules);
    }

    @Test
    void chunksInAnyOrderAreGatheredAndOneOfferedAgainAtAnyStageIsADuplicate() {
        final List<Rule> rules = WorkerSyncIntakeTest.rules(3 * SyncIntake.PREPARE_UNITS_PER_CYCLE, "r");
        final int third = rules.size() / 3;
        final WorkerMessage.Sync first = chunk(5, 0, 3, rules.subList(0, third));
        final WorkerMessage.Sync second = chunk(5, 1, 3, rules.subList(third, 2 * third));
        final WorkerMessage.Sync last = chunk(5, 2, 3, rules.subList(2 * third, rules.size()));
        assertEquals(SyncIntake.Taken.NEW, intake.offer(last, 4));
        assertEquals(SyncIntake.Taken.DUPLICATE, intake.offer(last, 4));
        assertEquals(SyncIntake.Taken.NEW, intake.offer(first, 4));
        assertEquals(0, intake.prepare(new RuleSet(), opener), "nothing to prepare while gathering");
        assertEquals(SyncIntake.Taken.NEW, intake.offer(second, 4));
        assertEquals(SyncIntake.Taken.DUPLICATE, intake.offer(second, 4), "gathered: a chunk again changes nothing");
        assertEquals(SyncIntake.PREPARE_UNITS_PER_CYCLE, intake.prepare(new RuleSet(), opener), "a bounded step");
        assertEquals(SyncIntake.Taken.DUPLICATE, intake.offer(first, 4), "preparing: a chunk again changes nothing");
        assertFalse(intake.ready());
        assertEquals(new WorkerMessage.SyncProgress(5, 3, 3, SyncIntake.PREPARE_UNITS_PER_CYCLE, rules.size()),
            intake.progress());
        while (!intake.ready()) {
            intake.prepare(new RuleSet(), opener);
        }
        assertEquals(rules, opened, "each rule's output opened once, in order");
        final List<WorkerMessage.Apply> applies = new ArrayList<>();
        assertEquals(rules, intake.take(applies).rules());
        assertFalse(intake.underWay());
        assertEquals(WorkerMessage.SyncProgress.NONE, intake.progress());
    }

    @Test
    void olderChunksAreStaleANewerEpochStartsOverAndADisagreeingCountIsRefused() {
        final List<Rule> rules = WorkerSyncIntakeTest.rules(4, "r");
        assertEquals(SyncIntake.Taken.STALE, intake.offer(chunk(3, 0, 2, rules), 4), "older than the one installed");
        assertEquals(SyncIntake.Taken.NEW, intake.offer(chunk(6, 0, 2, rules.subList(0, 2)), 4));
        assertEquals(SyncIntake.Taken.STALE, intake.offer(chunk(5, 1, 2, rules.subList(2, 4)), 4),
            "older than the one gathered");
        assertTrue(intake.deferApply(new WorkerMessage.Apply(7, List.of(), List.of())));
        assertEquals(SyncIntake.Taken.NEW, intake.offer(chunk(8, 1, 2, rules.subList(2, 4)), 4));
        assertEquals(new WorkerMessage.SyncProgress(8, 1, 2, 0, 2), intake.progress(), "epoch 6's chunk dropped");
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> intake.offer(chunk(8, 0, 3, rules.subList(0, 2)), 4));
        assertEquals("the Sync of epoch 8 came as 2 chunks and as 3", refused.getMessage());
        assertEquals(SyncIntake.Taken.NEW, intake.offer(chunk(8, 0, 2, rules.subList(0, 2)), 4));
        intake.prepare(new RuleSet(), opener);
        final List<WorkerMessage.Apply> applies = new ArrayList<>();
        intake.take(applies);
        assertTrue(applies.isEmpty(), "the Apply kept for epoch 6's Sync went with it");
    }
}
