package io.mcrelay.entries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/**
 * The journal's own encodings, pinned byte for byte: schema version 2 as this code writes it, and schema version 1
 * as releases up to e908fe1 wrote it (worker-channel frames, frozen here as they were), both decoding to the same
 * entries. A change of either layout fails here first; a newer version is refused naming both versions, a version
 * nobody wrote is refused as not an entry.
 */
class JournalEntriesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** A rule using every field: a name, a source, a TTL. */
    private static final Rule CAM = new Rule(new RuleId("cam-1"), "Cam",
        new RuleInput("eth0", IpAddress.parse("239.1.1.1"), 5000, IpAddress.parse("10.0.0.9")),
        List.of(new RuleOutput(IpAddress.parse("239.10.0.1"), 5002, "eth1", 8)));
    private static final String CAM_BYTES =
        "01000563616d2d3101000343616d00046574683004ef010101138801040a000009000104ef0a0001138a00046574683108";
    private static final CommitEntry COMMIT = new CommitEntry(7, List.of(CAM), List.of(new RuleId("r2")));
    private static final SnapshotEntry SNAPSHOT = new SnapshotEntry(7, List.of(CAM), new Limits(1000, 16));
    private static final LimitsEntry LIMITS = new LimitsEntry(new Limits(1000, 16));

    /** i64 epoch, i32 1 upsert, the rule, i32 1 removal, str "r2". */
    private static final String COMMIT_V2 = "0000000000000007" + "00000001" + CAM_BYTES + "00000001" + "00027232";
    /** i64 epoch, i32 i32 limits, i32 1 rule, the rule. */
    private static final String SNAPSHOT_V2 = "0000000000000007" + "000003e8" + "00000010" + "00000001" + CAM_BYTES;
    /** An Apply frame: u8 3, then the same fields as version 2's commit. */
    private static final String COMMIT_V1 = "03" + COMMIT_V2;
    /** The limits, then a Sync frame: u8 2, i64 epoch, i32 1 rule, the rule. */
    private static final String SNAPSHOT_V1 = "000003e8" + "00000010" + "02" + "0000000000000007" + "00000001"
        + CAM_BYTES;
    private static final String LIMITS_BOTH = "000003e8" + "00000010";

    @Test
    void theCurrentVersionWritesThesePinnedBytes() {
        // Versions 3 to 8 changed only what recorded I/O entries carry: their entries are version 2's, byte for byte.
        assertEquals(8, JournalSchema.VERSION, "a new version needs pinned bytes of its own here");
        assertEquals(COMMIT_V2, HEX.formatHex(COMMIT.encode()));
        assertEquals(SNAPSHOT_V2, HEX.formatHex(SNAPSHOT.encode()));
        assertEquals(LIMITS_BOTH, HEX.formatHex(LIMITS.encode()));
    }

    @Test
    void anEmptyCommitIsAnInputChangeOfItsOwnEpoch() {
        final CommitEntry empty = new CommitEntry(8, List.of(), List.of());
        assertEquals("0000000000000008" + "00000000" + "00000000", HEX.formatHex(empty.encode()));
        assertEquals(empty, CommitEntry.decode(JournalSchema.VERSION, empty.encode()));
    }

    @Test
    void theCurrentVersionReadsWhatItWrites() {
        assertEquals(COMMIT, CommitEntry.decode(JournalSchema.VERSION, HEX.parseHex(COMMIT_V2)));
        assertEquals(SNAPSHOT, SnapshotEntry.decode(JournalSchema.VERSION, HEX.parseHex(SNAPSHOT_V2)));
        assertEquals(LIMITS, LimitsEntry.decode(JournalSchema.VERSION, HEX.parseHex(LIMITS_BOTH)));
    }

    @Test
    void versionOneIsReadAsReleasesUpToE908fe1WroteIt() {
        assertEquals(COMMIT, CommitEntry.decode(1, HEX.parseHex(COMMIT_V1)));
        assertEquals(SNAPSHOT, SnapshotEntry.decode(1, HEX.parseHex(SNAPSHOT_V1)));
        assertEquals(LIMITS, LimitsEntry.decode(1, HEX.parseHex(LIMITS_BOTH)));
    }

    @Test
    void eachVersionRefusesTheOthersLayout() {
        final CodecException commit = assertThrows(CodecException.class,
            () -> CommitEntry.decode(1, HEX.parseHex(COMMIT_V2)));
        assertTrue(commit.getMessage().contains("Apply"), commit.getMessage());
        assertThrows(CodecException.class, () -> CommitEntry.decode(2, HEX.parseHex(COMMIT_V1)));
        assertThrows(CodecException.class, () -> SnapshotEntry.decode(1, HEX.parseHex(SNAPSHOT_V2)));
        final CodecException sync = assertThrows(CodecException.class,
            () -> SnapshotEntry.decode(1, HEX.parseHex(LIMITS_BOTH + "03" + SNAPSHOT_V1.substring(18))));
        assertTrue(sync.getMessage().contains("Sync"), sync.getMessage());
        assertThrows(CodecException.class, () -> SnapshotEntry.decode(2, HEX.parseHex(SNAPSHOT_V1)));
    }

    @Test
    void aNewerVersionIsRefusedNamingBothVersions() {
        final NewerSchemaException e = assertThrows(NewerSchemaException.class,
            () -> SnapshotEntry.decode(JournalSchema.VERSION + 1, HEX.parseHex(SNAPSHOT_V2)));
        assertEquals(JournalSchema.VERSION + 1, e.version());
        assertTrue(e.getMessage().contains("schema version " + (JournalSchema.VERSION + 1))
            && e.getMessage().contains("schema version " + JournalSchema.VERSION), e.getMessage());
        assertThrows(NewerSchemaException.class, () -> CommitEntry.decode(99, HEX.parseHex(COMMIT_V2)));
        assertThrows(NewerSchemaException.class, () -> LimitsEntry.decode(99, HEX.parseHex(LIMITS_BOTH)));
    }

    @Test
    void aVersionNobodyWroteIsNotAnEntry() {
        final CodecException e = assertThrows(CodecException.class,
            () -> CommitEntry.decode(0, HEX.parseHex(COMMIT_V2)));
        assertTrue(e.getMessage().contains("schema version 0"), e.getMessage());
    }

    @Test
    void aCommitMakesEpochOneOrLaterAndASnapshotZeroOrLater() {
        assertThrows(IllegalArgumentException.class, () -> new CommitEntry(0, List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotEntry(-1, List.of(), Limits.DEFAULT));
        assertThrows(CodecException.class, () -> CommitEntry.decode(2, HEX.parseHex(
            "0000000000000000" + "00000000" + "00000000")));
        assertEquals(new SnapshotEntry(0, List.of(), Limits.DEFAULT),
            SnapshotEntry.decode(2, new SnapshotEntry(0, List.of(), Limits.DEFAULT).encode()));
    }

    @Test
    void theKindsKeepTheirNumbersAndNames() {
        assertEquals(List.of(1, 2, 3), List.of(EntryKinds.COMMIT, EntryKinds.LIMITS, EntryKinds.SNAPSHOT));
        assertEquals("commit", EntryKinds.name(1));
        assertEquals("limits", EntryKinds.name(2));
        assertEquals("snapshot", EntryKinds.name(3));
        assertEquals(null, EntryKinds.name(100));
    }

    @Test
    void trailingBytesAreRefused() {
        final byte[] longer = java.util.Arrays.copyOf(HEX.parseHex(COMMIT_V2), COMMIT_V2.length() / 2 + 1);
        assertThrows(CodecException.class, () -> CommitEntry.decode(2, longer));
        assertArrayEquals(HEX.parseHex(LIMITS_BOTH), LimitsEntry.decode(1, HEX.parseHex(LIMITS_BOTH)).encode());
    }
}
