package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.runtime.WheelTimers;

/**
 * A real {@link WorkerAgent} on virtual time (1 ms a duty cycle) heartbeats less often while it has nothing to report:
 * after {@link WorkerAgent#QUIET_HEARTBEATS} heartbeats in a row with nothing new it announces the idle interval, once
 * more at the usual interval (a lost announcement is then no long silence), then at the idle interval; a frame or a command brings the next heartbeat back to the usual interval from the last one; a heartbeat
 * the channel refused announced nothing, so the usual interval follows it.
 */
class WorkerIdleHeartbeatTest {
    private static final long MS = 1_000_000L;
    private static final long USUAL_NS = WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS;
    private static final long IDLE_NS = WorkerAgent.Config.defaults(0).idleHeartbeatIntervalNs();

    private final WorkerFakes.QueueChannel channel = new WorkerFakes.QueueChannel();
    /** Frames to hand the worker on its next poll (a frame too short to parse counts as malformed: activity). */
    private int framesToDeliver;
    private final WorkerFakes.DestinationsIo io = new WorkerFakes.DestinationsIo() {
        @Override
        public int pollFrames(final FrameHandler handler, final int limit) {
            int delivered = 0;
            while (framesToDeliver > 0 && delivered < limit) {
                handler.onFrame(7, new UnsafeBuffer(new byte[10]), 0, 10);
                framesToDeliver--;
                delivered++;
            }
            return delivered;
        }
    };
    private final WorkerAgent worker = new WorkerAgent(WorkerAgent.Config.defaults(0), channel, io,
        new WheelTimers(0));
    private final List<Long> heartbeatTimes = new ArrayList<>();
    private final List<WorkerMessage.Heartbeat> heartbeats = new ArrayList<>();
    private long nowNs;

    WorkerIdleHeartbeatTest() {
        worker.start(nowNs);
        for (final byte[] chunk : WorkerMessageCodec.syncChunks(1, WorkerSyncIntakeTest.rules(2, "idle"),
            WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX)) {
            channel.inbound.add(chunk);
        }
    }

    /** Runs duty cycles for {@code durationNs}, noting when each heartbeat went. */
    private void run(final long durationNs) {
        final long endNs = nowNs + durationNs;
        while (nowNs < endNs) {
            worker.doWork(nowNs);
            final List<WorkerMessage.Heartbeat> sent = channel.sent(WorkerMessage.Heartbeat.class);
            while (heartbeats.size() < sent.size()) {
                heartbeats.add(sent.get(heartbeats.size()));
                heartbeatTimes.add(nowNs);
            }
            nowNs += MS;
        }
    }

    private long gapBefore(final int heartbeat) {
        return heartbeatTimes.get(heartbeat) - heartbeatTimes.get(heartbeat - 1);
    }

    @Test
    void afterFourQuietHeartbeatsAWorkerAnnouncesAndKeepsTheIdleInterval() {
        run(8_000 * MS);
        assertEquals(1, channel.sent(WorkerMessage.Ack.class).size(), "the table was taken in and acked");
        // The first heartbeat reports the table (not quiet), the next four nothing new: the fourth of them (the
        // fifth heartbeat, after 1 s of quiet) announces the idle interval, and so does the next, still at the usual
        // interval; the idle interval starts after it.
        for (int i = 0; i < 4; i++) {
            assertEquals(0, heartbeats.get(i).nextWithinNs(), "heartbeat " + i + " announces the usual interval");
        }
        assertEquals(250 * MS, heartbeatTimes.getFirst());
        for (int i = 1; i <= 5; i++) {
            assertEquals(USUAL_NS, gapBefore(i), "heartbeat " + i + " comes at the usual interval");
        }
        for (int i = 4; i < heartbeats.size(); i++) {
            assertEquals(IDLE_NS, heartbeats.get(i).nextWithinNs(), "heartbeat " + i + " announces the idle one");
        }
        for (int i = 6; i < heartbeats.size(); i++) {
            assertEquals(IDLE_NS, gapBefore(i), "heartbeat " + i + " comes at the idle interval");
        }
        assertEquals(12, heartbeats.size(), "6 at the usual interval, then one a second: " + heartbeatTimes);
    }

    /** Runs until just after the second heartbeat at the idle interval (3,500 ms); returns its index. */
    private int runIntoIdle() {
        run(3_550 * MS);
        final int idleAt = heartbeats.size() - 1;
        assertEquals(3_500 * MS, heartbeatTimes.get(idleAt));
        assertEquals(IDLE_NS, heartbeats.get(idleAt).nextWithinNs());
        return idleAt;
    }

    @Test
    void aFrameBringsTheNextHeartbeatBackToTheUsualIntervalFromTheLast() {
        final int idleAt = runIntoIdle();
        final long lastNs = heartbeatTimes.get(idleAt);
        framesToDeliver = 1; // 50 ms after the idle heartbeat
        run(600 * MS);
        assertEquals(lastNs + USUAL_NS, heartbeatTimes.get(idleAt + 1), "the usual interval from the last");
        assertEquals(0, heartbeats.get(idleAt + 1).nextWithinNs(), "it announces the usual interval again");
        assertEquals(1, heartbeats.get(idleAt + 1).counters().malformed(), "and reports the frame");
        assertEquals(lastNs + 2 * USUAL_NS, heartbeatTimes.get(idleAt + 2));
    }

    @Test
    void aFrameLongAfterAnIdleHeartbeatBringsTheNextOneAtOnce() {
        final int idleAt = runIntoIdle();
        final long lastNs = heartbeatTimes.get(idleAt);
        run(650 * MS);
        assertEquals(idleAt + 1, heartbeats.size(), "none while idle");
        framesToDeliver = 1; // 700 ms after the idle heartbeat
        run(10 * MS);
        assertEquals(lastNs + 700 * MS, heartbeatTimes.get(idleAt + 1), "the usual interval is past: at once");
        assertEquals(0, heartbeats.get(idleAt + 1).nextWithinNs());
    }

    @Test
    void aCommandIsActivityToo() {
        final int idleAt = runIntoIdle();
        final long lastNs = heartbeatTimes.get(idleAt);
        channel.deliver(new WorkerMessage.Trace(WorkerSyncIntakeTest.rules(1, "idle").getFirst().id(), true));
        run(300 * MS);
        assertEquals(lastNs + USUAL_NS, heartbeatTimes.get(idleAt + 1));
        assertEquals(0, heartbeats.get(idleAt + 1).nextWithinNs());
    }

    @Test
    void aHeartbeatTheChannelRefusedAnnouncedNothingSoTheUsualIntervalFollows() {
        run(1_100 * MS); // four heartbeats at the usual interval: the next would announce idle
        assertEquals(4, heartbeats.size());
        channel.full = true;
        run(USUAL_NS);
        assertEquals(4, heartbeats.size(), "the fifth was refused");
        channel.full = false;
        run(USUAL_NS);
        assertEquals(5, heartbeats.size());
        assertEquals(1_500 * MS, heartbeatTimes.get(4), "the one after the refused one came at the usual interval");
        assertEquals(0, heartbeats.get(4).nextWithinNs(), "and the quiet count started over");
    }
}
