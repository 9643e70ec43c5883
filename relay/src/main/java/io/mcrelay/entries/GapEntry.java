package io.mcrelay.entries;

import java.util.Objects;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;

/**
 * A {@link EntryKinds#GAP} entry: the journal could not take {@code lostEntries} entries (its disk was full) between
 * the core's times {@code fromNs} and {@code toNs} (wall-clock {@code fromWallMillis} to {@code toWallMillis}, for
 * people), and takes entries again from here; a snapshot of the table follows it. A replay stops comparing a life at
 * its first gap: what the core consumed and produced in the gap is not in the journal. Schema version 8 on
 * (big-endian):
 * <pre>
 *  i64 lost entries, i64 from ns, i64 to ns, i64 from wall ms, i64 to wall ms, str reason
 * </pre>
 * Immutable.
 */
public record GapEntry(long lostEntries, long fromNs, long toNs, long fromWallMillis, long toWallMillis,
                       String reason) {
    public GapEntry {
        Objects.requireNonNull(reason, "reason");
        if (lostEntries < 1 || toNs < fromNs) {
            throw new IllegalArgumentException("a gap loses at least one entry and ends after it starts: "
                + lostEntries + " entries, " + fromNs + " to " + toNs + " ns");
        }
    }

    /** The payload in the current schema version. */
    public byte[] encode() {
        return new WireWriter().i64(lostEntries).i64(fromNs).i64(toNs).i64(fromWallMillis).i64(toWallMillis)
            .string(reason).toByteArray();
    }

    /**
     * Decodes a gap payload written in {@code schemaVersion}.
     *
     * @throws CodecException        naming the field if the payload is not a gap of that version
     * @throws NewerSchemaException if the version is newer than this code reads
     */
    public static GapEntry decode(final int schemaVersion, final byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (JournalSchema.check(schemaVersion, "a gap entry") < 8) {
            throw new CodecException("a gap entry in schema version " + schemaVersion + ": gaps came with version 8");
        }
        final WireReader in = WireReader.of(payload);
        final long lost = in.i64("gap lost entries");
        final long fromNs = in.i64("gap from ns");
        final long toNs = in.i64("gap to ns");
        final long fromWall = in.i64("gap from wall ms");
        final long toWall = in.i64("gap to wall ms");
        final String reason = in.string("gap reason");
        in.end("gap");
        try {
            return new GapEntry(lost, fromNs, toNs, fromWall, toWall, reason);
        } catch (final IllegalArgumentException e) {
            throw new CodecException("gap: " + e.getMessage(), e);
        }
    }

    /** One line for dumps and replay reports. */
    public String describe() {
        return lostEntries + " entries lost between " + fromNs + " ns and " + toNs + " ns (" + reason + ")";
    }
}
