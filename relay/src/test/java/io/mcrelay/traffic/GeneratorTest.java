package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mcrelay.linux.sys.Errno;

/**
 * The generator stepped on a fake clock that only the park moves, with an output that records what it was handed and
 * answers as a test scripts it: what is due is sent in batches, flows take turns with sequence numbers from 0, the
 * count is exact, every wait is a park (never a spin), full queues are retried and other errors give one packet up.
 */
class GeneratorTest {
    private static final long RUN_ID = 0x1234_5678_9ABC_DEF0L;

    /** A clock moved only by parks: the generator's view of time in these tests. */
    private static final class FakeTime {
        long nowNs = 1_000_000_000L; // not 0: the generator must work relative to its start
        final List<Long> parks = new ArrayList<>();

        void park(final long ns) {
            assertTrue(ns > 0, "a park of " + ns + " ns");
            parks.add(ns);
            nowNs += ns;
        }
    }

    /** Records each sendmmsg; answers from a script (a result per call) and takes everything otherwise. */
    private static final class FakeOutput implements Generator.Output {
        final int batchMax;
        final int size;
        final byte[][] slots;
        final Deque<Integer> script = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();
        final History delivered = new History();
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();

        FakeOutput(final int batchMax, final int size) {
            this.batchMax = batchMax;
            this.size = size;
            slots = new byte[batchMax][size];
        }

        @Override
        public int batchMax() {
            return batchMax;
        }

        @Override
        public void put(final int index, final byte[] payload, final int length) {
            assertEquals(size, length);
            System.arraycopy(payload, 0, slots[index], 0, length);
        }

        @Override
        public int send(final int flow, final int count) {
            final int result = script.isEmpty() ? count : Math.min(script.poll(), count);
            calls.add(flow + ":" + count + "->" + result);
            for (int i = 0; i < Math.max(result, 0); i++) {
                assertEquals(TrafficPayload.OK, TrafficPayload.parse(slots[i], 0, size, RUN_ID, parsed));
                assertEquals(flow, parsed.flow());
                delivered.received(flow, parsed.flow(), parsed.seq(), parsed.sentNs(), TrafficPayload.OK);
            }
            return result;
        }
    }

    private static Generator generator(final Generator.Config config, final FakeOutput output, final FakeTime time,
        final History record) {
        return new Generator(config, output, (flow, firstSeq, count, sentNs) -> {
            for (int i = 0; i < count; i++) {
                record.sent(flow, firstSeq + i, sentNs);
            }
        }, () -> time.nowNs, time::park);
    }

    @Test
    void aCountIsSentExactlyWithFlowsTakingTurnsAndSequenceNumbersFromZero() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(4, 64);
        final History record = new History();
        final Generator.Result result = generator(new Generator.Config(3, 100, 64, 1000, RUN_ID), output, time,
            record).run();

        assertEquals(100, result.sent());
        assertEquals(0, result.given());
        assertEquals(Map.of(), result.errors());
        assertEquals(100, output.delivered.received().size());
        final long[] expectedSeq = new long[3];
        for (final History.Received packet : output.delivered.received()) {
            assertEquals(expectedSeq[packet.flow()]++, packet.seq(), "flow " + packet.flow());
        }
        assertEquals(34, expectedSeq[0]);
        assertEquals(33, expectedSeq[1]);
        assertEquals(33, expectedSeq[2]);
        assertEquals(100, record.sent().size(), "the listener hears of every packet sent");
        // 1000 packets/s: packet k is due k ms after the start; the last (k = 99) at 99 ms.
        assertEquals(99_000_000L, result.durationNs());
        assertTrue(time.parks.stream().allMatch(ns -> ns <= Generator.PARK_MAX_NS), time.parks::toString);
    }

    @Test
    void aRunThatFellBehindSendsEverythingDueInBatchesWithoutParking() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(64, 38);
        final Generator.Config config = new Generator.Config(2, 1000, 38, 1000, RUN_ID);
        final long[] reads = {0};
        // A clock that jumps 2 s after the first reading: everything is due by the second turn.
        final Generator generator = new Generator(config, output, (flow, firstSeq, count, sentNs) -> { },
            () -> time.nowNs + (reads[0]++ == 0 ? 0 : 2_000_000_000L), time::park);
        final Generator.Result result = generator.run();
        assertEquals(1000, result.sent());
        // All due in the first turn: 500 a flow in batches of at most 64, 8 calls each, and no wait.
        assertEquals(16, output.calls.size(), output.calls::toString);
        assertTrue(output.calls.stream().allMatch(call -> Integer.parseInt(call.split("[:-]")[1]) <= 64),
            output.calls::toString);
        assertEquals(List.of(), time.parks);
    }

    @Test
    void aFullSendBufferIsCountedAndTheSamePacketsAreTriedAgainAfterAPark() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(8, 40);
        output.script.add(-Errno.EAGAIN);
        output.script.add(-Errno.ENOBUFS);
        final Generator.Result result = generator(new Generator.Config(1, 5, 40, 1000, RUN_ID), output, time,
            new History()).run();
        assertEquals(5, result.sent());
        assertEquals(0, result.given());
        assertEquals(Map.of("EAGAIN", 1L, "ENOBUFS", 1L), result.errors());
        assertEquals(List.of(Generator.BACKOFF_NS, Generator.BACKOFF_NS), time.parks.subList(0, 2));
        final long[] seqs = output.delivered.received().stream().mapToLong(History.Received::seq).toArray();
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), java.util.Arrays.stream(seqs).boxed().toList());
    }

    @Test
    void anotherErrorGivesUpOnePacketAndTheRestGoOn() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(8, 40);
        output.script.add(-Errno.ECONNREFUSED);
        final History record = new History();
        final Generator.Result result = generator(new Generator.Config(1, 4, 40, 1000, RUN_ID), output, time,
            record).run();
        assertEquals(3, result.sent());
        assertEquals(1, result.given());
        assertEquals(Map.of("ECONNREFUSED", 1L), result.errors());
        assertEquals(List.of(1L, 2L, 3L), record.sent().stream().map(History.Sent::seq).toList(),
            "seq 0 was given up: no record of it");
    }

    @Test
    void aPartialSendResumesAtTheFirstMessageNotTaken() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(8, 40);
        // Everything due at once (a clock read after the start is 1 s later), then a partial send of 3.
        final long[] reads = {0};
        output.script.add(3);
        final Generator generator = new Generator(new Generator.Config(1, 8, 40, 1000, RUN_ID), output,
            (flow, firstSeq, count, sentNs) -> { }, () -> time.nowNs + (reads[0]++ == 0 ? 0 : 1_000_000_000L),
            time::park);
        assertEquals(8, generator.run().sent());
        assertEquals(List.of("0:8->3", "0:5->5"), output.calls);
    }

    @Test
    void aStoppedGeneratorReturnsAfterItsTurnWithWhatItSent() {
        final FakeTime time = new FakeTime();
        final FakeOutput output = new FakeOutput(8, 40);
        final Generator[] self = new Generator[1];
        self[0] = new Generator(new Generator.Config(1, Long.MAX_VALUE, 40, 10, RUN_ID), output,
            (flow, firstSeq, count, sentNs) -> { }, () -> time.nowNs, ns -> {
                time.park(ns);
                if (time.nowNs > 5_000_000_000L) {
                    self[0].stop();
                }
            });
        final Generator.Result result = self[0].run();
        // 10 packets/s for a little over 4 s of parks: packets 0..40 or so; never unbounded.
        assertTrue(result.sent() >= 40 && result.sent() <= 42, () -> "sent " + result.sent());
        assertEquals(result.sent(), self[0].sentCount());
    }
}
