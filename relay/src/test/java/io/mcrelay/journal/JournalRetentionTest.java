package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Retention's choice, as a function of the files, the limits and the time: oldest first, by age or by the bytes
 * written, never the file being written nor the one the last snapshot is in nor any later one, nothing at all
 * without a snapshot, and never a file of another roll's name. (Deleting on real files after a roll is in
 * {@link ChronicleJournalTest}.)
 */
class JournalRetentionTest {
    private static final long DAY_MILLIS = 86_400_000L;

    private static JournalRetention retention(final long bytesMax, final Duration ageMax) {
        return new JournalRetention(ChronicleJournal.Config.daily().withRetention(bytesMax, ageMax), DAY_MILLIS, 0);
    }

    /** Daily files for cycles {@code from..to}, 100 bytes each. */
    private static List<JournalRetention.CycleFile> days(final int from, final int to) {
        return java.util.stream.IntStream.rangeClosed(from, to)
            .mapToObj(cycle -> new JournalRetention.CycleFile(Path.of("day-" + cycle + ".cq4"), cycle, 100))
            .toList();
    }

    private static List<Integer> cycles(final List<JournalRetention.CycleFile> files) {
        return files.stream().map(JournalRetention.CycleFile::cycle).toList();
    }

    @Test
    void withoutLimitsNothingIsChosen() {
        final JournalRetention unlimited = retention(ChronicleJournal.Config.UNLIMITED_BYTES,
            ChronicleJournal.Config.UNLIMITED_AGE);
        assertTrue(unlimited.unlimited());
        assertEquals(List.of(), unlimited.select(days(0, 9), 9, 9, 100 * DAY_MILLIS));
    }

    @Test
    void filesWhoseDayEndedLongerAgoThanTheLimitGoOldestFirst() {
        final JournalRetention twoDays = retention(ChronicleJournal.Config.UNLIMITED_BYTES, Duration.ofDays(2));
        // Now is the start of day 10: days 0..7 ended at least two days ago, day 8 ended one day ago.
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), cycles(twoDays.select(days(0, 10), 10, 10, 10 * DAY_MILLIS)));
    }

    @Test
    void bytesOverTheLimitDeleteOldestFirstUntilTheRestFits() {
        final JournalRetention threeHundred = retention(300, ChronicleJournal.Config.UNLIMITED_AGE);
        assertEquals(List.of(0, 1), cycles(threeHundred.select(days(0, 4), 4, 4, 5 * DAY_MILLIS)));
    }

    @Test
    void neverTheCurrentFileNorTheSnapshotsFileNorAnyLaterOne() {
        final JournalRetention tiny = retention(1, Duration.ofMillis(1));
        assertEquals(List.of(0, 1), cycles(tiny.select(days(0, 4), 4, 2, 100 * DAY_MILLIS)),
            "the snapshot is in day 2: days 2, 3 and 4 stay");
        assertEquals(List.of(0, 1, 2, 3), cycles(tiny.select(days(0, 4), 4, 4, 100 * DAY_MILLIS)),
            "the snapshot is in the current file: it alone stays");
        assertEquals(List.of(), cycles(tiny.select(days(0, 4), 4, Integer.MIN_VALUE, 100 * DAY_MILLIS)),
            "without a snapshot recovery reads from the first entry: nothing goes");
    }

    @Test
    void aFileOfAnotherRollsNameIsNeverChosenAndDoesNotStopTheOthers() {
        final List<JournalRetention.CycleFile> files = new java.util.ArrayList<>(days(0, 3));
        files.add(1, new JournalRetention.CycleFile(Path.of("20261125T10.cq4"), Integer.MIN_VALUE, 100));
        final JournalRetention tiny = retention(1, Duration.ofMillis(1));
        final List<JournalRetention.CycleFile> chosen = tiny.select(files, 3, 3, 100 * DAY_MILLIS);
        assertEquals(List.of(0, 1, 2), cycles(chosen));
    }
}
