package io.mcrelay.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.rules.Limits;
import io.mcrelay.seam.Journal;

/**
 * Makes a journal as a newer mcrelay would leave it: written by this code, then its last entry restamped with a
 * newer schema version (its checksum holding). Shared through relay's test-jar.
 */
public final class NewerJournal {
    private NewerJournal() {
    }

    /**
     * Writes a snapshot and a few entries into {@code dir} and restamps the last one as schema {@code version}.
     *
     * @return the directory
     */
    public static Path write(final Path dir, final int version) {
        final JournalFiles.TestClock clock = new JournalFiles.TestClock();
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily())) {
            journal.append(new Journal.Entry(1, clock.epochMillis, EntryKinds.SNAPSHOT, "supervisor",
                new SnapshotEntry(0, List.of(), Limits.DEFAULT).encode()));
            for (int i = 0; i < 3; i++) {
                journal.append(new Journal.Entry(2 + i, clock.epochMillis, 100, "test",
                    ("entry " + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        try {
            final Path file = JournalFiles.cycleFiles(dir).getLast();
            JournalFiles.restamp(file, JournalFiles.entryOffsets(file).getLast(), version);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
