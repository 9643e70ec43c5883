package io.mcrelay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.entries.EntryKinds;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/**
 * The journal breaks of the fault-injection daemon, over a real Chronicle journal: {@code restore} reads back nothing
 * of the lives before it (the entries are still there for a reader without the break); {@code space} refuses every
 * entry after its first refusal, with the same health, while the journal under it takes entries again.
 */
class BrokenJournalDecoratorsTest {
    @TempDir
    Path dir;

    private static Journal.Entry entry(final int kind, final String source) {
        return new Journal.Entry(1, 2, kind, source, new byte[] {1, 2, 3});
    }

    private ChronicleJournal open() {
        return ChronicleJournal.open(dir, SystemClock.INSTANCE, ChronicleJournal.Config.daily());
    }

    private static List<String> sources(final Journal journal, final long from) {
        final List<String> sources = new ArrayList<>();
        try (Journal.Reader reader = journal.reader(from)) {
            for (Journal.IndexedEntry next = reader.next(); next != null; next = reader.next()) {
                sources.add(next.entry().source());
            }
        }
        return sources;
    }

    @Test
    void underARestoreBreakTheEntriesOfEarlierLivesAreNeverReadBack() {
        try (ChronicleJournal first = open()) {
            first.append(entry(EntryKinds.SNAPSHOT, "life1"));
            first.append(entry(EntryKinds.COMMIT, "life1"));
        }
        try (ChronicleJournal second = open()) {
            final Journal amnesiac = new AmnesiacJournal(second);
            assertEquals(-1, amnesiac.lastIndexOf(EntryKinds.SNAPSHOT), "no snapshot of an earlier life is found");
            assertEquals(List.of(), sources(amnesiac, amnesiac.firstIndex()));
            assertEquals(List.of(), sources(amnesiac, second.firstIndex()), "reading from the start finds nothing");
            amnesiac.append(entry(EntryKinds.SNAPSHOT, "life2"));
            assertEquals(List.of("life2"), sources(amnesiac, second.firstIndex()), "this life's entries read back");
            assertTrue(amnesiac.lastIndexOf(EntryKinds.SNAPSHOT) >= 0);
            assertEquals(List.of("life1", "life1", "life2"), sources(second, second.firstIndex()),
                "the journal itself keeps every entry");
        }
    }

    /** A real journal whose disk is "full" while {@code full} is set (as GuardedJournal refuses). */
    private static final class Fillable extends ForwardingJournal {
        boolean full;

        Fillable(final Journal inner) {
            super(inner);
        }

        @Override
        public long append(final Entry entry) {
            if (full) {
                throw new Journal.UnwritableException(new Journal.Health(Journal.State.FULL, "no space for the test"));
            }
            return inner.append(entry);
        }
    }

    @Test
    void underASpaceBreakTheFirstRefusalIsForEver() {
        try (ChronicleJournal journal = open()) {
            final Fillable disk = new Fillable(journal);
            final StuckFullJournal stuck = new StuckFullJournal(disk);
            stuck.append(entry(EntryKinds.COMMIT, "before"));
            assertEquals(Journal.Health.OK, stuck.health());
            disk.full = true;
            final Journal.UnwritableException refused = assertThrows(Journal.UnwritableException.class,
                () -> stuck.append(entry(EntryKinds.COMMIT, "while full")));
            disk.full = false; // space comes back: the journal below takes entries again
            disk.append(entry(EntryKinds.COMMIT, "below"));
            assertSame(refused, assertThrows(Journal.UnwritableException.class,
                () -> stuck.append(entry(EntryKinds.COMMIT, "after"))), "refused the same way for ever");
            assertEquals(Journal.State.FULL, stuck.health().state());
            assertEquals("no space for the test", stuck.health().reason());
            assertTrue(stuck.stuck());
            assertEquals(List.of("before", "below"), sources(journal, journal.firstIndex()));
        }
    }

    /** The supervisor asks the journal's health before it writes: a health that is not ok sticks as well. */
    @Test
    void underASpaceBreakAHealthThatIsNotOkSticksToo() {
        try (ChronicleJournal journal = open()) {
            final Journal.Health full = new Journal.Health(Journal.State.FULL, "no space for the test");
            final boolean[] isFull = {true};
            final StuckFullJournal stuck = new StuckFullJournal(new ForwardingJournal(journal) {
                @Override
                public Health health() {
                    return isFull[0] ? full : Health.OK;
                }
            });
            assertEquals(full, stuck.health());
            isFull[0] = false;
            assertEquals(full, stuck.health(), "still full once space came back");
            assertEquals(full, assertThrows(Journal.UnwritableException.class,
                () -> stuck.append(entry(EntryKinds.COMMIT, "after"))).health());
        }
    }
}
