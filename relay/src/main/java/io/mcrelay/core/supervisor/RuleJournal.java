package io.mcrelay.core.supervisor;

import static io.mcrelay.core.supervisor.Supervisor.SNAPSHOT_EVERY_COMMITS;
import static io.mcrelay.core.supervisor.Supervisor.SNAPSHOT_EVERY_NANOS;

import java.util.List;
import java.util.Objects;

import io.mcrelay.entries.CommitEntry;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.LimitsEntry;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.Journal;

/**
 * The rule table's durability: every commit and limits change is journaled before any worker or client hears of it,
 * a snapshot of the whole table is written every {@link Supervisor#SNAPSHOT_EVERY_COMMITS} commits, every
 * {@link Supervisor#SNAPSHOT_EVERY_NANOS} and at every start that replayed commits, and {@link #start} recovers the
 * table from the last snapshot and the entries after it. Entries are {@link EntryKinds}, each in the
 * journal's own versioned encoding ({@code io.mcrelay.entries}), never a worker-protocol message. Not thread-safe.
 */
final class RuleJournal {
    private final Journal journal;
    private final Clock clock;
    private final RuleTable table;
    private long commitsSinceSnapshot;
    private long lastSnapshotNs;

    RuleJournal(final Journal journal, final Clock clock, final RuleTable table) {
        this.journal = Objects.requireNonNull(journal, "journal");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.table = Objects.requireNonNull(table, "table");
    }

    /**
     * Recovers the rule table from the journal; after a crash, the same journal gives back the same rules, ids and
     * epoch. Writes a snapshot if any commit was replayed.
     */
    void start(final long startNs) {
        lastSnapshotNs = startNs;
        recover();
        if (commitsSinceSnapshot > 0) {
            // A snapshot at every start: the next recovery reads only what follows it, and retention may drop every
            // file before the current one without losing the table.
            snapshot(startNs);
        }
    }

    /** Journals a change the table just committed as {@code epoch}, and a snapshot when enough commits piled up. */
    void commit(final long epoch, final List<Rule> upserts, final List<RuleId> removals, final long nowNs) {
        journal(EntryKinds.COMMIT, new CommitEntry(epoch, upserts, removals).encode(), nowNs);
        if (++commitsSinceSnapshot >= SNAPSHOT_EVERY_COMMITS) {
            snapshot(nowNs);
        }
    }

    /** Journals new limits. */
    void limits(final Limits limits, final long nowNs) {
        journal(EntryKinds.LIMITS, new LimitsEntry(limits).encode(), nowNs);
    }

    /** Writes a snapshot if none was written for {@link Supervisor#SNAPSHOT_EVERY_NANOS}. */
    void snapshotIfDue(final long nowNs) {
        if (nowNs - lastSnapshotNs >= SNAPSHOT_EVERY_NANOS) {
            snapshot(nowNs);
        }
    }

    /** Commits journaled since the last snapshot. */
    long commitsSinceSnapshot() {
        return commitsSinceSnapshot;
    }

    private void recover() {
        final long snapshot = journal.lastIndexOf(EntryKinds.SNAPSHOT);
        try (Journal.Reader reader = journal.reader(snapshot >= 0 ? snapshot : journal.firstIndex())) {
            Journal.IndexedEntry indexed;
            while ((indexed = reader.next()) != null) {
                final Journal.Entry entry = indexed.entry();
                switch (entry.kind()) {
                    case EntryKinds.SNAPSHOT ->
                        table.restore(SnapshotEntry.decode(indexed.schemaVersion(), entry.payload()));
                    case EntryKinds.COMMIT -> {
                        final CommitEntry change = CommitEntry.decode(indexed.schemaVersion(), entry.payload());
                        if (change.epoch() != table.epoch() + 1) {
                            throw new IllegalStateException("journal entry " + indexed.index() + " commits epoch "
                                + change.epoch() + " after epoch " + table.epoch());
                        }
                        table.commit(change.removals(), change.upserts());
                        commitsSinceSnapshot++;
                    }
                    case EntryKinds.LIMITS ->
                        table.setLimits(LimitsEntry.decode(indexed.schemaVersion(), entry.payload()).limits());
                    default -> {
                        // kinds this version does not replay (the recorder's inputs and outputs)
                    }
                }
            }
        }
    }

    /** Writes the whole table, so that recovery need not read what came before. */
    private void snapshot(final long nowNs) {
        journal(EntryKinds.SNAPSHOT, new SnapshotEntry(table.epoch(), table.rules(), table.limits()).encode(), nowNs);
        commitsSinceSnapshot = 0;
        lastSnapshotNs = nowNs;
    }

    private void journal(final int kind, final byte[] payload, final long nowNs) {
        journal.append(new Journal.Entry(nowNs, clock.epochMillis(), kind, "supervisor", payload));
    }
}
