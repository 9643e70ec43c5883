package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.openhft.chronicle.queue.RollCycles;

import io.mcrelay.seam.Journal;

/**
 * Salvage on its own: files moved aside into a directory named by the clock with a note of why (a second move of
 * the same name in one open kept beside the first), the valid entries of a damaged file handed back byte for byte in
 * order up to the damage, and a read-only view that links the good files and copies the valid part, changing nothing.
 * (Salvage as part of opening a damaged journal is in {@link ChronicleJournalTest}.)
 */
class JournalSalvageTest {
    @TempDir
    Path temp;

    private final JournalFiles.TestClock clock = new JournalFiles.TestClock();
    private final List<JournalCheck.Problem> problems = new ArrayList<>();

    /** Writes entries 0..count-1 into {@code dir}, one file per {@code perDay}. */
    private void write(final Path dir, final int count, final int perDay) {
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily())) {
            for (int i = 0; i < count; i++) {
                if (i > 0 && i % perDay == 0) {
                    clock.nextDay();
                }
                journal.append(new Journal.Entry(i, clock.epochMillis, 100, "test",
                    ("entry-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void quarantineMovesTheFileAndEveryLaterOneAsideSayingWhy() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 6, 2);
        final List<Path> files = JournalFiles.cycleFiles(dir);
        assertEquals(3, files.size());
        final JournalSalvage salvage = new JournalSalvage(dir, clock, problems);
        final CycleFileCheck.Result check = CycleFileCheck.check(files.get(1), ChronicleJournal.OVERLAP_BYTES, true);

        final JournalSalvage.Moved moved = salvage.quarantine(files, 1, "the file is damaged here", check);

        assertEquals(List.of(files.getFirst()), JournalFiles.cycleFiles(dir), "only the file before stays");
        final Path target = JournalFiles.damagedDir(dir);
        assertEquals("20261127T010000.000Z", target.getFileName().toString(), "named by the journal's clock");
        assertEquals(target.resolve(files.get(1).getFileName()), moved.movedFile());
        assertTrue(Files.exists(moved.movedFile()) && Files.exists(target.resolve(files.get(2).getFileName())));
        final String reason = Files.readString(target.resolve(JournalSalvage.REASON_FILE));
        assertTrue(reason.contains(files.get(1).getFileName() + ": the file is damaged here"), reason);
        assertTrue(reason.contains(files.get(2).getFileName() + ": follows " + files.get(1).getFileName()), reason);
        assertTrue(problems.getFirst().message().contains("with the 1 later file(s)"), problems.toString());

        // The same name moved again in the same open (a file of that day made anew, then found damaged too).
        Files.writeString(dir.resolve(files.get(1).getFileName()), "again");
        salvage.moveAside(List.of(dir.resolve(files.get(1).getFileName())), "damaged again");
        assertEquals("again", Files.readString(target.resolve(files.get(1).getFileName() + ".2")));
        assertTrue(Files.readString(target.resolve(JournalSalvage.REASON_FILE)).contains(files.get(1).getFileName()
            + ".2: damaged again"));
    }

    @Test
    void theValidEntriesOfAMovedFileAreHandedBackByteForByteUpToTheDamage() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 5, 1_000);
        final Path file = JournalFiles.cycleFiles(dir).getFirst();
        final List<Long> offsets = JournalFiles.entryOffsets(file);
        final byte[] whole = Files.readAllBytes(file);
        JournalFiles.truncate(file, offsets.get(3) + 10); // entry 3 cut short: entries 0, 1 and 2 are whole
        final CycleFileCheck.Result check = CycleFileCheck.check(file, ChronicleJournal.OVERLAP_BYTES, true);
        assertFalse(check.ok());
        final JournalSalvage salvage = new JournalSalvage(dir, clock, problems);
        final JournalSalvage.Moved moved = salvage.quarantine(List.of(file), 0, "truncated", check);

        final List<Long> indices = new ArrayList<>();
        final List<byte[]> documents = new ArrayList<>();
        salvage.appendValidPrefix(moved, 0, true, RollCycles.FAST_DAILY, new WallTime(clock),
            (entry, document, length) -> {
                indices.add(entry.index());
                documents.add(Arrays.copyOf(document, length));
            });

        assertEquals(List.of(0L, 1L, 2L), indices);
        for (int i = 0; i < 3; i++) {
            final int from = (int) (long) offsets.get(i) + CycleFileCheck.HEADER_WORD_BYTES;
            assertArrayEquals(Arrays.copyOfRange(whole, from, from + documents.get(i).length), documents.get(i),
                "entry " + i + " as it was written");
        }
        assertTrue(problems.getLast().message().contains("kept its 3 valid entries (index 0 to 2)"),
            problems.toString());
        try (var list = Files.list(moved.movedFile().getParent())) {
            assertTrue(list.noneMatch(path -> path.getFileName().toString().startsWith(".salvage-")),
                "the work copy is gone");
        }
    }

    @Test
    void aReadOnlyViewLinksTheGoodFilesAndCopiesTheValidPartChangingNothing() throws IOException {
        final Path dir = temp.resolve("journal");
        write(dir, 4, 2);
        final List<Path> files = JournalFiles.cycleFiles(dir);
        JournalFiles.truncate(files.get(1), JournalFiles.entryOffsets(files.get(1)).get(1) + 10);
        final var before = JournalFiles.snapshot(dir);
        final CycleFileCheck.Result check = CycleFileCheck.check(files.get(1), ChronicleJournal.OVERLAP_BYTES, true);
        final JournalSalvage readOnly = new JournalSalvage(dir, null, problems);

        final Path shadow = readOnly.shadow(files, 1, check);
        try {
            assertTrue(Files.isSymbolicLink(shadow.resolve(files.get(0).getFileName())));
            final Path copy = shadow.resolve(files.get(1).getFileName());
            assertFalse(Files.isSymbolicLink(copy));
            assertEquals(List.of(JournalFiles.entryOffsets(files.get(1)).getFirst()), JournalFiles.entryOffsets(copy),
                "the copy holds the whole entry before the damage");
            assertTrue(problems.getFirst().message().contains("read-only: left in place"), problems.toString());
            assertEquals(before, JournalFiles.snapshot(dir));
        } finally {
            JournalDirectory.deleteTree(shadow);
        }
    }
}
