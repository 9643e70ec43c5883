package io.mcrelay.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import io.mcrelay.rules.Rule;
import io.mcrelay.testing.RuleArbitraries;

/**
 * The worker-channel codec round-trips every message, and any other byte string either decodes to a message or is
 * refused with a {@link CodecException}: it never throws anything else, whatever a peer sends.
 */
class WorkerMessageCodecProperties {

    @Property(tries = 1000)
    void decodeInvertsEncode(@ForAll("messages") final WorkerMessage message) {
        final byte[] bytes = WorkerMessageCodec.toBytes(message);
        assertEquals(message, WorkerMessageCodec.decode(bytes));
    }

    @Property(tries = 3000)
    void anyBytesDecodeOrAreRefused(@ForAll @Size(max = 200) final byte[] bytes) {
        try {
            final WorkerMessage message = WorkerMessageCodec.decode(bytes);
            // Whatever decoded must encode back to the very same bytes (one message, one encoding).
            assertArrayEquals(bytes, WorkerMessageCodec.toBytes(message));
        } catch (final CodecException expected) {
            // refused with a message: fine
        }
    }

    @Property(tries = 1000)
    void anyTruncationOrCorruptionIsRefusedOrDecodes(
        @ForAll("messages") final WorkerMessage message, @ForAll final int cut, @ForAll final byte flip) {
        final byte[] bytes = WorkerMessageCodec.toBytes(message);
        final int position = Math.floorMod(cut, bytes.length);
        final byte[] truncated = java.util.Arrays.copyOf(bytes, position);
        final byte[] corrupted = bytes.clone();
        corrupted[position] ^= flip;
        for (final byte[] candidate : List.of(truncated, corrupted)) {
            try {
                WorkerMessageCodec.decode(candidate);
            } catch (final CodecException expected) {
                // refused with a message: fine
            }
        }
    }

    private static Arbitrary<WorkerMessage.TraceEvent> traceEvents() {
        return Combinators.combine(RuleArbitraries.ids(), Arbitraries.longs(), Arbitraries.integers().between(1, 4),
            Arbitraries.integers(), Arbitraries.integers()).as(WorkerMessage.TraceEvent::new);
    }

    @Provide
    static Arbitrary<WorkerMessage> messages() {
        final Arbitrary<Long> epochs = Arbitraries.longs().between(0, Long.MAX_VALUE);
        final Arbitrary<Long> reported = Arbitraries.longs().between(-1, Long.MAX_VALUE); // -1: no ruleset yet
        final Arbitrary<List<Rule>> rules = RuleArbitraries.ruleSets(8);
        final Arbitrary<Long> counts = Arbitraries.longs().between(0, Long.MAX_VALUE);
        final Arbitrary<WorkerCounters.OutputCounters> outputCounters = Combinators.combine(counts, counts, counts)
            .as(WorkerCounters.OutputCounters::new);
        final Arbitrary<WorkerCounters.RuleCounters> ruleCounters = Combinators.combine(
                RuleArbitraries.ids(), counts, counts, counts, counts, counts, outputCounters.list().ofMaxSize(4))
            .as(WorkerCounters.RuleCounters::new);
        final Arbitrary<WorkerCounters> counters = Combinators.combine(counts, counts, counts, counts,
                ruleCounters.list().ofMaxSize(5))
            .as(WorkerCounters::new);
        return Arbitraries.oneOf(
            Combinators.combine(Arbitraries.integers(), Arbitraries.integers(), Arbitraries.longs(),
                Arbitraries.strings().ofMaxLength(64)).as(WorkerMessage.Hello::new),
            Combinators.combine(epochs, rules).as(WorkerMessage.Sync::new),
            Combinators.combine(epochs, rules, RuleArbitraries.ids().list().ofMaxSize(5)).as(WorkerMessage.Apply::new),
            Combinators.combine(reported, Arbitraries.longs()).as(WorkerMessage.Ack::new),
            Combinators.combine(Arbitraries.longs(), reported, Arbitraries.longs(), counters, traceEvents().list()
                .ofMaxSize(4)).as(WorkerMessage.Heartbeat::new),
            Combinators.combine(RuleArbitraries.ids(), Arbitraries.of(true, false)).as(WorkerMessage.Trace::new),
            Arbitraries.strings().ofMaxLength(100).map(WorkerMessage.Shutdown::new));
    }
}
