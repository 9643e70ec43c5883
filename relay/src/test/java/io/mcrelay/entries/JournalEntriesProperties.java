package io.mcrelay.entries;

import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.lists;
import static io.mcrelay.testing.Generators.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.rules.Limits;
import io.mcrelay.testing.RuleGenerators;

/**
 * The journal's entry encodings round-trip every commit and snapshot, and any other byte string, read as any entry
 * of any readable version, decodes or is refused with a {@link CodecException}: a journal's bytes never make recovery
 * fail with anything else.
 */
class JournalEntriesProperties {
    @Test
    void decodeInvertsEncodeForCommits() {
        qt().withExamples(500)
            .forAll(commits())
            .checkAssert(commit -> assertEquals(commit, CommitEntry.decode(JournalSchema.VERSION, commit.encode())));
    }

    @Test
    void decodeInvertsEncodeForSnapshots() {
        qt().withExamples(500)
            .forAll(snapshots())
            .checkAssert(snapshot -> assertEquals(snapshot,
                SnapshotEntry.decode(JournalSchema.VERSION, snapshot.encode())));
    }

    @Test
    void anyBytesDecodeOrAreRefused() {
        qt().withExamples(3000)
            .forAll(byteArrays(200), ints(1, 2))
            .checkAssert((bytes, version) -> {
                try {
                    final CommitEntry commit = CommitEntry.decode(version, bytes);
                    if (version == JournalSchema.VERSION) {
                        assertArrayEquals(bytes, commit.encode(), "one commit, one encoding");
                    }
                } catch (final CodecException expected) {
                    // refused with a message: fine
                }
                try {
                    final SnapshotEntry snapshot = SnapshotEntry.decode(version, bytes);
                    if (version == JournalSchema.VERSION) {
                        assertArrayEquals(bytes, snapshot.encode(), "one snapshot, one encoding");
                    }
                } catch (final CodecException expected) {
                    // refused with a message: fine
                }
                try {
                    LimitsEntry.decode(version, bytes);
                } catch (final CodecException expected) {
                    // refused with a message: fine
                }
            });
    }

    private static Gen<CommitEntry> commits() {
        return longs(1, Long.MAX_VALUE).zip(lists(RuleGenerators.rules(), 0, 4), lists(RuleGenerators.ids(), 0, 4),
            (epoch, upserts, removals) -> new CommitEntry(epoch, List.copyOf(upserts), List.copyOf(removals)));
    }

    private static Gen<SnapshotEntry> snapshots() {
        return longs(0, Long.MAX_VALUE).zip(lists(RuleGenerators.rules(), 0, 4),
            ints(1, Limits.RULES_MAX_CEILING), ints(1, Limits.OUTPUTS_PER_RULE_MAX_CEILING),
            (epoch, rules, rulesMax, outputsMax) -> new SnapshotEntry(epoch, List.copyOf(rules),
                new Limits(rulesMax, outputsMax)));
    }
}
