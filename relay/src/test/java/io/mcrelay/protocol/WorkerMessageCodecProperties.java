package io.mcrelay.protocol;

import static io.mcrelay.testing.Generators.booleans;
import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.bytes;
import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.lists;
import static io.mcrelay.testing.Generators.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.testing.Generators;
import io.mcrelay.testing.RuleGenerators;

/**
 * The worker-channel codec round-trips every message, and any other byte string either decodes to a message or is
 * refused with a {@link CodecException}: it never throws anything else, whatever a peer sends.
 */
class WorkerMessageCodecProperties {

    @Test
    void decodeInvertsEncode() {
        qt().withExamples(1000)
            .forAll(messages())
            .checkAssert(message -> {
                final byte[] bytes = WorkerMessageCodec.toBytes(message);
                assertEquals(message, WorkerMessageCodec.decode(bytes));
            });
    }

    @Test
    void aHeartbeatAnnouncingMoreThanTheLongestIntervalIsRefused() {
        final WorkerMessage.Heartbeat longest = new WorkerMessage.Heartbeat(1, 0, 0,
            WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS, WorkerMessage.SyncProgress.NONE, WorkerCounters.ZERO, List.of());
        assertEquals(longest, WorkerMessageCodec.decode(WorkerMessageCodec.toBytes(longest)));
        // The same frame with the varint of one nanosecond more (the same length: 60e9 is not a power of two).
        final byte[] bytes = WorkerMessageCodec.toBytes(longest);
        final byte[] longer = WorkerMessageCodec.toBytes(new WorkerMessage.Heartbeat(1, 0, 0,
            WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS - 1, WorkerMessage.SyncProgress.NONE, WorkerCounters.ZERO,
            List.of()));
        assertEquals(bytes.length, longer.length);
        final int at = Arrays.mismatch(bytes, longer);
        bytes[at]++;
        final CodecException refused = org.junit.jupiter.api.Assertions.assertThrows(CodecException.class,
            () -> WorkerMessageCodec.decode(bytes));
        assertTrue(refused.getMessage().contains("next within 60000000001 ns"), refused.getMessage());
    }

    @Test
    void anyBytesDecodeOrAreRefused() {
        qt().withExamples(3000)
            .forAll(byteArrays(200))
            .checkAssert(bytes -> {
                try {
                    final WorkerMessage message = WorkerMessageCodec.decode(bytes);
                    // Whatever decoded must encode back to the very same bytes (one message, one encoding).
                    assertArrayEquals(bytes, WorkerMessageCodec.toBytes(message));
                } catch (final CodecException expected) {
                    // refused with a message: fine
                }
            });
    }

    @Test
    void anyTruncationOrCorruptionIsRefusedOrDecodes() {
        qt().withExamples(1000)
            .forAll(messages(), ints(), bytes())
            .checkAssert((message, cut, flip) -> {
                final byte[] bytes = WorkerMessageCodec.toBytes(message);
                final int position = Math.floorMod(cut, bytes.length);
                final byte[] truncated = Arrays.copyOf(bytes, position);
                final byte[] corrupted = bytes.clone();
                corrupted[position] ^= flip;
                for (final byte[] candidate : List.of(truncated, corrupted)) {
                    try {
                        WorkerMessageCodec.decode(candidate);
                    } catch (final CodecException expected) {
                        // refused with a message: fine
                    }
                }
            });
    }

    /**
     * A table cut into Sync chunks comes back whole: each chunk decodes to chunk {@code i} of {@code n} of the epoch,
     * is no larger than the chunk size unless it holds a single rule, and the chunks' rules in order are the table.
     */
    @Test
    void syncChunksHoldTheWholeTableInOrderEachWithinTheChunkSize() {
        qt().withExamples(300)
            .forAll(RuleGenerators.ruleSets(40), ints(WorkerMessageCodec.SYNC_HEADER_BYTES + 1, 2_000))
            .checkAssert((rules, chunkBytesMax) -> {
                final List<byte[]> frames = WorkerMessageCodec.syncChunks(7, rules, chunkBytesMax);
                final List<Rule> back = new java.util.ArrayList<>();
                for (int i = 0; i < frames.size(); i++) {
                    final byte[] frame = frames.get(i);
                    final WorkerMessage.Sync chunk = (WorkerMessage.Sync) WorkerMessageCodec.decode(frame);
                    assertEquals(7, chunk.epoch());
                    assertEquals(i, chunk.chunk());
                    assertEquals(frames.size(), chunk.chunks());
                    assertTrue(frame.length <= chunkBytesMax || chunk.rules().size() == 1,
                        () -> "chunk of " + frame.length + " bytes");
                    assertTrue(!chunk.rules().isEmpty() || frames.size() == 1, "only an empty table has an empty chunk");
                    back.addAll(chunk.rules());
                }
                assertEquals(rules, back);
            });
    }

    private static Gen<WorkerMessage.TraceEvent> traceEvents() {
        return RuleGenerators.ids().zip(longs(), ints(1, 4), ints(), ints(), WorkerMessage.TraceEvent::new);
    }

    static Gen<WorkerMessage> messages() {
        final Gen<Long> epochs = longs(0, Long.MAX_VALUE);
        final Gen<Long> reported = longs(-1, Long.MAX_VALUE); // -1: no ruleset yet
        final Gen<List<Rule>> rules = RuleGenerators.ruleSets(8);
        final Gen<Long> counts = longs(0, Long.MAX_VALUE);
        final Gen<WorkerCounters.OutputCounters> outputCounters = counts.zip(counts, counts,
            WorkerCounters.OutputCounters::new);
        final Gen<List<WorkerCounters.OutputCounters>> outputCounterLists = lists(outputCounters, 0, 4);
        final Gen<RuleId> ids = RuleGenerators.ids();
        final Gen<WorkerCounters.RuleCounters> ruleCounters = in -> new WorkerCounters.RuleCounters(
            ids.generate(in), counts.generate(in), counts.generate(in), counts.generate(in),
            counts.generate(in), counts.generate(in), counts.generate(in), outputCounterLists.generate(in));
        final Gen<String> names = Generators.strings(1, 15);
        // Ring and staging drops are parts of the packets the kernel offered: generated as such.
        final Gen<WorkerCounters.InputCounters> inputCounters = in -> {
            final long packets = counts.generate(in);
            final long ringFull = longs(0, packets).generate(in);
            return new WorkerCounters.InputCounters(names.generate(in), packets, ringFull,
                longs(0, packets - ringFull).generate(in));
        };
        final Gen<List<WorkerCounters.InputCounters>> inputLists = lists(inputCounters, 0, 3);
        final Gen<List<WorkerCounters.RuleCounters>> ruleLists = lists(ruleCounters, 0, 5);
        final Gen<WorkerCounters> counters = in -> new WorkerCounters(counts.generate(in), counts.generate(in),
            counts.generate(in), counts.generate(in), counts.generate(in), counts.generate(in), inputLists.generate(in),
            ruleLists.generate(in));
        final Gen<List<WorkerMessage.TraceEvent>> traces = lists(traceEvents(), 0, 4);
        final Gen<WorkerMessage.SyncProgress> progress = in -> {
            if (booleans().generate(in)) {
                return WorkerMessage.SyncProgress.NONE;
            }
            final int chunks = ints(1, 1000).generate(in);
            final int rulesTaken = ints(0, 100_000).generate(in);
            return new WorkerMessage.SyncProgress(longs(0, Long.MAX_VALUE - 1).generate(in),
                ints(0, chunks).generate(in), chunks, ints(0, rulesTaken).generate(in), rulesTaken);
        };
        final Gen<WorkerMessage.Sync> chunks = in -> {
            final int count = ints(1, 5000).generate(in);
            return new WorkerMessage.Sync(epochs.generate(in), ints(0, count - 1).generate(in), count,
                rules.generate(in));
        };
        final Gen<WorkerMessage.Heartbeat> heartbeats = in -> new WorkerMessage.Heartbeat(
            longs(0, Long.MAX_VALUE).generate(in), longs(-1, Long.MAX_VALUE - 1).generate(in), longs().generate(in),
            longs(0, WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS).generate(in), progress.generate(in),
            counters.generate(in), traces.generate(in));
        return Generators.oneOf(
            ints().zip(ints(), longs(), Generators.strings(0, 64), WorkerMessage.Hello::new),
            epochs.zip(rules, WorkerMessage.Sync::new),
            chunks.map(WorkerMessage.class::cast),
            epochs.zip(rules, lists(ids, 0, 5), WorkerMessage.Apply::new),
            reported.zip(longs(), WorkerMessage.Ack::new),
            heartbeats.map(WorkerMessage.class::cast),
            ids.zip(booleans(), WorkerMessage.Trace::new),
            Generators.strings("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 15).zip(longs(0, Long.MAX_VALUE),
                WorkerMessage.AttachInput::new),
            Generators.strings("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 15).zip(longs(0, Long.MAX_VALUE),
                WorkerMessage.ReleaseInput::new),
            Generators.strings(0, 100).map(WorkerMessage.Shutdown::new),
            Generators.strings(0, 60).zip(Generators.strings(1, 10), WorkerMessage.LogLevel::new));
    }
}
