package io.mcrelay.record;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.mcrelay.control.RuleDocument;
import io.mcrelay.entries.CommitEntry;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.GapEntry;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.LimitsEntry;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.Journal;

/**
 * How {@code journal dump} shows an entry: one line for people, or one JSON object per entry. Payloads the
 * supervisor writes are decoded by the schema version they were written in (a commit shows its epoch, the rules it
 * adds and the ids it removes); an entry that does not decode is shown with its size and why, never with a stack
 * trace. An entry of an older schema version says so. Stateless.
 */
public final class JournalFormat {
    private JournalFormat() {
    }

    /** The name of an entry kind, as dumps show it. */
    public static String kindName(final int kind) {
        if (EntryKinds.name(kind) != null) {
            return EntryKinds.name(kind);
        }
        return IoKinds.name(kind) != null ? IoKinds.name(kind) : "kind-" + kind;
    }

    /** The entry as a map of fields, in a fixed order (for JSON). */
    public static Map<String, Object> fields(final Journal.IndexedEntry indexed) {
        final Journal.Entry entry = indexed.entry();
        final Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("index", indexed.index());
        fields.put("time_ns", entry.timeNs());
        fields.put("wall", Instant.ofEpochMilli(entry.wallMillis()).toString());
        fields.put("kind", kindName(entry.kind()));
        fields.put("source", entry.source());
        final int version = indexed.schemaVersion();
        try {
            switch (entry.kind()) {
                case EntryKinds.COMMIT -> {
                    final CommitEntry commit = CommitEntry.decode(version, entry.payload());
                    fields.put("epoch", commit.epoch());
                    fields.put("upserts", commit.upserts().stream().map(rule -> RuleDocument.of(rule, null)).toList());
                    fields.put("removals", commit.removals().stream().map(RuleId::value).toList());
                }
                case EntryKinds.LIMITS -> {
                    final LimitsEntry limits = LimitsEntry.decode(version, entry.payload());
                    fields.put("max_rules", limits.limits().rulesMax());
                    fields.put("max_outputs_per_rule", limits.limits().outputsPerRuleMax());
                }
                case EntryKinds.SNAPSHOT -> {
                    final SnapshotEntry snapshot = SnapshotEntry.decode(version, entry.payload());
                    fields.put("max_rules", snapshot.limits().rulesMax());
                    fields.put("max_outputs_per_rule", snapshot.limits().outputsPerRuleMax());
                    fields.put("epoch", snapshot.epoch());
                    fields.put("rules", snapshot.rules().size());
                }
                case EntryKinds.GAP -> {
                    final GapEntry gap = GapEntry.decode(version, entry.payload());
                    fields.put("lost_entries", gap.lostEntries());
                    fields.put("from_ns", gap.fromNs());
                    fields.put("to_ns", gap.toNs());
                    fields.put("from_wall", Instant.ofEpochMilli(gap.fromWallMillis()).toString());
                    fields.put("to_wall", Instant.ofEpochMilli(gap.toWallMillis()).toString());
                    fields.put("reason", gap.reason());
                }
                case IoKinds.SEED -> fields.put("seed", WireReader.of(entry.payload()).i64("seed"));
                default -> fields.put("payload_bytes", entry.payload().length);
            }
        } catch (final CodecException | NewerSchemaException e) {
            fields.put("payload_bytes", entry.payload().length);
            fields.put("undecodable", e.getMessage());
        }
        fields.put("schema", version);
        return fields;
    }

    /** The entry as one line: {@code #12 +1.250000000s 2026-11-25T10:00:00Z commit supervisor epoch 3 +cam-1 -r2}. */
    public static String line(final Journal.IndexedEntry indexed) {
        final Map<String, Object> fields = fields(indexed);
        final StringBuilder sb = new StringBuilder();
        sb.append('#').append(indexed.index()).append(' ').append(fields.get("wall")).append(' ')
            .append(fields.get("kind")).append(' ').append(fields.get("source"));
        if (fields.containsKey("rules")) {
            sb.append(" epoch ").append(fields.get("epoch")).append(", ").append(fields.get("rules")).append(" rules");
        } else if (fields.containsKey("epoch")) {
            sb.append(" epoch ").append(fields.get("epoch"));
            @SuppressWarnings("unchecked")
            final List<RuleDocument> upserts = (List<RuleDocument>) fields.get("upserts");
            for (final RuleDocument rule : upserts) {
                sb.append(" +").append(rule.id()).append(' ').append(rule.inputInterface()).append(' ')
                    .append(rule.inputGroup()).append(':').append(rule.inputPort()).append(" ->");
                for (final RuleDocument.OutputDocument output : rule.outputs()) {
                    sb.append(' ').append(output.group()).append(':').append(output.port()).append(':')
                        .append(output.interfaceName());
                }
            }
            @SuppressWarnings("unchecked")
            final List<String> removals = (List<String>) fields.get("removals");
            for (final String id : removals) {
                sb.append(" -").append(id);
            }
        }
        if (fields.containsKey("seed")) {
            sb.append(" seed ").append(fields.get("seed"));
        }
        if (fields.containsKey("lost_entries")) {
            sb.append(' ').append(fields.get("lost_entries")).append(" entries lost from ").append(fields.get("from_wall"))
                .append(" to ").append(fields.get("to_wall")).append(" (").append(fields.get("reason")).append(')');
        }
        if (fields.containsKey("max_rules")) {
            sb.append(" max_rules ").append(fields.get("max_rules")).append(" max_outputs_per_rule ")
                .append(fields.get("max_outputs_per_rule"));
        }
        if (indexed.schemaVersion() != JournalSchema.VERSION) {
            sb.append(" [schema ").append(indexed.schemaVersion()).append(']');
        }
        if (fields.containsKey("undecodable")) {
            sb.append(" (").append(fields.get("payload_bytes")).append(" bytes that do not decode: ")
                .append(fields.get("undecodable")).append(')');
        } else if (fields.containsKey("payload_bytes")) {
            sb.append(" (").append(fields.get("payload_bytes")).append(" bytes)");
        }
        return sb.toString();
    }
}
