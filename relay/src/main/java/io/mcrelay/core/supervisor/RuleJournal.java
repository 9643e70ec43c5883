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
 * journal's own versioned encoding ({@code io.mcrelay.entries}), never a worker-protocol message.
 *
 * <p>A journal that cannot take an entry ({@link Journal.UnwritableException}: its disk is full) refuses a change
 * before the table makes it: {@link #commit} says so and nothing is committed. A snapshot it could not take, or a
 * change made anyway (an input's own epoch), leaves a snapshot owed, written as soon as the journal is ok again and
 * before any later commit, so that recovery never meets a missing epoch. Not thread-safe.
 */
final class RuleJournal {
    private final Journal journal;
    private final Clock clock;
    private final RuleTable table;
    private long commitsSinceSnapshot;
    private long lastSnapshotNs;
    /** A snapshot could not be written, an entry was refused, or the table changed without its commit journaled. */
    private boolean snapshotOwed;
    /** The journal's gaps seen so far: a snapshot follows each new one. */
    private long gapsSeen;

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
        gapsSeen = journal.gapsMarked(); // gaps of earlier lives (a journal kept open across them) are behind us
        recover();
        if (commitsSinceSnapshot > 0) {
            // A snapshot at every start: the next recovery reads only what follows it, and retention may drop every
            // file before the current one without losing the table.
            snapshot(startNs);
        }
    }

    /**
     * Journals the change the table is about to commit as {@code epoch}, after the snapshot owed if one is. Returns
     * false, with nothing of the change written, when the journal cannot take it: the table must not make it then (or,
     * for a change that happens anyway, must owe a snapshot: {@link #committedUnjournaled}).
     */
    boolean commit(final long epoch, final List<Rule> upserts, final List<RuleId> removals, final long nowNs) {
        if (snapshotOwed && !snapshot(nowNs)) {
            return false;
        }
        return journal(EntryKinds.COMMIT, new CommitEntry(epoch, upserts, removals).encode(), nowNs);
    }

    /** The table committed what {@link #commit} journaled: a snapshot when enough commits piled up. */
    void committed(final long nowNs) {
        if (++commitsSinceSnapshot >= SNAPSHOT_EVERY_COMMITS) {
            snapshot(nowNs);
        }
    }

    /** The table committed a change the journal did not take (an input's own epoch): a snapshot is owed. */
    void committedUnjournaled() {
        snapshotOwed = true;
    }

    /** Journals new limits (after the snapshot owed, if one is); false, with nothing written, if it cannot. */
    boolean limits(final Limits limits, final long nowNs) {
        if (snapshotOwed && !snapshot(nowNs)) {
            return false;
        }
        return journal(EntryKinds.LIMITS, new LimitsEntry(limits).encode(), nowNs);
    }

    /** Whether the journal takes entries now, and why not. */
    Journal.Health health() {
        return journal.health();
    }

    /**
     * Writes a snapshot if none was written for {@link Supervisor#SNAPSHOT_EVERY_NANOS}, or if one is owed: a journal
     * that refuses entries is tried again this way (one that is full refuses at once until it is due to try; once
     * it takes entries again, this snapshot follows the gap it marks).
     */
    void snapshotIfDue(final long nowNs) {
        final long gaps = journal.gapsMarked();
        if (gaps != gapsSeen) { // entries were lost (the recorder's, if none of ours): a snapshot follows the gap
            gapsSeen = gaps;
            snapshotOwed = true;
        }
        if (snapshotOwed || nowNs - lastSnapshotNs >= SNAPSHOT_EVERY_NANOS) {
            snapshot(nowNs);
        }
    }

    /** Whether a snapshot is owed (the journal missed one, or a change). */
    boolean snapshotOwed() {
        return snapshotOwed;
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

    /** Writes the whole table, so that recovery need not read what came before; false if the journal cannot. */
    private boolean snapshot(final long nowNs) {
        if (!journal(EntryKinds.SNAPSHOT, new SnapshotEntry(table.epoch(), table.rules(), table.limits()).encode(),
            nowNs)) {
            snapshotOwed = true;
            return false;
        }
        snapshotOwed = false;
        commitsSinceSnapshot = 0;
        lastSnapshotNs = nowNs;
        return true;
    }

    private boolean journal(final int kind, final byte[] payload, final long nowNs) {
        try {
            journal.append(new Journal.Entry(nowNs, clock.epochMillis(), kind, "supervisor", payload));
            return true;
        } catch (final Journal.UnwritableException e) {
            snapshotOwed = true; // whatever it was, a snapshot follows the gap
            return false;
        }
    }
}
