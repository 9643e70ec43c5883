package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The sink's counting, fed payload bytes directly: each packet lands in exactly one of received, duplicate, corrupt
 * or foreign (reordered ones are received too), the run is the first intact packet's, and lost is measured against
 * --expect or, without it, against the gaps below each flow's highest sequence number.
 */
class SinkTest {
    private static final long RUN = 0x1122_3344_5566_7788L;
    private static final long OTHER_RUN = 0x0BAD_0BAD_0BAD_0BADL;

    private static byte[] packet(final long runId, final int flow, final long seq) {
        final byte[] bytes = new byte[64];
        TrafficPayload.write(bytes, 0, bytes.length, runId, flow, seq, 1_000 + seq);
        return bytes;
    }

    private static int feed(final Sink sink, final int arrivedFlow, final byte[] bytes) {
        return sink.onDatagram(arrivedFlow, bytes, 0, bytes.length, 5_000);
    }

    @Test
    void everyPacketOnceInOrderIsReceivedWithNothingElseCounted() {
        final Sink sink = new Sink(2, 6, null);
        for (long seq = 0; seq < 3; seq++) {
            assertEquals(TrafficPayload.OK, feed(sink, 0, packet(RUN, 0, seq)));
            assertFalse(sink.complete());
            assertEquals(TrafficPayload.OK, feed(sink, 1, packet(RUN, 1, seq)));
        }
        assertTrue(sink.complete());
        assertTrue(sink.runLocked());
        assertEquals(RUN, sink.runId());
        assertEquals(List.of(6L, 0L, 0L, 0L, 0L, 0L), counts(sink));
    }

    @Test
    void transitDelaysAreCountedForFirstArrivalsOfTheCountedRunOnly() {
        final Sink sink = new Sink(1, -1, null, false, RUN);
        final byte[] warm = new byte[64];
        TrafficPayload.write(warm, 0, warm.length, OTHER_RUN, 0, 0, 0);
        sink.onDatagram(0, warm, 0, warm.length, 900_000_000L); // another run: no delay counted
        for (long seq = 0; seq < 1_000; seq++) {
            final byte[] bytes = new byte[64];
            TrafficPayload.write(bytes, 0, bytes.length, RUN, 0, seq, 1_000_000L * seq);
            // 1 ms in transit, but the last packet 250 ms (held by a stalling relay, say)
            final long transitNs = seq == 999 ? 250_000_000L : 1_000_000L;
            sink.onDatagram(0, bytes, 0, bytes.length, 1_000_000L * seq + transitNs);
            if (seq == 10) {
                sink.onDatagram(0, bytes, 0, bytes.length, 900_000_000L); // a duplicate: not its delay again
            }
        }
        final Sink.Delay delay = sink.delay();
        assertEquals(1_000, delay.count());
        assertEquals(1_000, delay.p50Us(), 10); // two significant digits
        assertEquals(1_000, delay.p99Us(), 10);
        assertEquals(250_000, delay.maxUs(), 2_500);
        assertEquals(1, sink.duplicates());
    }

    @Test
    void theFirstIntactPacketNamesTheRunAndOtherRunsAreForeign() {
        final Sink sink = new Sink(1, -1, null);
        final byte[] garbage = "not a traffic-kit packet at all, but long enough".getBytes();
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, garbage));
        final byte[] corrupt = packet(OTHER_RUN, 0, 0);
        corrupt[40] ^= 1;
        assertEquals(TrafficPayload.CORRUPT, feed(sink, 0, corrupt));
        assertFalse(sink.runLocked(), "neither garbage nor a corrupt packet names a run");
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 0)));
        assertEquals(OTHER_RUN, sink.runId());
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(RUN, 0, 1)));
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 1)));
        // received, lost, duplicates, reordered, corrupt, foreign
        assertEquals(List.of(2L, 0L, 0L, 0L, 1L, 2L), counts(sink));
    }

    @Test
    void aRunWhoseIdIsZeroIsLockedOnToo() {
        final Sink sink = new Sink(1, -1, null);
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(0, 0, 0)));
        assertTrue(sink.runLocked());
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(RUN, 0, 1)));
    }

    @Test
    void duplicatesAndReorderedPacketsAreCountedPerFlow() {
        final Sink sink = new Sink(2, -1, null);
        feed(sink, 0, packet(RUN, 0, 0));
        feed(sink, 0, packet(RUN, 0, 2));
        feed(sink, 0, packet(RUN, 0, 1)); // late: reordered, still received
        feed(sink, 0, packet(RUN, 0, 2)); // again: a duplicate, not reordered
        feed(sink, 1, packet(RUN, 1, 0)); // flow 1 has its own sequence numbers
        feed(sink, 1, packet(RUN, 1, 0));
        assertEquals(List.of(4L, 0L, 2L, 1L, 0L, 0L), counts(sink));
    }

    @Test
    void withoutExpectLostIsTheGapsBelowEachFlowsHighestSequenceNumber() {
        final Sink sink = new Sink(3, -1, null);
        feed(sink, 0, packet(RUN, 0, 0));
        feed(sink, 0, packet(RUN, 0, 4)); // 1, 2, 3 missing
        feed(sink, 1, packet(RUN, 1, 1)); // 0 missing
        assertEquals(4, sink.lost());
        feed(sink, 0, packet(RUN, 0, 2));
        assertEquals(3, sink.lost());
    }

    @Test
    void withExpectLostIsWhatDidNotArrive() {
        final Sink sink = new Sink(1, 10, null);
        feed(sink, 0, packet(RUN, 0, 0));
        feed(sink, 0, packet(RUN, 0, 0));
        feed(sink, 0, packet(RUN, 0, 1));
        assertEquals(8, sink.lost());
        assertFalse(sink.complete());
    }

    @Test
    void aPacketOfAnotherFlowOnThisSocketIsForeignHereAndRecordedAsTheLeakItIs() throws Exception {
        final StringWriter record = new StringWriter();
        final Sink sink = new Sink(2, 2, record);
        feed(sink, 0, packet(RUN, 0, 0));
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(RUN, 1, 0)));
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 1, packet(RUN, 7, 0)), "a flow beyond the sockets");
        assertEquals(List.of(1L, 1L, 0L, 0L, 0L, 2L), counts(sink));

        final History history = new History();
        HistoryFile.read(new BufferedReader(new StringReader(record.toString())), "record", history);
        assertEquals(List.of(new History.Received(0, 0, 0, 5_000, TrafficPayload.OK),
            new History.Received(0, 1, 0, 5_000, TrafficPayload.OK),
            new History.Received(1, 7, 0, 5_000, TrafficPayload.OK)), history.received());
        history.sent(0, 0, 1_000);
        history.sent(1, 0, 1_000);
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(2, report.leaks(), report::describe);
    }

    @Test
    void theRecordHoldsEveryDatagramWithItsArrivalFlowAndStatus() throws Exception {
        final StringWriter record = new StringWriter();
        final Sink sink = new Sink(2, -1, record);
        feed(sink, 1, packet(RUN, 1, 3));
        final byte[] corrupt = packet(RUN, 1, 4);
        corrupt[20] ^= 0x40;
        feed(sink, 1, corrupt);
        feed(sink, 0, new byte[5]);
        assertEquals(HistoryFile.HEADER + "\nR 1 1 3 5000 ok\nR 1 -1 -1 5000 corrupt\nR 0 -1 -1 5000 foreign\n",
            record.toString());
    }

    @Test
    void aWarmupRunIsCheckedButForgottenWhenTheNextRunBegins() throws Exception {
        final StringWriter record = new StringWriter();
        final Sink sink = new Sink(1, 2, record, true);
        assertTrue(sink.warmingUp());
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 0)));
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 2)));
        feed(sink, 0, packet(OTHER_RUN, 0, 2)); // a duplicate
        final byte[] corrupt = packet(OTHER_RUN, 0, 3);
        corrupt[30] ^= 4;
        assertEquals(TrafficPayload.CORRUPT, feed(sink, 0, corrupt));
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, new byte[50]));
        assertFalse(sink.complete(), "two warm-up packets arrived, but a warm-up never completes the sink");
        assertTrue(sink.warmingUp());
        assertEquals(OTHER_RUN, sink.runId());

        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(RUN, 0, 0)));
        assertFalse(sink.warmingUp());
        assertEquals(RUN, sink.runId());
        // received, lost, duplicates, reordered, corrupt, foreign: nothing of the warm-up is left
        assertEquals(List.of(1L, 1L, 0L, 0L, 0L, 0L), counts(sink));
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(OTHER_RUN, 0, 4)), "the warm-up's run is over");
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(RUN, 0, 1)));
        assertTrue(sink.complete());
        assertEquals(List.of(2L, 0L, 0L, 0L, 0L, 1L), counts(sink));
        assertEquals(HistoryFile.HEADER + "\nR 0 0 0 5000 ok\nR 0 -1 -1 5000 foreign\nR 0 0 1 5000 ok\n",
            record.toString(), "the record holds the counted run only");
    }

    @Test
    void aSinkForANamedRunCountsThatRunOnlyFromItsFirstPacket() {
        final Sink sink = new Sink(1, 2, null, false, RUN);
        assertTrue(sink.warmingUp(), "nothing is counted before the named run's first packet");
        // A warm-up run's packets are checked as a counted run's are (so that the code counting one is compiled when
        // the named run starts), more of them than expected among them, and then forgotten.
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 0)), "a warm-up run");
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 1)));
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(OTHER_RUN, 0, 2)));
        assertFalse(sink.complete(), "three warm-up packets of the two expected, but a warm-up never completes");
        assertTrue(sink.warmingUp(), "another run never becomes the counted one");
        assertEquals(RUN, sink.runId());
        // received, lost, duplicates, reordered, corrupt, foreign: of the named run, while it has not started
        assertEquals(List.of(0L, 2L, 0L, 0L, 0L, 3L), counts(sink));
        assertEquals(0, sink.delay().count());
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(RUN, 0, 0)));
        assertFalse(sink.warmingUp());
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(OTHER_RUN, 0, 2)), "a straggler of another run");
        assertEquals(TrafficPayload.OK, feed(sink, 0, packet(RUN, 0, 1)));
        assertTrue(sink.complete());
        // received, lost, duplicates, reordered, corrupt, foreign: the other run's packets before the named run's
        // first are forgotten with the warm-up; the straggler after it counts
        assertEquals(List.of(2L, 0L, 0L, 0L, 0L, 1L), counts(sink));
        assertEquals(2, sink.delay().count(), "the transit delays of the named run only");
    }

    @Test
    void withoutWarmupASecondRunIsForeign() {
        final Sink sink = new Sink(1, -1, null, false);
        assertFalse(sink.warmingUp());
        feed(sink, 0, packet(OTHER_RUN, 0, 0));
        assertEquals(TrafficPayload.FOREIGN, feed(sink, 0, packet(RUN, 0, 0)));
        assertEquals(OTHER_RUN, sink.runId());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Sink(0, -1, null));
        assertThrows(IllegalArgumentException.class, () -> new Sink(1, 0, null));
        final Sink sink = new Sink(1, -1, null);
        assertThrows(IndexOutOfBoundsException.class, () -> feed(sink, 1, packet(RUN, 1, 0)));
    }

    /** received, lost, duplicates, reordered, corrupt, foreign. */
    private static List<Long> counts(final Sink sink) {
        return List.of(sink.received(), sink.lost(), sink.duplicates(), sink.reordered(), sink.corrupt(),
            sink.foreign());
    }
}
