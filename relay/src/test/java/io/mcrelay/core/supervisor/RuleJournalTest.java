package io.mcrelay.core.supervisor;

import static io.mcrelay.entries.EntryKinds.COMMIT;
import static io.mcrelay.entries.EntryKinds.LIMITS;
import static io.mcrelay.entries.EntryKinds.SNAPSHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.Journal;

/** The rule journal: what is written when, and that a new table recovers the same rules, epoch and limits. */
class RuleJournalTest {
    private static final Clock CLOCK = new Clock() {
        @Override
        public long nanoTime() {
            throw new AssertionError("the journal takes the time it is given");
        }

        @Override
        public long epochMillis() {
            return 1_700_000_000_000L;
        }
    };

    private final TestKit.MemoryJournal journal = new TestKit.MemoryJournal();

    /** Commits to {@code table} and journals the commit, as the supervisor does. */
    private static void commit(final RuleTable table, final RuleJournal rules, final List<RuleId> removals,
                               final List<Rule> upserts, final long nowNs) {
        assertTrue(rules.commit(table.epoch() + 1, upserts, removals, nowNs), "the journal takes it");
        table.commit(removals, upserts);
        rules.committed(nowNs);
    }

    @Test
    void aNewTableRecoversTheRulesEpochAndLimitsAndSnapshotsThem() {
        final RuleTable table = new RuleTable(Limits.DEFAULT);
        final RuleJournal rules = new RuleJournal(journal, CLOCK, table);
        rules.start(0);
        assertTrue(journal.entries.isEmpty(), "nothing to snapshot in an empty journal");
        commit(table, rules, List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")), 10);
        commit(table, rules, List.of(), List.of(TestKit.rule("cam-2", "eth0", "eth1")), 20);
        table.setLimits(new Limits(10, 4));
        rules.limits(new Limits(10, 4), 25);
        commit(table, rules, List.of(new RuleId("cam-1")), List.of(), 30);
        assertEquals(List.of(COMMIT, COMMIT, LIMITS, COMMIT), journal.kinds());
        assertEquals(30, journal.entries.getLast().timeNs());

        final RuleTable recovered = new RuleTable(Limits.DEFAULT);
        final RuleJournal again = new RuleJournal(journal, CLOCK, recovered);
        again.start(100);
        assertEquals(table.rules(), recovered.rules());
        assertEquals(3, recovered.epoch());
        assertEquals(table.hash(), recovered.hash());
        assertEquals(new Limits(10, 4), recovered.limits());
        assertEquals(SNAPSHOT, journal.entries.getLast().kind(), "a start that replayed commits snapshots");
        assertEquals(0, again.commitsSinceSnapshot());

        final RuleTable third = new RuleTable(Limits.DEFAULT);
        new RuleJournal(journal, CLOCK, third).start(200);
        assertEquals(table.rules(), third.rules());
        assertEquals(SNAPSHOT, journal.entries.getLast().kind());
        assertEquals(5, journal.entries.size(), "recovery from the snapshot alone writes nothing");
    }

    @Test
    void aSnapshotFollowsEveryThousandCommits() {
        final RuleTable table = new RuleTable(Limits.DEFAULT);
        final RuleJournal rules = new RuleJournal(journal, CLOCK, table);
        rules.start(0);
        for (int i = 0; i < Supervisor.SNAPSHOT_EVERY_COMMITS; i++) {
            final Rule rule = TestKit.rule("cam-" + (i % 2), "eth0", "eth1");
            commit(table, rules, List.of(rule.id()), List.of(rule), i);
        }
        assertEquals(SNAPSHOT, journal.entries.getLast().kind());
        assertEquals(Supervisor.SNAPSHOT_EVERY_COMMITS + 1, journal.entries.size());
        assertEquals(0, rules.commitsSinceSnapshot());
    }

    @Test
    void aChangeTheJournalRefusesIsNotJournaledAndASnapshotPrecedesTheNextOne() {
        final RuleTable table = new RuleTable(Limits.DEFAULT);
        final RuleJournal rules = new RuleJournal(journal, CLOCK, table);
        rules.start(0);
        commit(table, rules, List.of(), List.of(TestKit.rule("a", "eth0", "eth1")), 1);
        final int before = journal.entries.size();

        journal.full = true;
        assertFalse(rules.commit(table.epoch() + 1, List.of(TestKit.rule("b", "eth0", "eth1")), List.of(), 2));
        assertEquals(before, journal.entries.size(), "nothing of it written");
        assertTrue(rules.snapshotOwed());
        table.commit(List.of(), List.of()); // an input's own epoch: it happens anyway
        rules.committedUnjournaled();
        rules.snapshotIfDue(3); // still full: refused, still owed
        assertTrue(rules.snapshotOwed());

        journal.full = false;
        commit(table, rules, List.of(), List.of(TestKit.rule("c", "eth0", "eth1")), 4);
        assertEquals(List.of(SNAPSHOT, COMMIT), journal.entries.subList(before, journal.entries.size()).stream()
            .map(Journal.Entry::kind).toList(), "the owed snapshot (epoch 2), then the commit of epoch 3");
        assertFalse(rules.snapshotOwed());

        final RuleTable recovered = new RuleTable(Limits.DEFAULT);
        new RuleJournal(journal, CLOCK, recovered).start(5);
        assertEquals(table.epoch(), recovered.epoch());
        assertEquals(table.rules(), recovered.rules());
    }

    @Test
    void aSnapshotIsDueAnHourAfterTheLast() {
        final RuleTable table = new RuleTable(Limits.DEFAULT);
        final RuleJournal rules = new RuleJournal(journal, CLOCK, table);
        rules.start(5);
        rules.snapshotIfDue(5 + Supervisor.SNAPSHOT_EVERY_NANOS - 1);
        assertTrue(journal.entries.isEmpty());
        rules.snapshotIfDue(5 + Supervisor.SNAPSHOT_EVERY_NANOS);
        assertEquals(List.of(SNAPSHOT), journal.kinds());
        rules.snapshotIfDue(5 + 2 * Supervisor.SNAPSHOT_EVERY_NANOS - 1);
        assertEquals(1, journal.entries.size(), "the hour counts from the last snapshot");
    }

    @Test
    void aJournalThatSkipsAnEpochIsRefused() {
        final RuleTable table = new RuleTable(Limits.DEFAULT);
        final RuleJournal rules = new RuleJournal(journal, CLOCK, table);
        rules.start(0);
        commit(table, rules, List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")), 1);
        journal.entries.add(journal.entries.getFirst()); // epoch 1 again
        final RuleJournal recovering = new RuleJournal(journal, CLOCK, new RuleTable(Limits.DEFAULT));
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> recovering.start(2));
        assertEquals("journal entry 1 commits epoch 1 after epoch 1", e.getMessage());
    }
}
