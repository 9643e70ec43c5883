package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The history checker on hand-made runs: each finding (loss outside a window, duplicate, cross-flow arrival,
 * corruption, foreign packet, reordering) counted exactly, losses inside a declared fault window excused and counted
 * there, and the time from a window's end to complete forwarding measured from the sends.
 */
class HistoryCheckerTest {
    private static final long MS = 1_000_000;

    /** Two flows, one packet per flow every millisecond for {@code packets} ms, each sent at seq ms. */
    private static History sentTwoFlows(final int packets) {
        final History history = new History();
        for (int seq = 0; seq < packets; seq++) {
            history.sent(0, seq, seq * MS);
            history.sent(1, seq, seq * MS);
        }
        return history;
    }

    private static void deliver(final History history, final int flow, final long seq) {
        history.received(flow, flow, seq, seq * MS + MS / 2, TrafficPayload.OK);
    }

    @Test
    void aRunWhereEverythingArrivesOnceInOrderIsClean() {
        final History history = sentTwoFlows(100);
        for (int seq = 0; seq < 100; seq++) {
            deliver(history, 0, seq);
            deliver(history, 1, seq);
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertTrue(report.clean(), report::describe);
        assertEquals(200, report.sent());
        assertEquals(200, report.received());
    }

    @Test
    void aLossOutsideEveryWindowIsReportedWithThePacket() {
        final History history = sentTwoFlows(10);
        for (int seq = 0; seq < 10; seq++) {
            deliver(history, 0, seq);
            if (seq != 4) {
                deliver(history, 1, seq);
            }
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertFalse(report.clean());
        assertEquals(1, report.lostOutsideWindows());
        assertEquals(List.of(new History.Sent(1, 4, 4 * MS)), report.lostSamples());
        assertTrue(report.describe().contains("lost outside fault windows 1"), report::describe);
    }

    @Test
    void lossesInsideADeclaredWindowAreExcusedAndCountedThereAndRecoveryIsMeasured() {
        final History history = sentTwoFlows(100);
        history.window("worker 0 restarted", 20 * MS, 30 * MS);
        for (int seq = 0; seq < 100; seq++) {
            // Lost from 20 ms (inside the window) to 34 ms (4 ms after its end): recovery takes 5 ms.
            if (seq < 20 || seq > 34) {
                deliver(history, 0, seq);
                deliver(history, 1, seq);
            }
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(2 * 4, report.lostOutsideWindows(), "31..34 on both flows were sent after the window ended");
        assertEquals(1, report.windows().size());
        final HistoryChecker.WindowRecovery window = report.windows().getFirst();
        assertEquals(2 * 11, window.lostInside(), "20..30 on both flows");
        assertEquals(5 * MS, window.recoveryNs(), "forwarding complete again from the send at 35 ms");
    }

    @Test
    void aWindowAfterWhichNothingIsLostRecoversAtOnce() {
        final History history = sentTwoFlows(50);
        history.window("link flap", 10 * MS, 20 * MS);
        for (int seq = 0; seq < 50; seq++) {
            if (seq < 12 || seq > 20) {
                deliver(history, 0, seq);
                deliver(history, 1, seq);
            }
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertTrue(report.clean(), report::describe);
        assertEquals(0, report.windows().getFirst().recoveryNs());
        assertEquals(18, report.windows().getFirst().lostInside());
    }

    @Test
    void aWindowAfterWhichForwardingNeverCompletesSaysNever() {
        final History history = sentTwoFlows(50);
        history.window("interface deleted", 10 * MS, 20 * MS);
        for (int seq = 0; seq < 10; seq++) {
            deliver(history, 0, seq);
            deliver(history, 1, seq);
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(HistoryChecker.NEVER, report.windows().getFirst().recoveryNs());
        assertTrue(report.describe().contains("forwarding complete never"), report::describe);
    }

    @Test
    void duplicatesCrossFlowArrivalsCorruptionForeignPacketsAndReorderingAreEachCounted() {
        final History history = sentTwoFlows(5);
        for (int seq = 0; seq < 5; seq++) {
            deliver(history, 0, seq);
        }
        deliver(history, 0, 2); // a duplicate that also goes backwards
        history.received(1, 1, 1, 10 * MS, TrafficPayload.OK);
        history.received(1, 1, 0, 10 * MS, TrafficPayload.OK); // reordered
        history.received(0, 1, 2, 10 * MS, TrafficPayload.OK); // flow 1's packet on flow 0's socket
        history.received(1, 1, 3, 10 * MS, TrafficPayload.OK);
        history.received(1, 1, 4, 10 * MS, TrafficPayload.OK);
        history.received(1, -1, -1, 10 * MS, TrafficPayload.CORRUPT);
        history.received(0, -1, -1, 10 * MS, TrafficPayload.FOREIGN);
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(0, report.lostOutsideWindows(), report::describe);
        assertEquals(1, report.duplicates());
        assertEquals(List.of(new HistoryChecker.PacketId(0, 2)), report.duplicateSamples());
        assertEquals(1, report.leaks());
        assertEquals(1, report.leakSamples().getFirst().flow());
        assertEquals(1, report.corrupt());
        assertEquals(1, report.foreign());
        assertEquals(2, report.reordered(), "the duplicate of 2 after 4, and 0 after 1 on flow 1");
        assertFalse(report.clean());
    }

    @Test
    void samplesAreBoundedButCountsExact() {
        final History history = new History();
        for (int seq = 0; seq < 1000; seq++) {
            history.sent(0, seq, seq);
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(1000, report.lostOutsideWindows());
        assertEquals(HistoryChecker.SAMPLES_MAX, report.lostSamples().size());
    }
}
