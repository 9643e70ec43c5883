package io.mcrelay.entries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.rules.Limits;
import io.mcrelay.testing.RuleArbitraries;

/**
 * The journal's entry encodings round-trip every commit and snapshot, and any other byte string, read as any entry
 * of any readable version, decodes or is refused with a {@link CodecException}: a journal's bytes never make recovery
 * fail with anything else.
 */
class JournalEntriesProperties {
    @Property(tries = 500)
    void decodeInvertsEncodeForCommits(@ForAll("commits") final CommitEntry commit) {
        assertEquals(commit, CommitEntry.decode(JournalSchema.VERSION, commit.encode()));
    }

    @Property(tries = 500)
    void decodeInvertsEncodeForSnapshots(@ForAll("snapshots") final SnapshotEntry snapshot) {
        assertEquals(snapshot, SnapshotEntry.decode(JournalSchema.VERSION, snapshot.encode()));
    }

    @Property(tries = 3000)
    void anyBytesDecodeOrAreRefused(@ForAll @Size(max = 200) final byte[] bytes,
                                    @ForAll @IntRange(min = 1, max = 2) final int version) {
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
    }

    @Provide
    Arbitrary<CommitEntry> commits() {
        return Combinators.combine(Arbitraries.longs().between(1, Long.MAX_VALUE),
                RuleArbitraries.rules().list().ofMaxSize(4), RuleArbitraries.ids().list().ofMaxSize(4))
            .as(CommitEntry::new);
    }

    @Provide
    Arbitrary<SnapshotEntry> snapshots() {
        return Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE),
                RuleArbitraries.rules().list().ofMaxSize(4),
                Arbitraries.integers().between(1, Limits.MAX_RULES_CEILING),
                Arbitraries.integers().between(1, Limits.MAX_OUTPUTS_PER_RULE_CEILING))
            .as((epoch, rules, maxRules, maxOutputs) -> new SnapshotEntry(epoch, List.copyOf(rules),
                new Limits(maxRules, maxOutputs)));
    }
}
