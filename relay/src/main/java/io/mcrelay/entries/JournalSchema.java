package io.mcrelay.entries;

import io.mcrelay.protocol.CodecException;

/**
 * The journal's schema versions. A journal entry carries the version it was written in (in its envelope, see
 * {@code io.mcrelay.journal.ChronicleJournal}); the version covers the envelope's layout and the payload encodings of
 * the entries the core writes ({@link EntryKinds}).
 *
 * <ul>
 *   <li><b>1</b>: written by releases up to e908fe1. Commits and snapshots hold worker-channel frames ({@code Apply},
 *       {@code Sync}); read by the frozen decoder {@link SchemaV1}.</li>
 *   <li><b>2</b>: the same envelope; commits, limits and snapshots in the journal's own encoding
 *       ({@link CommitEntry}, {@link LimitsEntry}, {@link SnapshotEntry}, rules in {@link JournalRules}).</li>
 *   <li><b>3</b>: the entries of 2, unchanged; the recorded frames changed: heartbeats carry per-input counts and
 *       the {@code no_buffer_space} drops (worker protocol 2), and {@code stats} answers carry {@code inputs[]} and the
 *       new drop reasons (control protocol 2).</li>
 *   <li><b>4</b>: the entries of 3, unchanged; the recorded acks and heartbeats carry ruleset hashes that cover the
 *       inputs a worker holds, and the recorded worker frames include {@code AttachInput}/{@code ReleaseInput}
 *       (worker protocol 3). A commit may be empty: an input change of its own epoch.</li>
 *   <li><b>5</b>: the entries of 4, unchanged; the recorded worker frames are those of worker protocol 4: a
 *       {@code Sync} goes in chunks, and a heartbeat carries varint counters of only the rules that changed (and a slow
 *       refresh), with the progress of a sync under way; recorded I/O gains the group memberships the core asks for
 *       ({@code membership-limits}, {@code -join}, {@code -leave}, {@code -forget}), and {@code list} answers carry
 *       {@code state_reason}.</li>
 *   <li><b>6</b>: the entries of 5, unchanged; the recorded heartbeats are those of worker protocol 5: each says
 *       when the next comes at the latest ({@code next within}: an idle worker heartbeats less often), and the
 *       supervisor's health checks follow the announced intervals.</li>
 *   <li><b>7</b>: the entries of 6, unchanged; a recorded answer to a client longer than 16 KiB
 *       ({@code client-send}) is its length and SHA-256 instead of its bytes (a {@code list} of 10,000 rules is
 *       2.3 MB), and the recorded {@code start} carries the supervisor's {@code Sync} chunk size.</li>
 *   <li><b>8</b>: the entries of 7, and {@link GapEntry}, which marks entries a full disk kept out; the recorded
 *       heartbeats are those of worker protocol 6 (each carries the packets and bytes in of the rules its worker
 *       removed), and {@code stats} and {@code ping} answers carry {@code removed_rules} and {@code journal}
 *       (control protocol 3).</li>
 * </ul>
 * Entries of every version from {@link #OLDEST} to {@link #VERSION} are read; a newer one is refused with a
 * {@link NewerSchemaException} naming both versions, never guessed at.
 */
public final class JournalSchema {
    /**
     * The version this code writes. Bump it on any change to the envelope or to an entry's encoding, including the
     * worker-channel and control frames that recorded inputs and outputs carry: recovery never reads those, but
     * {@code journal replay} refuses a journal of another version instead of reporting a divergence.
     */
    public static final int VERSION = 8;
    /** The oldest version this code still reads. */
    public static final int OLDEST = 1;

    private JournalSchema() {
    }

    /** Whether entries of {@code version} are read by this code. */
    public static boolean readable(final int version) {
        return version >= OLDEST && version <= VERSION;
    }

    /**
     * Returns {@code version} if this code reads it.
     *
     * @throws NewerSchemaException if it is newer than {@link #VERSION}
     * @throws CodecException       if it is older than any version that was ever written (not a journal entry)
     */
    static int check(final int version, final String what) {
        if (version > VERSION) {
            throw new NewerSchemaException(what, version);
        }
        if (version < OLDEST) {
            throw new CodecException(what + ": schema version " + version + " was never written by any mcrelay");
        }
        return version;
    }
}
