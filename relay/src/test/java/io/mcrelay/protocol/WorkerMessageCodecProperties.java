package io.mcrelay.protocol;

import static io.mcrelay.testing.Generators.booleans;
import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.bytes;
import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.lists;
import static io.mcrelay.testing.Generators.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
            counts.generate(in), counts.generate(in), inputLists.generate(in), ruleLists.generate(in));
        final Gen<List<WorkerMessage.TraceEvent>> traces = lists(traceEvents(), 0, 4);
        return Generators.oneOf(
            ints().zip(ints(), longs(), Generators.strings(0, 64), WorkerMessage.Hello::new),
            epochs.zip(rules, WorkerMessage.Sync::new),
            epochs.zip(rules, lists(ids, 0, 5), WorkerMessage.Apply::new),
            reported.zip(longs(), WorkerMessage.Ack::new),
            longs().zip(reported, longs(), counters, traces, WorkerMessage.Heartbeat::new),
            ids.zip(booleans(), WorkerMessage.Trace::new),
            Generators.strings("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 15).zip(longs(0, Long.MAX_VALUE),
                WorkerMessage.AttachInput::new),
            Generators.strings("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 15).zip(longs(0, Long.MAX_VALUE),
                WorkerMessage.ReleaseInput::new),
            Generators.strings(0, 100).map(WorkerMessage.Shutdown::new));
    }
}
