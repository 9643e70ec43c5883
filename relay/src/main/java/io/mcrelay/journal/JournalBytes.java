package io.mcrelay.journal;

import java.nio.file.Path;

/**
 * How many bytes a journal's files hold: for measuring how fast a journal grows (the simulator's budget for an idle
 * daemon). Stateless; reads the files, changes nothing.
 */
public final class JournalBytes {
    private JournalBytes() {
    }

    /**
     * The bytes the cycle files of the journal in {@code dir} hold up to the end of their written data: every document
     * with its header word and padding, and Chronicle's own header and index documents, as the files hold them (not
     * the space Chronicle reserves ahead). Reads each file's store header and last document, no walk; safe while the
     * journal is open for writing in this thread.
     *
     * @throws IllegalStateException if a file fails that check (it cannot be measured)
     */
    public static long written(final Path dir) {
        long total = 0;
        for (final Path file : JournalDirectory.cycleFiles(dir)) {
            final CycleFileCheck.Result result = CycleFileCheck.check(file, ChronicleJournal.OVERLAP_BYTES, false);
            if (!result.ok()) {
                throw new IllegalStateException("journal file " + file + " " + result.problem());
            }
            total += result.dataEnd();
        }
        return total;
    }
}
