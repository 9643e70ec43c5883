package io.mcrelay.entries;

import java.util.Objects;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.Limits;

/**
 * A {@link EntryKinds#LIMITS} entry: the table's limits from here on. Schema versions 1 and 2 (big-endian):
 * <pre>
 *  i32 max rules, i32 max outputs per rule
 * </pre>
 * Immutable.
 */
public record LimitsEntry(Limits limits) {
    public LimitsEntry {
        Objects.requireNonNull(limits, "limits");
    }

    /** The payload in the current schema version. */
    public byte[] encode() {
        return new WireWriter().i32(limits.rulesMax()).i32(limits.outputsPerRuleMax()).toByteArray();
    }

    /**
     * Decodes a limits payload written in {@code schemaVersion}.
     *
     * @throws CodecException        naming the field if the payload is not limits of that version
     * @throws NewerSchemaException if the version is newer than this code reads
     */
    public static LimitsEntry decode(final int schemaVersion, final byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (JournalSchema.check(schemaVersion, "a limits entry") == 1) {
            return SchemaV1.limits(payload);
        }
        final WireReader in = WireReader.of(payload);
        final LimitsEntry limits = new LimitsEntry(readLimits(in, "limits"));
        in.end("limits");
        return limits;
    }

    /** Reads {@code i32 max rules, i32 max outputs per rule}, checked. */
    static Limits readLimits(final WireReader in, final String what) {
        final int rulesMax = in.i32(what + " max rules");
        final int outputsMax = in.i32(what + " max outputs per rule");
        try {
            return new Limits(rulesMax, outputsMax);
        } catch (final IllegalArgumentException e) {
            throw new CodecException(what + ": " + e.getMessage(), e);
        }
    }
}
