package io.mcrelay.entries;

import java.util.List;
import java.util.Objects;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;

/**
 * A {@link EntryKinds#SNAPSHOT} entry: the whole table at {@code epoch}, with its limits; recovery starts at the last
 * one and needs nothing before it. Schema version 2 (big-endian):
 * <pre>
 *  i64 epoch (0 or more)
 *  i32 max rules, i32 max outputs per rule
 *  i32 rule count, rules (each in {@link JournalRules})
 * </pre>
 * Immutable.
 */
public record SnapshotEntry(long epoch, List<Rule> rules, Limits limits) {
    public SnapshotEntry {
        if (epoch < 0) {
            throw new IllegalArgumentException("a snapshot's epoch is 0 or more, not " + epoch);
        }
        rules = List.copyOf(rules);
        Objects.requireNonNull(limits, "limits");
    }

    /** The payload in the current schema version. */
    public byte[] encode() {
        final WireWriter out = new WireWriter().i64(epoch).i32(limits.rulesMax()).i32(limits.outputsPerRuleMax());
        JournalRules.writeAll(out, rules);
        return out.toByteArray();
    }

    /**
     * Decodes a snapshot's payload written in {@code schemaVersion}.
     *
     * @throws CodecException        naming the field if the payload is not a snapshot of that version
     * @throws NewerSchemaException if the version is newer than this code reads
     */
    public static SnapshotEntry decode(final int schemaVersion, final byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (JournalSchema.check(schemaVersion, "a snapshot") == 1) {
            return SchemaV1.snapshot(payload);
        }
        final WireReader in = WireReader.of(payload);
        final long epoch = in.i64("snapshot epoch");
        final Limits limits = LimitsEntry.readLimits(in, "snapshot limits");
        final List<Rule> rules = JournalRules.readAll(in, "snapshot rules");
        in.end("snapshot");
        return of(epoch, rules, limits);
    }

    /** A decoded snapshot, its epoch checked. */
    static SnapshotEntry of(final long epoch, final List<Rule> rules, final Limits limits) {
        if (epoch < 0) {
            throw new CodecException("snapshot epoch: 0 or more, not " + epoch);
        }
        return new SnapshotEntry(epoch, rules, limits);
    }
}
