package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.journal.JournalFiles.TestClock;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.JournalContract;

/**
 * The Chronicle journal passes the journal contract, keeps its entries and indices across reopening and rolls,
 * opens captured copies without writing to them, and survives damaged files: each damage case is made on real
 * Chronicle files (truncated, bytes overwritten inside an entry, an entry of a schema version nobody wrote), and the
 * test checks that the problem names the file, entry and offset, that the valid prefix reads back, and that a
 * writable journal goes on appending right after it. Entries of an older schema version are read with their version;
 * a newer mcrelay's journal is refused, naming both versions, with no file touched.
 */
class ChronicleJournalTest extends JournalContract {
    @TempDir
    Path temp;

    private final TestClock clock = new TestClock();
    private int journals;

    @Override
    protected Journal createJournal() {
        return ChronicleJournal.open(temp.resolve("contract-" + journals++), clock, ChronicleJournal.Config.daily());
    }

    /** Entry {@code i}: kinds 0, 1, 2, 3 in turn, so every fourth entry (3, 7, 11...) is a snapshot. */
    private static Journal.Entry entry(final long i) {
        return new Journal.Entry(1_000L * i, 1_795_564_800_000L + i, (int) (i % 4), "worker:" + (i % 2),
            ("payload-" + i + "-" + "x".repeat(40)).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertEntry(final long i, final Journal.IndexedEntry actual) {
        assertTrue(actual != null, "entry " + i + " is missing");
        final Journal.Entry expected = entry(i);
        assertEquals(i, actual.index());
        assertEquals(expected.timeNs(), actual.entry().timeNs());
        assertEquals(expected.wallMillis(), actual.entry().wallMillis());
        assertEquals(expected.kind(), actual.entry().kind());
        assertEquals(expected.source(), actual.entry().source());
        assertArrayEquals(expected.payload(), actual.entry().payload());
    }

    /** Reads from {@code from} to the end and checks that exactly the entries {@code from..toExclusive-1} are there. */
    private static void assertEntries(final Journal journal, final long from, final long toExclusive) {
        try (Journal.Reader reader = journal.reader(from)) {
            for (long i = from; i < toExclusive; i++) {
                assertEntry(i, reader.next());
            }
            assertNull(reader.next(), "nothing after entry " + (toExclusive - 1));
        }
    }

    private ChronicleJournal open(final Path dir) {
        return ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily());
    }

    /** Writes entries {@code from..toExclusive-1} with the journal, one file per {@code perDay} entries. */
    private void write(final Path dir, final long from, final long toExclusive, final int perDay) {
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(from, journal.nextIndex());
            for (long i = from; i < toExclusive; i++) {
                if (i > from && (i - from) % perDay == 0) {
                    clock.nextDay();
                }
                assertEquals(i, journal.append(entry(i)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------ reopening

    @Test
    void reopeningKeepsEntriesIndicesAndTheNextIndex() {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 20, 1_000);
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEquals(0, journal.firstIndex());
            assertEquals(20, journal.nextIndex());
            assertEntries(journal, 0, 20);
            assertEquals(20, journal.append(entry(20)));
            assertEquals(20, journal.lastIndexOf(0));
        }
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(21, journal.nextIndex());
            assertEntries(journal, 15, 21);
        }
    }

    @Test
    void readersArePositionedInTheRightFileAfterRolls() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 12, 4); // three daily files of four entries
        assertEquals(3, JournalFiles.cycleFiles(dir).size());
        assertEquals(List.of("20261125F.cq4", "20261126F.cq4", "20261127F.cq4"),
            JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEquals(12, journal.nextIndex());
            for (long from = 0; from <= 12; from++) {
                assertEntries(journal, from, 12);
            }
            assertEquals(9, journal.lastIndexOf(1)); // kinds cycle 0, 1, 2, 3
            assertEquals(11, journal.lastIndexOf(3));
            assertEquals(-1, journal.lastIndexOf(5));
        }
    }

    @Test
    void aWallClockSteppingBackNeverWritesToAnEarlierFile() throws IOException {
        final Path dir = temp.resolve("journal");
        clock.nextDay();
        write(dir, 0, 3, 1_000);
        clock.epochMillis -= 2 * TestClock.DAY_MILLIS; // the wall clock steps back two days
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(3, journal.append(entry(3)));
            assertEntries(journal, 0, 4);
        }
        assertEquals(List.of("20261126F.cq4"),
            JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
    }

    @Test
    void aReaderBeyondTheEndWaitsForThatIndex() {
        try (ChronicleJournal journal = open(temp.resolve("journal"))) {
            try (Journal.Reader reader = journal.reader(2)) {
                assertNull(reader.next());
                journal.append(entry(0));
                journal.append(entry(1));
                assertNull(reader.next());
                journal.append(entry(2));
                assertEntry(2, reader.next());
            }
        }
    }

    @Test
    void entriesLargerThanAJournalEntryAreRefusedAndChangeNothing() {
        try (ChronicleJournal journal = open(temp.resolve("journal"))) {
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> journal.append(new Journal.Entry(0, 0, 1, "supervisor",
                    new byte[ChronicleJournal.PAYLOAD_BYTES_MAX + 1_000])));
            assertTrue(refused.getMessage().contains("at most"), refused.getMessage());
            assertEquals(0, journal.nextIndex());
            assertEquals(0, journal.append(entry(0)));
        }
    }

    // ------------------------------------------------------------------------------------------ read-only

    @Test
    void aReadOnlyOpenOfACopyReadsEverythingAndWritesNothing() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 9, 3);
        final Path copy = temp.resolve("captured");
        JournalFiles.sparseCopy(dir, copy);
        final Map<String, String> before = JournalFiles.snapshot(copy);
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(copy)) {
            assertTrue(journal.readOnly());
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEquals(0, journal.firstIndex());
            assertEquals(9, journal.nextIndex());
            assertEntries(journal, 0, 9);
            assertEntries(journal, 4, 9);
            assertEquals(7, journal.lastIndexOf(3));
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> journal.append(entry(9)));
            assertTrue(refused.getMessage().contains(copy.getFileName().toString()), refused.getMessage());
        }
        assertEquals(before, JournalFiles.snapshot(copy));
    }

    @Test
    void aReadOnlyOpenOfAMissingDirectorySaysWhich() {
        final Path missing = temp.resolve("no-such-journal");
        final RuntimeException refused = assertThrows(RuntimeException.class,
            () -> ChronicleJournal.openReadOnly(missing));
        assertTrue(refused.getMessage().contains(missing.toString()), refused.getMessage());
        assertFalse(Files.exists(missing));
    }

    // ------------------------------------------------------------------------------------------ retention

    @Test
    void retentionByAgeDeletesWholeOldFilesAfterARoll() throws IOException {
        final Path dir = temp.resolve("journal");
        final ChronicleJournal.Config keepTwoDays = ChronicleJournal.Config.daily()
            .withRetention(ChronicleJournal.Config.UNLIMITED_BYTES, Duration.ofDays(2));
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, keepTwoDays)) {
            for (long i = 0; i < 10; i++) {
                if (i > 0 && i % 2 == 0) {
                    clock.nextDay();
                }
                journal.append(entry(i));
            }
            // Day 5 (entries 8, 9) is current; day 1 ended three days ago, day 2 two days ago: both go.
            assertEquals(List.of("20261127F.cq4", "20261128F.cq4", "20261129F.cq4"),
                JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
            assertEquals(4, journal.firstIndex());
            try (Journal.Reader reader = journal.reader(0)) {
                assertEntry(4, reader.next()); // clamped to the first index left
            }
            assertEntries(journal, 4, 10);
        }
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, keepTwoDays)) {
            assertEquals(4, journal.firstIndex());
            assertEquals(10, journal.nextIndex());
        }
    }

    @Test
    void retentionBySizeNeverDeletesTheCurrentFile() throws IOException {
        final Path dir = temp.resolve("journal");
        final ChronicleJournal.Config tiny = ChronicleJournal.Config.daily()
            .withRetention(1, ChronicleJournal.Config.UNLIMITED_AGE);
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, tiny)) {
            for (long i = 0; i < 10; i++) {
                if (i > 0 && i % 2 == 0) {
                    clock.nextDay();
                }
                journal.append(entry(i));
            }
            // The last snapshot (7) is in day 4, before the current file: the limit leaves only those two.
            assertEquals(List.of("20261128F.cq4", "20261129F.cq4"),
                JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
            assertEquals(6, journal.firstIndex());
            assertEntries(journal, 6, 10);
        }
    }

    /**
     * Recovery starts at the last snapshot: whatever the limits, retention keeps the file that holds it and every
     * later one, and a journal without any snapshot is not trimmed at all. A reopened journal finds its last
     * snapshot by searching, as the supervisor's recovery does.
     */
    @Test
    void retentionKeepsTheFileOfTheLastSnapshot() throws IOException {
        final Path dir = temp.resolve("journal");
        final ChronicleJournal.Config tiny = ChronicleJournal.Config.daily()
            .withRetention(1, Duration.ofMillis(1));
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, tiny)) {
            for (long i = 0; i < 3; i++) { // kinds 0, 1, 2: no snapshot yet
                journal.append(entry(i));
                clock.nextDay();
            }
            assertEquals(3, JournalFiles.cycleFiles(dir).size(), "nothing trimmed without a snapshot");
            assertEquals(0, journal.firstIndex());
            journal.append(entry(3)); // the snapshot, rolling into day 4: days 1-3 go
            assertEquals(List.of("20261128F.cq4"),
                JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
            assertEquals(3, journal.firstIndex());
        }
        clock.nextDay();
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, tiny)) {
            journal.append(entry(4)); // rolls into day 5: day 4 holds the last snapshot and stays
            assertEquals(List.of("20261128F.cq4", "20261129F.cq4"),
                JournalFiles.cycleFiles(dir).stream().map(path -> path.getFileName().toString()).toList());
            assertEquals(3, journal.firstIndex());
            try (Journal.Reader reader = journal.reader(journal.lastIndexOf(EntryKinds.SNAPSHOT))) {
                assertEntry(3, reader.next());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ following

    /**
     * A journal being written: the writer is caught between starting a document (its header word says "not
     * complete") and finishing it. A captured-journal open calls that damage; a following open takes it for the
     * entry to come, reads the three before it without complaint, and returns the next entry once it is written.
     */
    @Test
    void followingALiveJournalWaitsOnAHalfWrittenEntryInsteadOfReportingDamage() throws IOException {
        final Path dir = temp.resolve("journal");
        try (ChronicleJournal writer = open(dir)) {
            for (long i = 0; i < 3; i++) {
                writer.append(entry(i));
            }
            final Path file = JournalFiles.cycleFiles(dir).getLast();
            final long end = CycleFileCheck.check(file, ChronicleJournal.OVERLAP_BYTES, true).dataEnd();
            assertTrue(end > 0, "the data end of " + file);
            final byte[] notComplete = {0, 0, 0, (byte) 0x80}; // little-endian NOT_COMPLETE, length unknown yet
            JournalFiles.overwrite(file, end, notComplete);

            try (ChronicleJournal captured = ChronicleJournal.openReadOnly(dir)) {
                final JournalCheck.Problem problem = captured.problems().problems().getFirst();
                assertEquals(end, problem.offset());
                assertTrue(problem.message().contains("unfinished document"), problem.message());
            }
            try (ChronicleJournal following = ChronicleJournal.openFollowing(dir);
                 Journal.Reader reader = following.reader(0)) {
                assertTrue(following.problems().clean(), following.problems().problems().toString());
                for (long i = 0; i < 3; i++) {
                    assertEntry(i, reader.next());
                }
                assertNull(reader.next(), "the half-written entry is not returned");

                JournalFiles.overwrite(file, end, new byte[4]); // as if the writer had not started it yet
                writer.append(entry(3));
                assertEntry(3, reader.next());
                assertNull(reader.next());
                assertTrue(following.problems().clean(), following.problems().problems().toString());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ damage

    /**
     * A truncated last file (here cut in the middle of entry 15, as an interrupted copy leaves it): Chronicle would
     * map 80 MiB of a file that has a few kilobytes. The check finds the cut before Chronicle maps anything; the
     * file moves aside, its five whole entries come back, and the journal goes on at 15.
     */
    @Test
    void aTruncatedFileIsMovedAsideAndItsWholeEntriesKept() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 20, 10);
        final Path last = JournalFiles.cycleFiles(dir).getLast();
        assertEquals(ChronicleJournal.BLOCK_BYTES + ChronicleJournal.OVERLAP_BYTES, Files.size(last),
            "a complete Chronicle file: block + overlap");
        final List<Long> offsets = JournalFiles.entryOffsets(last);
        assertEquals(10, offsets.size());
        final long cut = offsets.get(5) + 20; // inside entry 15
        JournalFiles.truncate(last, cut);

        final Path copy = temp.resolve("captured");
        JournalFiles.sparseCopy(dir, copy);
        final Map<String, String> before = JournalFiles.snapshot(copy);
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(copy)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(copy.resolve(last.getFileName()), problem.file());
            assertEquals(offsets.get(5), problem.offset());
            assertTrue(problem.message().contains("truncated"), problem.message());
            assertEquals(15, journal.nextIndex());
            assertEntries(journal, 0, 15);
        }
        assertEquals(before, JournalFiles.snapshot(copy), "a read-only open moves and writes nothing");

        try (ChronicleJournal journal = open(dir)) {
            final List<JournalCheck.Problem> problems = journal.problems().problems();
            assertEquals(last, problems.getFirst().file());
            assertEquals(offsets.get(5), problems.getFirst().offset());
            assertTrue(problems.getFirst().message().contains("truncated inside the document at offset "
                + offsets.get(5)), problems.getFirst().message());
            final Path moved = JournalFiles.damagedDir(dir).resolve(last.getFileName());
            assertEquals(cut, Files.size(moved), "the damaged file is kept as it was");
            assertTrue(Files.readString(moved.resolveSibling(JournalSalvage.REASON_FILE)).contains("truncated"));
            assertTrue(problems.stream().anyMatch(p -> p.message().contains("kept its 5 valid entries (index 10 to "
                + "14)")), problems.toString());
            assertEquals(15, journal.nextIndex());
            assertEntries(journal, 0, 15);
            assertEquals(15, journal.append(entry(15)));
            assertEntries(journal, 12, 16);
        }
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEntries(journal, 0, 16);
        }
    }

    @Test
    void anOlderTruncatedFileEndsTheValidPrefixAndTakesTheLaterFilesAside() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 12, 4);
        final Path middle = JournalFiles.cycleFiles(dir).get(1);
        JournalFiles.truncate(middle, 1_000); // inside Chronicle's index arrays: no entry of it survives
        try (ChronicleJournal journal = open(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(middle, problem.file());
            assertTrue(problem.message().contains("truncated"), problem.message());
            assertEquals(4, journal.nextIndex());
            assertEntries(journal, 0, 4);
            assertEquals(2, JournalFiles.cycleFiles(JournalFiles.damagedDir(dir)).size());
            assertEquals(4, journal.append(entry(4)));
            assertEntries(journal, 0, 5);
        }
    }

    @Test
    void anEmptyFileIsMovedAside() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 3, 1_000);
        clock.nextDay();
        final Path empty = Files.createFile(dir.resolve("20261126F.cq4"));
        try (ChronicleJournal journal = open(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(empty, problem.file());
            assertTrue(problem.message().contains("empty (0 bytes)"), problem.message());
            assertEquals(3, journal.nextIndex());
            assertEquals(3, journal.append(entry(3)));
            assertEntries(journal, 0, 4);
        }
    }

    @Test
    void aTruncatedMetadataFileIsReportedAndTheEntriesStillRead() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 5, 1_000);
        final Path metadata = dir.resolve(JournalDirectory.METADATA_FILE);
        JournalFiles.truncate(metadata, 100);
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(metadata, problem.file());
            assertTrue(problem.message().contains("truncated: 100 bytes"), problem.message());
            assertEntries(journal, 0, 5);
        }
        assertEquals(100, Files.size(metadata), "read-only: left as it was");
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(metadata, journal.problems().problems().getFirst().file());
            assertEquals(100, Files.size(JournalFiles.damagedDir(dir).resolve(JournalDirectory.METADATA_FILE)));
            assertEntries(journal, 0, 5);
            assertEquals(5, journal.append(entry(5)));
        }
    }

    /**
     * Bytes overwritten in the middle of entry 7's payload: Chronicle still reads a well-formed document, so only
     * the entry's checksum can tell. Reading stops after entry 6; the writable open keeps 0-6 and goes on at 7.
     */
    @Test
    void bytesOverwrittenInsideAnEntryStopReadingAtTheEntryBefore() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 12, 1_000);
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        final long offset = JournalFiles.entryOffsets(file).get(7);
        JournalFiles.overwrite(file, offset + 4 + 60, "garbage".getBytes(StandardCharsets.US_ASCII));

        final Path copy = temp.resolve("captured");
        JournalFiles.sparseCopy(dir, copy);
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(copy)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(copy.resolve(file.getFileName()), problem.file());
            assertEquals(7, problem.index());
            assertEquals(offset, problem.offset());
            assertTrue(problem.message().contains("checksum mismatch"), problem.message());
            assertEquals(7, journal.nextIndex());
            assertEntries(journal, 0, 7);
            assertEquals(1, journal.problems().problems().size(), "the reader's stop is the same problem");
        }

        try (ChronicleJournal journal = open(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(file, problem.file());
            assertEquals(7, problem.index());
            assertEquals(offset, problem.offset());
            assertEquals(7, journal.nextIndex());
            assertEntries(journal, 0, 7);
            assertEquals(7, journal.append(entry(7)));
            assertEntries(journal, 0, 8);
        }
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEquals(8, journal.nextIndex());
        }
    }

    /**
     * An entry of a schema version no mcrelay ever wrote (0, checksum intact) between entries of this one: it is
     * damage, reported as an unknown schema version, and reading stops before it.
     */
    @Test
    void aSchemaVersionNoMcrelayWroteIsDamage() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 10, 1_000);
        appendRaw(dir, withSchema(10, 0), encoded(11), encoded(12));
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        final long offset = JournalFiles.entryOffsets(file).get(10);

        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(file, problem.file());
            assertEquals(10, problem.index());
            assertEquals(offset, problem.offset());
            assertTrue(problem.message().contains("unknown schema version 0"), problem.message());
            assertEntries(journal, 0, 10);
            assertEntries(journal, 8, 10);
        }
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(10, journal.problems().problems().getFirst().index());
            assertEquals(10, journal.nextIndex());
            assertEntries(journal, 0, 10);
            assertEquals(10, journal.append(entry(10)));
            assertEntries(journal, 0, 11);
            assertEquals(13, JournalFiles.entryOffsets(JournalFiles.damagedDir(dir).resolve(file.getFileName()))
                .size(), "the moved file still holds all 13 documents");
        }
    }

    /**
     * An entry a newer mcrelay wrote (schema 99, checksum intact) after entries of this one: not damage. Every open
     * refuses the journal naming both versions, and the writable open (the daemon's) changes no byte, no file and no
     * modification time in the directory: no file moved aside, no salvage, no retention, no Chronicle bookkeeping.
     */
    @Test
    void aNewerSchemaVersionIsRefusedNamingBothVersionsAndNoFileIsTouched() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 10, 1_000);
        appendRaw(dir, withSchema(10, 99), withSchema(11, 99));
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        final long offset = JournalFiles.entryOffsets(file).get(10);
        final Map<String, String> before = JournalFiles.snapshot(dir);

        final NewerSchemaException writable = assertThrows(NewerSchemaException.class, () -> open(dir));
        assertEquals(99, writable.version());
        assertTrue(writable.getMessage().contains("schema version 99") && writable.getMessage().contains(
            "schema version " + JournalSchema.VERSION), writable.getMessage());
        assertTrue(writable.getMessage().contains(file + "") && writable.getMessage().contains("offset " + offset),
            writable.getMessage());
        assertEquals(before, JournalFiles.snapshot(dir), "the refused open changed nothing");

        final NewerSchemaException readOnly = assertThrows(NewerSchemaException.class,
            () -> ChronicleJournal.openReadOnly(dir));
        assertTrue(readOnly.getMessage().contains("entry 10"), readOnly.getMessage());
        assertEquals(before, JournalFiles.snapshot(dir));
    }

    /**
     * An entry of schema version 1 (as releases up to e908fe1 wrote them) among entries of this version: read with
     * its version, which the payload is decoded by; the daemon's open accepts it and appends after it.
     */
    @Test
    void anOlderSchemaVersionIsReadAndReturnedWithItsVersion() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 10, 1_000);
        appendRaw(dir, withSchema(10, 1), encoded(11));
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEquals(12, journal.nextIndex());
            assertEquals(12, journal.append(entry(12)));
            try (Journal.Reader reader = journal.reader(9)) {
                assertEquals(JournalSchema.VERSION, reader.next().schemaVersion());
                final Journal.IndexedEntry old = reader.next();
                assertEntry(10, old);
                assertEquals(1, old.schemaVersion());
                assertEquals(JournalSchema.VERSION, reader.next().schemaVersion());
                assertEquals(JournalSchema.VERSION, reader.next().schemaVersion());
            }
            assertEquals(11, journal.lastIndexOf(3));
        }
    }

    /**
     * A newer entry inside an older file, where an open does not look (it reads only the first entry of older
     * files): the reader that reaches it throws, so no caller takes the entries before it for the whole journal.
     */
    @Test
    void aReaderThatReachesANewerEntryThrowsInsteadOfStopping() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 8, 4);
        final Path first = JournalFiles.cycleFiles(dir).getFirst();
        final int newer = io.mcrelay.entries.JournalSchema.VERSION + 1;
        JournalFiles.restamp(first, JournalFiles.entryOffsets(first).get(2), newer);
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            assertEntries(journal, 4, 8);
            try (Journal.Reader reader = journal.reader(0)) {
                assertEntry(0, reader.next());
                assertEntry(1, reader.next());
                final NewerSchemaException e = assertThrows(NewerSchemaException.class, reader::next);
                assertTrue(e.getMessage().contains("entry 2") && e.getMessage().contains("schema version " + newer),
                    e.getMessage());
                assertNull(reader.next(), "a reader that stopped stays stopped");
            }
            assertThrows(NewerSchemaException.class, () -> journal.lastIndexOf(9), "the search from the end too");
        }
    }

    /**
     * Salvage appends the valid entries of a damaged file again byte for byte: an entry of an older schema version
     * keeps its version (re-encoding would have stamped it with this one's).
     */
    @Test
    void salvagedEntriesKeepTheSchemaVersionTheyWereWrittenIn() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 6, 1_000);
        appendRaw(dir, withSchema(6, 1), encoded(7));
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        JournalFiles.overwrite(file, JournalFiles.entryOffsets(file).get(7) + 20, new byte[] {0x55});
        try (ChronicleJournal journal = open(dir)) {
            assertEquals(7, journal.problems().problems().getFirst().index());
            assertEquals(7, journal.nextIndex());
            try (Journal.Reader reader = journal.reader(5)) {
                assertEquals(JournalSchema.VERSION, reader.next().schemaVersion());
                final Journal.IndexedEntry old = reader.next();
                assertEntry(6, old);
                assertEquals(1, old.schemaVersion(), "kept as written");
                assertNull(reader.next());
            }
        }
        final Path live = JournalFiles.cycleFiles(dir).getFirst();
        assertEquals(1, JournalFiles.schemaAt(live, JournalFiles.entryOffsets(live).get(6)));
    }

    /**
     * A damaged document header (a length word claiming a gigabyte) in an older file: a read-only Chronicle mapping
     * would fault reading past the end of the file. The walk finds it first; the JVM is untouched.
     */
    @Test
    void aDamagedLengthWordIsFoundBeforeChronicleFollowsIt() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 8, 4);
        final Path first = JournalFiles.cycleFiles(dir).getFirst();
        final long offset = JournalFiles.entryOffsets(first).get(2);
        JournalFiles.overwrite(first, offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(0, 0x3FFF_FFF0).array());
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(dir)) {
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(first, problem.file());
            assertEquals(offset, problem.offset());
            assertTrue(problem.message().contains("claims"), problem.message());
            assertEquals(2, journal.nextIndex());
            assertEntries(journal, 0, 2);
        }
    }

    /**
     * A zeroed document header in an older file, which a writable open does not walk: Chronicle then sees "nothing
     * written yet" in the middle of the journal. A reader knows entries exist beyond and reports the gap; readers
     * positioned after it are unaffected.
     */
    @Test
    void damageInAnOlderFileIsReportedByTheReaderThatReachesIt() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 0, 8, 4);
        final Path first = JournalFiles.cycleFiles(dir).getFirst();
        JournalFiles.overwrite(first, JournalFiles.entryOffsets(first).get(2), new byte[4]);
        try (ChronicleJournal journal = open(dir)) {
            assertTrue(journal.problems().clean(), "an open reads only the first entry of older files");
            assertEquals(8, journal.nextIndex());
            assertEntries(journal, 4, 8);
            assertEquals(7, journal.lastIndexOf(3), "found from the end, before the damage");
            try (Journal.Reader reader = journal.reader(0)) {
                assertEntry(0, reader.next());
                assertEntry(1, reader.next());
                assertNull(reader.next());
                assertNull(reader.next(), "a reader that stopped stays stopped");
            }
            final JournalCheck.Problem problem = journal.problems().problems().getFirst();
            assertEquals(first, problem.file());
            assertEquals(2, problem.index());
            assertTrue(problem.message().contains("damaged document header"), problem.message());
            assertEquals(-1, journal.lastIndexOf(9), "the search from the end stops at the damage");
        }
    }

    /** Appends raw documents to the journal's newest file with Chronicle directly, as another writer would. */
    private void appendRaw(final Path dir, final byte[]... documents) {
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir).rollCycle(RollCycles.FAST_DAILY)
            .blockSize(ChronicleJournal.BLOCK_BYTES).timeProvider(() -> clock.epochMillis).build();
             ExcerptAppender appender = queue.createAppender()) {
            for (final byte[] document : documents) {
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(document);
                }
            }
        }
    }

    private static byte[] encoded(final long index) {
        final JournalEntryCodec codec = new JournalEntryCodec(ChronicleJournal.DOCUMENT_BYTES_MAX);
        final int length = codec.encode(index, entry(index));
        return java.util.Arrays.copyOf(codec.buffer(), length);
    }

    /** Entry {@code index} as a writer of schema {@code version} would store it, with a checksum that holds. */
    private static byte[] withSchema(final long index, final int version) {
        final byte[] document = encoded(index);
        final ByteBuffer bytes = ByteBuffer.wrap(document).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putInt(JournalEntryCodec.SCHEMA_OFFSET, version);
        final CRC32C crc = new CRC32C();
        crc.update(document, JournalEntryCodec.SCHEMA_OFFSET, document.length - JournalEntryCodec.SCHEMA_OFFSET);
        bytes.putInt(JournalEntryCodec.CRC_OFFSET, (int) crc.getValue());
        return document;
    }
}
