package io.mcrelay.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Which whole cycle files a journal deletes after a roll: oldest first, while the files' written bytes exceed
 * {@link ChronicleJournal.Config#retainBytesMax()} or a file's cycle ended more than
 * {@link ChronicleJournal.Config#retainAgeMax()} ago. Deleted, not moved: retention exists to bound disk use.
 * Never the file being written, nor the file recovery starts in (the last snapshot's), nor any later file.
 *
 * <p>The choice ({@link #select}) is a function of its arguments; {@link #apply} measures the files and deletes
 * what was chosen, and {@link ChronicleJournal} then moves its first index. Immutable.
 */
final class JournalRetention {
    /**
     * One cycle file as retention sees it.
     *
     * @param cycle        the cycle its name stands for, or {@link Integer#MIN_VALUE} if the name is not one of this
     *                     journal's roll (not ours to delete)
     * @param writtenBytes the bytes it holds up to the end of its written data (its length if that is unknown)
     */
    record CycleFile(Path path, int cycle, long writtenBytes) {
    }

    private final long retainBytesMax;
    private final long retainAgeMaxMillis;
    private final long cycleLengthMillis;
    private final long epochMillis;

    /**
     * @param settings          the limits
     * @param cycleLengthMillis how long one cycle (one file) lasts
     * @param epochMillis       when cycle 0 started (Chronicle's queue epoch)
     */
    JournalRetention(final ChronicleJournal.Config settings, final long cycleLengthMillis, final long epochMillis) {
        assert cycleLengthMillis > 0 : cycleLengthMillis;
        this.retainBytesMax = settings.retainBytesMax();
        this.retainAgeMaxMillis = settings.retainAgeMaxMillis();
        this.cycleLengthMillis = cycleLengthMillis;
        this.epochMillis = epochMillis;
    }

    /** Whether no limit is set: nothing is ever deleted, and nothing need be measured. */
    boolean unlimited() {
        return retainBytesMax == ChronicleJournal.Config.UNLIMITED_BYTES && retainAgeMaxMillis == Long.MAX_VALUE;
    }

    /**
     * The files to delete, oldest first.
     *
     * @param files         every cycle file of the journal, in cycle order
     * @param currentCycle  the cycle being written
     * @param keepFromCycle the cycle of the file holding the last snapshot ({@link Integer#MIN_VALUE} if there is
     *                      none: then nothing is deleted, since recovery reads from the first entry)
     * @param nowMillis     the journal's wall-clock time
     */
    List<CycleFile> select(final List<CycleFile> files, final int currentCycle, final int keepFromCycle,
                           final long nowMillis) {
        long total = 0;
        for (final CycleFile file : files) {
            total += Math.max(0, file.writtenBytes());
        }
        final List<CycleFile> doomed = new ArrayList<>();
        for (final CycleFile file : files) {
            if (file.cycle() == Integer.MIN_VALUE) {
                continue; // not a file of this journal's roll cycle: not ours to delete
            }
            if (file.cycle() >= currentCycle || file.cycle() >= keepFromCycle) {
                break; // never the file being written, nor the one recovery starts in, nor any after it
            }
            final long endMillis = (file.cycle() + 1L) * cycleLengthMillis + epochMillis;
            final boolean tooOld = retainAgeMaxMillis != Long.MAX_VALUE && nowMillis - endMillis >= retainAgeMaxMillis;
            final boolean tooBig = total > retainBytesMax;
            if (!tooOld && !tooBig) {
                break; // files are in cycle order: every later one is younger, and the total is within bounds
            }
            doomed.add(file);
            total -= Math.max(0, file.writtenBytes());
        }
        assert doomed.stream().noneMatch(f -> f.cycle() >= currentCycle) : "retention chose the current file";
        return doomed;
    }

    /**
     * Measures {@code files} (every cycle file, in cycle order), deletes those {@link #select} chooses and returns
     * their cycles.
     *
     * @param cycleOf the cycle a file's name stands for, {@link Integer#MIN_VALUE} for a name of another roll
     * @throws UncheckedIOException if a chosen file cannot be deleted
     */
    List<Integer> apply(final Path dir, final List<Path> files, final ToIntFunction<Path> cycleOf,
                        final int currentCycle, final int keepFromCycle, final long nowMillis) {
        final List<Integer> deleted = new ArrayList<>();
        for (final CycleFile file : select(measure(files, cycleOf), currentCycle, keepFromCycle, nowMillis)) {
            try {
                Files.deleteIfExists(file.path());
            } catch (final IOException e) {
                throw new UncheckedIOException("journal " + dir + ": retention cannot delete " + file.path() + ": "
                    + e.getMessage(), e);
            }
            deleted.add(file.cycle());
        }
        return deleted;
    }

    /** Each file's written bytes, from a quick check of its header (its length if the check cannot tell). */
    static List<CycleFile> measure(final List<Path> files, final ToIntFunction<Path> cycleOf) {
        final List<CycleFile> measured = new ArrayList<>(files.size());
        for (final Path file : files) {
            final CycleFileCheck.Result check = CycleFileCheck.check(file, ChronicleJournal.OVERLAP_BYTES, false);
            final long bytes = check.dataEnd() >= 0 ? check.dataEnd() + CycleFileCheck.HEADER_WORD_BYTES
                : check.length();
            measured.add(new CycleFile(file, cycleOf.applyAsInt(file), bytes));
        }
        return measured;
    }
}
