package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.seam.Journal;

/**
 * The plain-read look for a newer mcrelay's entries that a writable open makes before it changes anything: it finds
 * one anywhere in the last file and first in any file, names the file, offset and both versions, and counts only
 * whole entries whose checksum holds (a corrupt one is damage, the open's to repair). Older versions pass.
 */
class SchemaProbeTest {
    @TempDir
    Path temp;

    private final JournalFiles.TestClock clock = new JournalFiles.TestClock();

    private Path write(final int count, final int perDay) {
        final Path dir = temp.resolve("journal");
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily())) {
            for (int i = 0; i < count; i++) {
                if (i > 0 && i % perDay == 0) {
                    clock.nextDay();
                }
                journal.append(new Journal.Entry(i, clock.epochMillis, 100, "test",
                    ("entry-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return dir;
    }

    private static void probe(final Path dir) throws IOException {
        SchemaProbe.refuseNewer(dir, JournalFiles.cycleFiles(dir));
    }

    @Test
    void entriesOfThisAndOlderVersionsPass() throws IOException {
        final Path dir = write(6, 3);
        final List<Path> files = JournalFiles.cycleFiles(dir);
        JournalFiles.restamp(files.getLast(), JournalFiles.entryOffsets(files.getLast()).get(1), JournalSchema.OLDEST);
        probe(dir);
    }

    @Test
    void aNewerEntryAnywhereInTheLastFileIsFoundAndNamed() throws IOException {
        final Path dir = write(6, 3);
        final Path last = JournalFiles.cycleFiles(dir).getLast();
        final long offset = JournalFiles.entryOffsets(last).get(1);
        JournalFiles.restamp(last, offset, JournalSchema.VERSION + 1);
        final NewerSchemaException e = assertThrows(NewerSchemaException.class, () -> probe(dir));
        assertEquals(JournalSchema.VERSION + 1, e.version());
        assertTrue(e.getMessage().contains("offset " + offset + " of " + last), e.getMessage());
        assertTrue(e.getMessage().contains("schema version " + JournalSchema.VERSION + ";"), e.getMessage());
        assertTrue(e.getMessage().endsWith("nothing in the journal was changed"), e.getMessage());
    }

    @Test
    void theFirstEntryOfAnOlderFileIsLookedAtButNotTheRest() throws IOException {
        final Path dir = write(6, 3);
        final Path first = JournalFiles.cycleFiles(dir).getFirst();
        JournalFiles.restamp(first, JournalFiles.entryOffsets(first).get(1), 9);
        probe(dir); // a newer writer appends after older entries: the reader that reaches this one refuses it
        JournalFiles.restamp(first, JournalFiles.entryOffsets(first).getFirst(), 9);
        assertEquals(9, assertThrows(NewerSchemaException.class, () -> probe(dir)).version());
    }

    @Test
    void aNewerVersionWhoseChecksumFailsIsDamageNotANewerEntry() throws IOException {
        final Path dir = write(3, 100);
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        final long offset = JournalFiles.entryOffsets(file).get(2);
        JournalFiles.overwrite(file, offset + 4 + JournalEntryCodec.SCHEMA_OFFSET, new byte[] {9, 0, 0, 0});
        probe(dir);
    }
}
