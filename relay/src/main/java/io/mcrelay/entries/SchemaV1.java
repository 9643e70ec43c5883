package io.mcrelay.entries;

import java.util.List;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * Reads the payloads of journal schema version 1, as written by releases up to e908fe1. Frozen: those journals
 * exist and never change, so neither does this class. It reads the worker-channel frames those releases embedded by
 * their layout at the time, without the worker protocol's codec, which may change. Big-endian:
 * <pre>
 *  commit    u8 type (3, Apply), i64 epoch, i32 upsert count, rules, i32 removal count, str ids
 *  limits    i32 max rules, i32 max outputs per rule
 *  snapshot  i32 max rules, i32 max outputs per rule, u8 type (2, Sync), i64 epoch, i32 rule count, rules
 * </pre>
 * Rules are in {@link JournalRules} format 1, which is what the worker channel carried then. Stateless.
 */
final class SchemaV1 {
    /** The worker-channel message types version 1 embedded. */
    private static final int TYPE_SYNC = 2;
    private static final int TYPE_APPLY = 3;

    private SchemaV1() {
    }

    static CommitEntry commit(final byte[] payload) {
        final WireReader in = WireReader.of(payload);
        frameType(in, TYPE_APPLY, "a commit (version 1) holds an Apply frame");
        final long epoch = in.i64("commit epoch");
        final List<Rule> upserts = JournalRules.readAll(in, "commit upserts");
        final List<RuleId> removals = JournalRules.readIds(in, "commit removals");
        in.end("commit (version 1)");
        return CommitEntry.of(epoch, upserts, removals);
    }

    static LimitsEntry limits(final byte[] payload) {
        final WireReader in = WireReader.of(payload);
        final LimitsEntry limits = new LimitsEntry(LimitsEntry.readLimits(in, "limits"));
        in.end("limits (version 1)");
        return limits;
    }

    static SnapshotEntry snapshot(final byte[] payload) {
        final WireReader in = WireReader.of(payload);
        final Limits limits = LimitsEntry.readLimits(in, "snapshot limits");
        frameType(in, TYPE_SYNC, "a snapshot (version 1) holds a Sync frame");
        final long epoch = in.i64("snapshot epoch");
        final List<Rule> rules = JournalRules.readAll(in, "snapshot rules");
        in.end("snapshot (version 1)");
        return SnapshotEntry.of(epoch, rules, limits);
    }

    private static void frameType(final WireReader in, final int expected, final String what) {
        final int type = in.u8("frame type");
        if (type != expected) {
            throw new CodecException(what + " (type " + expected + "), not type " + type);
        }
    }
}
