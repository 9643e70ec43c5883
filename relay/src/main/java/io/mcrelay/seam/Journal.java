package io.mcrelay.seam;

import java.util.Objects;

/**
 * The supervisor's journal: every input its core consumes and every output it produces, in order. Production:
 * Chronicle Queue; simulation: in memory (or Chronicle in a temporary directory).
 *
 * <p>Contract: {@link #append} assigns consecutive indices starting at {@link #firstIndex()}; a reader from index
 * {@code n} returns the entries from {@code n} on, in append order, with the bytes that were appended and the schema
 * version they were written in; entries appended after a reader was opened are seen by it. An entry the journal
 * cannot take is refused with an {@link UnwritableException}, and nothing of it is written; {@link #health()} then
 * says why until the journal takes entries again.
 */
public interface Journal extends AutoCloseable {
    /** Whether the journal takes entries: {@code ok}, {@code full} (no space), {@code failed} (it cannot be written). */
    enum State {
        OK, FULL, FAILED;

        /** The word {@code ping} and {@code stats} use. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The journal's state, and why it is not {@code ok} ({@code null} when it is). */
    record Health(State state, String reason) {
        public static final Health OK = new Health(State.OK, null);

        public Health {
            Objects.requireNonNull(state, "state");
            if ((state == State.OK) != (reason == null)) {
                throw new IllegalArgumentException("a reason is given exactly when the journal is not ok: " + state
                    + ", " + reason);
            }
        }

        public boolean isOk() {
            return state == State.OK;
        }
    }

    /**
     * An entry the journal could not take: nothing of it was written. Thrown without a stack trace (a full disk
     * refuses every entry until space comes back).
     */
    final class UnwritableException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Health health;

        public UnwritableException(final Health health) {
            super(health.reason(), null, false, false);
            if (health.isOk()) {
                throw new IllegalArgumentException("an ok journal refuses nothing");
            }
            this.health = health;
        }

        /** Why: {@code full} or {@code failed}, and the reason. */
        public Health health() {
            return health;
        }
    }

    /**
     * One entry.
     *
     * @param timeNs     the core's monotonic time when it consumed or produced the entry
     * @param wallMillis wall-clock time, for people reading the journal
     * @param kind       what the payload is (a client request, a worker message, a timer expiry, an output...)
     * @param source     who it came from or goes to ({@code client:7}, {@code worker:2}, {@code timer})
     */
    record Entry(long timeNs, long wallMillis, int kind, String source, byte[] payload) {
        public Entry {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(payload, "payload");
        }
    }

    /** Reads entries in order. */
    interface Reader extends AutoCloseable {
        /** The next entry's index and content, or {@code null} when there is none yet. */
        IndexedEntry next();

        @Override
        void close();
    }

    /**
     * An entry with its index and the journal schema version it was written in: the version this code writes for
     * an entry appended by it, an older one for an entry an older release wrote (the versions and what they mean are
     * in {@code io.mcrelay.entries.JournalSchema}). Payloads are decoded by that version.
     */
    record IndexedEntry(long index, Entry entry, int schemaVersion) {
        public IndexedEntry {
            Objects.requireNonNull(entry, "entry");
            if (schemaVersion < 1) {
                throw new IllegalArgumentException("schema versions start at 1, not " + schemaVersion);
            }
        }
    }

    /**
     * Appends an entry and returns its index.
     *
     * @throws UnwritableException if the journal cannot take it (nothing of it was written)
     */
    long append(Entry entry);

    /** Whether the journal takes entries now, and why not. */
    default Health health() {
        return Health.OK;
    }

    /** How many gaps (stretches of entries it could not take) the journal has marked so far; a snapshot follows each. */
    default long gapsMarked() {
        return 0;
    }

    /** The index the first entry has (or will have). */
    long firstIndex();

    /** The index the next appended entry will have. */
    long nextIndex();

    /** A reader positioned at {@code fromIndex} (clamped to {@link #firstIndex()}). */
    Reader reader(long fromIndex);

    /**
     * The index of the last entry of {@code kind}, or -1 if there is none: where recovery starts (the last snapshot),
     * so that it does not read the whole journal. Implementations search from the end.
     */
    long lastIndexOf(int kind);

    @Override
    void close();
}
