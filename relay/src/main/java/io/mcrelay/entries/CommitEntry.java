package io.mcrelay.entries;

import java.util.List;
import java.util.Objects;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * A {@link EntryKinds#COMMIT} entry: the change that took the table from {@code epoch - 1} to {@code epoch} —
 * {@code removals} deleted, then {@code upserts} added or put in place of the rule with the same id. Schema
 * version 2 (big-endian):
 * <pre>
 *  i64 epoch (at least 1)
 *  i32 upsert count, upserts (each in {@link JournalRules})
 *  i32 removal count, removals (each a str id: u16 byte length, UTF-8 bytes)
 * </pre>
 * Immutable.
 */
public record CommitEntry(long epoch, List<Rule> upserts, List<RuleId> removals) {
    public CommitEntry {
        if (epoch < 1) {
            throw new IllegalArgumentException("a commit makes epoch 1 or later, not " + epoch);
        }
        upserts = List.copyOf(upserts);
        removals = List.copyOf(removals);
    }

    /** The payload in the current schema version. */
    public byte[] encode() {
        final WireWriter out = new WireWriter().i64(epoch);
        JournalRules.writeAll(out, upserts);
        JournalRules.writeIds(out, removals);
        return out.toByteArray();
    }

    /**
     * Decodes a commit's payload written in {@code schemaVersion}.
     *
     * @throws CodecException        naming the field if the payload is not a commit of that version
     * @throws NewerSchemaException if the version is newer than this code reads
     */
    public static CommitEntry decode(final int schemaVersion, final byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (JournalSchema.check(schemaVersion, "a commit") == 1) {
            return SchemaV1.commit(payload);
        }
        final WireReader in = WireReader.of(payload);
        final long epoch = in.i64("commit epoch");
        final List<Rule> upserts = JournalRules.readAll(in, "commit upserts");
        final List<RuleId> removals = JournalRules.readIds(in, "commit removals");
        in.end("commit");
        return of(epoch, upserts, removals);
    }

    /** A decoded commit, its epoch checked. */
    static CommitEntry of(final long epoch, final List<Rule> upserts, final List<RuleId> removals) {
        if (epoch < 1) {
            throw new CodecException("commit epoch: a commit makes epoch 1 or later, not " + epoch);
        }
        return new CommitEntry(epoch, upserts, removals);
    }
}
