package io.mcrelay.journal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ChronicleJournal} found wrong with its files: when it opened them, and since then while reading.
 * Damage never stops the journal from opening; it ends the journal's valid prefix instead, so the daemon logs these
 * problems and starts from what is left.
 *
 * <p>An immutable snapshot: {@link ChronicleJournal#problems()} returns a new one each time.
 *
 * @param problems in the order found
 */
public record JournalCheck(List<Problem> problems) {
    public JournalCheck {
        problems = List.copyOf(problems);
    }

    /**
     * One problem.
     *
     * @param file    the journal file it is in (for a file that was moved aside, where it was)
     * @param index   the journal index of the entry concerned, or -1 if the problem is not one entry's
     * @param offset  the byte offset in {@code file} where the damage is, or -1 if not known
     * @param message what is wrong and what was done about it
     */
    public record Problem(Path file, long index, long offset, String message) {
        public Problem {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(message, "message");
            if (index < -1 || offset < -1) {
                throw new IllegalArgumentException("index " + index + " and offset " + offset + " must be >= -1");
            }
        }

        /** {@code /var/lib/mcrelay/journal/20261125F.cq4: entry 12 at offset 65808: checksum mismatch ...}. */
        @Override
        public String toString() {
            final StringBuilder sb = new StringBuilder().append(file).append(':');
            if (index >= 0) {
                sb.append(" entry ").append(index);
            }
            if (offset >= 0) {
                sb.append(" at offset ").append(offset);
            }
            return sb.append(index >= 0 || offset >= 0 ? ": " : " ").append(message).toString();
        }
    }

    /** Whether nothing is wrong. */
    public boolean clean() {
        return problems.isEmpty();
    }
}
