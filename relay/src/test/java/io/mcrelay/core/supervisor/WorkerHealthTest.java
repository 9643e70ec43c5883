package io.mcrelay.core.supervisor;

import static io.mcrelay.core.supervisor.TestKit.MS;
import static io.mcrelay.core.supervisor.TestKit.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.WorkerLauncher;

/**
 * Worker health driven directly: one worker slot with DESIGN's default tunables (heartbeats every 250 ms, 4 missed,
 * ack timeout 1 s, backoff 250 ms doubling to 16 s, reset after 30 s ready), a launcher that only records, and the
 * real {@link WorkerCommands} sending to a recording channel. The test plays the worker's frames and the time.
 */
class WorkerHealthTest {
    private static final long WRONG_HASH = 0x5EED;

    private final RuleTable table = new RuleTable(Limits.DEFAULT);
    private final TraceLog traces = new TraceLog();
    private final TestKit.FakeLauncher launcher = new TestKit.FakeLauncher();
    private final List<Long> respawnDeadlines = new ArrayList<>();
    private final WorkerHealth health;
    private final WorkerCommands commands;
    private final WorkerSlot slot;
    private int changes;
    private long nowNs;
    private long sequence;

    WorkerHealthTest() {
        health = new WorkerHealth(Supervisor.Config.defaults(1), table, launcher, new WorkerHealth.Actions() {
            @Override
            public void sendSync(final WorkerSlot worker) {
                commands.sendSync(worker, nowNs);
            }

            @Override
            public long scheduleRespawn(final long deadlineNs, final int workerIndex) {
                respawnDeadlines.add(deadlineNs);
                return respawnDeadlines.size();
            }

            @Override
            public void retired(final int workerIndex, final WorkerCounters counters) {
            }

            @Override
            public void traced(final WorkerSlot worker, final List<WorkerMessage.TraceEvent> events) {
                traces.record(worker.index, events);
            }

            @Override
            public void workersChanged() {
                changes++;
            }
        });
        commands = new WorkerCommands(table, traces, health, (index, restarts) -> true, health::slots,
            new Inputs(new TestKit.RecordingInputSockets()), WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX);
        slot = health.slot(0);
    }

    private TestKit.FakeChannel connect() {
        final TestKit.FakeChannel channel = new TestKit.FakeChannel();
        health.onConnected(launcher.last(), channel, nowNs);
        return channel;
    }

    private void receive(final WorkerMessage message) {
        final UnsafeBuffer frame = (UnsafeBuffer) TestKit.frame(message);
        health.onFrame(slot, frame, 0, frame.capacity(), nowNs);
    }

    private void ack(final long epoch, final long hash) {
        receive(new WorkerMessage.Ack(epoch, hash));
    }

    private void heartbeat(final long epoch, final long hash) {
        receive(new WorkerMessage.Heartbeat(sequence++, epoch, hash, WorkerCounters.ZERO, List.of()));
    }

    /** A heartbeat of a worker at {@code epoch} taking in the Sync of {@code syncEpoch}, {@code prepared} rules in. */
    private void syncingHeartbeat(final long epoch, final long hash, final long syncEpoch, final int prepared,
                                  final int rules) {
        receive(new WorkerMessage.Heartbeat(sequence++, epoch, hash,
            new WorkerMessage.SyncProgress(syncEpoch, 3, 3, prepared, rules), WorkerCounters.ZERO, List.of()));
    }

    private static WorkerCounters withRule(final String id, final long packetsIn) {
        return new WorkerCounters(packetsIn, 0, 0, 0, 0, 0, List.of(), List.of(new WorkerCounters.RuleCounters(
            new RuleId(id), packetsIn, packetsIn * 100, 0, 0, 0, 0, List.of(
                new WorkerCounters.OutputCounters(packetsIn, packetsIn * 100, 0)))));
    }

    private TestKit.FakeChannel readyWorker() {
        health.launch(slot, nowNs);
        final TestKit.FakeChannel channel = connect();
        ack(table.epoch(), table.hash());
        assertEquals(WorkerSlot.State.READY, slot.state);
        return channel;
    }

    /** Lets the worker exit; returns the backoff before its next launch (0 for at once) and relaunches it. */
    private long crashAndRelaunch() {
        final int respawnsBefore = respawnDeadlines.size();
        final int launchesBefore = launcher.launched.size();
        health.onExited(launcher.last(), 1, nowNs);
        if (respawnDeadlines.size() == respawnsBefore) {
            assertEquals(launchesBefore + 1, launcher.launched.size(), "relaunched at once");
            return 0;
        }
        assertEquals(WorkerSlot.State.BACKOFF, slot.state);
        assertEquals(launchesBefore, launcher.launched.size(), "not relaunched before its backoff");
        final long delayNs = respawnDeadlines.getLast() - nowNs;
        nowNs = respawnDeadlines.getLast();
        health.onRespawnDue(0, nowNs);
        assertEquals(WorkerSlot.State.STARTING, slot.state);
        return delayNs;
    }

    /** A second health role with its own slot, whose actions do nothing: for the first-message timeout alone. */
    private WorkerHealth withFirstMessageTimeout(final long timeoutNs) {
        return new WorkerHealth(Supervisor.Config.defaults(1).withFirstMessageTimeoutNs(timeoutNs), table, launcher,
            new WorkerHealth.Actions() {
                @Override
                public void sendSync(final WorkerSlot worker) {
                }

                @Override
                public long scheduleRespawn(final long deadlineNs, final int workerIndex) {
                    return 1;
                }

                @Override
                public void retired(final int workerIndex, final WorkerCounters counters) {
                }

                @Override
                public void traced(final WorkerSlot worker, final List<WorkerMessage.TraceEvent> events) {
                }

                @Override
                public void workersChanged() {
                }
            });
    }

    @Test
    void aWorkerSilentAfterConnectingGetsTheFirstMessageTimeoutThenIsRestarted() {
        final WorkerHealth slow = withFirstMessageTimeout(10 * SECOND);
        final WorkerSlot worker = slow.slot(0);
        slow.launch(worker, 0);
        slow.onConnected(launcher.last(), new TestKit.FakeChannel(), 0);
        slow.checkHealth(10 * SECOND);
        assertEquals(WorkerSlot.State.SYNCING, worker.state, "a JVM warming up is given the first-message timeout");
        assertTrue(launcher.killed.isEmpty());
        slow.checkHealth(10 * SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, worker.state, "silent past it: restarted");
        assertEquals(1, launcher.killed.size());
    }

    @Test
    void onceItHasSpokenAWorkerGetsOnlyTheHeartbeatSilenceEvenWithALongFirstMessageTimeout() {
        final WorkerHealth slow = withFirstMessageTimeout(10 * SECOND);
        final WorkerSlot worker = slow.slot(0);
        slow.launch(worker, 0);
        slow.onConnected(launcher.last(), new TestKit.FakeChannel(), 0);
        final UnsafeBuffer frame = (UnsafeBuffer) TestKit.frame(new WorkerMessage.Heartbeat(0, -1, 0,
            WorkerCounters.ZERO, List.of()));
        slow.onFrame(worker, frame, 0, frame.capacity(), 0);
        slow.checkHealth(SECOND);
        assertEquals(WorkerSlot.State.SYNCING, worker.state);
        slow.checkHealth(SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, worker.state, "4 missed heartbeats after its first message");
    }

    @Test
    void withTheDefaultsASilentNewWorkerGetsTheHeartbeatSilenceOnly() {
        health.launch(slot, nowNs);
        connect();
        health.checkHealth(SECOND);
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        health.checkHealth(SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
    }

    @Test
    void aWorkerThatMissesFourHeartbeatsIsRestarted() {
        final TestKit.FakeChannel channel = readyWorker();
        final WorkerLauncher.WorkerHandle first = launcher.last();
        for (nowNs = 250 * MS; nowNs <= SECOND; nowNs += 250 * MS) {
            heartbeat(table.epoch(), table.hash());
            health.checkHealth(nowNs);
        }
        nowNs = 2 * SECOND; // four intervals without a heartbeat: not yet more than four
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.READY, slot.state);
        assertTrue(launcher.killed.isEmpty());

        nowNs = 2 * SECOND + 1;
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(List.of(first), launcher.killed);
        assertTrue(channel.closed);

        health.onExited(first, -9, nowNs);
        assertEquals(2, launcher.launched.size(), "the first restart is at once");
        assertEquals(WorkerSlot.State.STARTING, slot.state);
        assertEquals(1, slot.restarts);
        assertEquals(Map.of("no_heartbeat", 1L), slot.restartReasons);
    }

    @Test
    void aWorkerThatSaidItWasIdleIsJudgedByTheIntervalItAnnounced() {
        readyWorker();
        final WorkerLauncher.WorkerHandle first = launcher.last();
        assertEquals(250 * MS, health.checkIntervalNs(), "a worker that announced nothing: the usual interval");
        nowNs = 250 * MS;
        receive(new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(), SECOND,
            WorkerMessage.SyncProgress.NONE, WorkerCounters.ZERO, List.of()));
        assertEquals(SECOND, health.checkIntervalNs(), "every worker idle: health checks at its interval");
        nowNs = 250 * MS + 4 * SECOND; // four idle intervals: not yet more than four
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.READY, slot.state);
        assertTrue(launcher.killed.isEmpty());

        nowNs += 1;
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(List.of(first), launcher.killed);
        assertEquals(250 * MS, health.checkIntervalNs(), "a worker not ready: the usual interval");
    }

    @Test
    void aWorkerBusyAgainIsJudgedByTheUsualIntervalAndAnOlderHeartbeatChangesNothing() {
        readyWorker();
        nowNs = 250 * MS;
        final WorkerMessage.Heartbeat idle = new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(),
            SECOND, WorkerMessage.SyncProgress.NONE, WorkerCounters.ZERO, List.of());
        receive(idle);
        nowNs = 500 * MS;
        heartbeat(table.epoch(), table.hash()); // busy again: the usual interval
        assertEquals(250 * MS, health.checkIntervalNs());
        receive(idle); // the idle one again, late: older than the newest, it says nothing of now
        assertEquals(0, slot.heartbeatWithinNs);
        nowNs = 1_500 * MS + 1; // more than four usual intervals since the newest
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
    }

    @Test
    void aNewIncarnationStartsAtTheUsualInterval() {
        readyWorker();
        receive(new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(), SECOND,
            WorkerMessage.SyncProgress.NONE, WorkerCounters.ZERO, List.of()));
        health.onExited(launcher.last(), 1, nowNs);
        connect();
        assertEquals(0, slot.heartbeatWithinNs);
        assertEquals(250 * MS, health.checkIntervalNs());
    }

    @Test
    void theBackoffDoublesFromItsInitialValueUpToItsMaximum() {
        health.launch(slot, nowNs);
        final List<Long> delays = new ArrayList<>();
        for (int crash = 0; crash < 9; crash++) {
            nowNs += SECOND;
            delays.add(crashAndRelaunch());
        }
        assertEquals(List.of(0L, 250 * MS, 500 * MS, SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND, 16 * SECOND,
            16 * SECOND), delays);
        assertEquals(Map.of("exited", 9L), slot.restartReasons);
    }

    @Test
    void theBackoffStartsOverAfterThirtySecondsReady() {
        health.launch(slot, nowNs);
        crashAndRelaunch();
        crashAndRelaunch();
        assertEquals(500 * MS, crashAndRelaunch());
        connect();
        ack(table.epoch(), table.hash());
        assertEquals(WorkerSlot.State.READY, slot.state);

        nowNs += 30 * SECOND;
        assertEquals(0, crashAndRelaunch(), "ran ready for 30 s: not a crash loop");
        assertEquals(250 * MS, crashAndRelaunch(), "and the next crash starts the backoff over");
    }

    @Test
    void theBackoffGoesOnAfterLessThanThirtySecondsReady() {
        health.launch(slot, nowNs);
        crashAndRelaunch();
        crashAndRelaunch();
        crashAndRelaunch();
        connect();
        ack(table.epoch(), table.hash());

        nowNs += 30 * SECOND - 1;
        assertEquals(SECOND, crashAndRelaunch());
    }

    @Test
    void aWorkerThatDoesNotConnectInTimeIsStopped() {
        health.launch(slot, nowNs);
        nowNs = 10 * SECOND;
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.STARTING, slot.state);
        nowNs = 10 * SECOND + 1;
        health.checkHealth(nowNs);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(RestartReason.CONNECT_TIMEOUT, slot.stopReason);
        assertEquals("did not connect in time", slot.stopDetail);
    }

    @Test
    void aConnectionOfAnIncarnationGivenUpOnIsClosed() {
        health.launch(slot, nowNs);
        health.stop(slot, RestartReason.REQUESTED, "test");
        final TestKit.FakeChannel late = connect();
        assertTrue(late.closed);
        assertEquals(null, slot.channel);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
    }

    @Test
    void aConnectedWorkerIsSentTheTableAndIsReadyOnceItAcksItWithTheRightHash() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        health.launch(slot, nowNs);
        final TestKit.FakeChannel channel = connect();
        assertInstanceOf(WorkerMessage.Sync.class, channel.sent.getFirst());
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        ack(0, table.hashAt(0)); // an epoch before the Sync's: not caught up
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        ack(1, table.hash());
        assertEquals(WorkerSlot.State.READY, slot.state);
    }

    @Test
    void aWrongHashRightAfterASyncStopsTheWorker() {
        health.launch(slot, nowNs);
        connect();
        ack(0, WRONG_HASH);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(RestartReason.DRIFT, slot.stopReason);
        assertEquals("ruleset hash disagreed right after a sync (epoch 0: expected 0000000000000000, reported "
            + "0000000000005eed)", slot.stopDetail, "the log names both hashes");
    }

    @Test
    void aDriftIsRepairedByASyncOnceAndADriftSoonAfterRestartsTheWorker() {
        final TestKit.FakeChannel channel = readyWorker();
        nowNs = SECOND;
        heartbeat(0, WRONG_HASH);
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        assertTrue(slot.syncOwed);
        assertEquals(1, commands.sendSync(slot, nowNs));
        assertEquals(2, channel.sent.stream().filter(WorkerMessage.Sync.class::isInstance).count());
        ack(0, table.hash());
        assertEquals(WorkerSlot.State.READY, slot.state);

        nowNs = 2 * SECOND; // within 30 s of the first drift
        heartbeat(0, WRONG_HASH);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(RestartReason.DRIFT, slot.stopReason);
        assertEquals("ruleset drifted again after a sync (epoch 0: expected 0000000000000000, reported "
            + "0000000000005eed)", slot.stopDetail);
    }

    @Test
    void aDriftLongAfterTheLastIsRepairedAgain() {
        readyWorker();
        nowNs = SECOND;
        heartbeat(0, WRONG_HASH);
        commands.sendSync(slot, nowNs);
        ack(0, table.hash());

        nowNs = SECOND + WorkerHealth.DRIFT_REPEAT_WINDOW_NS;
        heartbeat(0, WRONG_HASH);
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        assertTrue(slot.syncOwed);
        assertTrue(launcher.killed.isEmpty());
    }

    @Test
    void aWorkerThatNeverCompletesASyncIsStoppedAfterThreeAttempts() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        health.launch(slot, nowNs);
        connect(); // attempt 1
        for (int attempt = 1; attempt <= WorkerHealth.SYNC_ATTEMPTS_MAX; attempt++) {
            assertEquals(attempt, slot.syncAttempts);
            nowNs += SECOND + 1;
            heartbeat(0, table.hashAt(0)); // alive, but still at the epoch before the Sync
            health.checkHealth(nowNs);
            if (attempt < WorkerHealth.SYNC_ATTEMPTS_MAX) {
                assertTrue(slot.syncOwed, "attempt " + attempt + " timed out: the table is owed again");
                commands.sendSync(slot, nowNs);
            }
        }
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(RestartReason.SYNC_TIMEOUT, slot.stopReason);
        assertEquals("did not complete a sync after 3 attempts: no progress for 1,000 ms while it went on "
            + "heartbeating (syncing epoch 1: chunks sent 1, none reported taken in)", slot.stopDetail);
    }

    /**
     * A worker taking in a big table reports how far it got in every heartbeat; while that grows, the sync is slow,
     * not hung: it is not sent again nor stopped, however long it takes (here 20 s, twenty ack timeouts), and the
     * worker is ready once it acks.
     */
    @Test
    void aSyncThatMakesProgressIsNeverSentAgainNorStoppedHoweverLongItTakes() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        health.launch(slot, nowNs);
        final TestKit.FakeChannel channel = connect();
        final int sentAfterConnect = channel.sent.size();
        for (int step = 1; step <= 80; step++) {
            nowNs += 250 * MS;
            syncingHeartbeat(-1, 0, table.epoch(), step, 100);
            health.checkHealth(nowNs);
            assertFalse(slot.syncOwed, "step " + step + ": not sent again");
            assertEquals(WorkerSlot.State.SYNCING, slot.state, "step " + step);
        }
        assertEquals(sentAfterConnect, channel.sent.size(), "nothing more was sent");
        assertEquals(1, slot.syncAttempts);
        assertTrue(launcher.killed.isEmpty());
        ack(table.epoch(), table.hash());
        assertEquals(WorkerSlot.State.READY, slot.state);
    }

    /**
     * A worker that said it prepared every rule of a big table installs it in one step, which may take long: it may be
     * silent up to the first-message timeout meanwhile (the daemon's is its connect timeout), then it must speak.
     */
    @Test
    void aWorkerInstallingABigTableMayBeSilentUpToTheFirstMessageTimeout() {
        final WorkerHealth patient = withFirstMessageTimeout(10 * SECOND);
        final WorkerSlot worker = patient.slot(0);
        patient.launch(worker, nowNs);
        patient.onConnected(launcher.last(), new TestKit.FakeChannel(), nowNs);
        final UnsafeBuffer installing = (UnsafeBuffer) TestKit.frame(new WorkerMessage.Heartbeat(0, -1, 0,
            new WorkerMessage.SyncProgress(1, 44, 44, 65_536, 65_536), WorkerCounters.ZERO, List.of()));
        patient.onFrame(worker, installing, 0, installing.capacity(), nowNs);
        patient.checkHealth(nowNs + 9 * SECOND);
        assertEquals(WorkerSlot.State.SYNCING, worker.state, "installing: 9 s of silence allowed");
        patient.checkHealth(nowNs + 10 * SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, worker.state);
        assertEquals(RestartReason.NO_HEARTBEAT, worker.stopReason);
        assertEquals("missed heartbeats: silent for 10,000 ms, more than the 10,000 ms allowed (syncing epoch 1: 44 of "
            + "44 chunks received, 65536 of 65536 rules prepared)", worker.stopDetail);
    }

    /**
     * A ready worker sent a big table (a config load) may be silent up to the first-message timeout before it says a
     * word about it (its first steps on it are cold code); once it reported on it, the usual silence applies.
     */
    @Test
    void aWorkerSentATableItHasNotReportedOnMayBeSilentUpToTheFirstMessageTimeout() {
        final WorkerHealth patient = new WorkerHealth(Supervisor.Config.defaults(1).withFirstMessageTimeoutNs(
            10 * SECOND), table, launcher, new TestKit.QuietActions());
        final WorkerSlot worker = patient.slot(0);
        patient.launch(worker, nowNs);
        patient.onConnected(launcher.last(), new TestKit.FakeChannel(), nowNs);
        worker.syncEpoch = 0; // its first Sync went (the quiet actions send nothing)
        worker.syncOwed = false;
        final UnsafeBuffer hello = (UnsafeBuffer) TestKit.frame(new WorkerMessage.Ack(0, table.hash()));
        patient.onFrame(worker, hello, 0, hello.capacity(), nowNs);
        assertEquals(WorkerSlot.State.READY, worker.state);
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        patient.requestSync(worker, false);
        worker.syncSendingEpoch = table.epoch(); // its chunks went out
        patient.checkHealth(nowNs + 9 * SECOND);
        assertEquals(WorkerSlot.State.SYNCING, worker.state, "not reported on yet: 9 s of silence allowed");
        final UnsafeBuffer reported = (UnsafeBuffer) TestKit.frame(new WorkerMessage.Heartbeat(0, 0, table.hashAt(0),
            new WorkerMessage.SyncProgress(table.epoch(), 1, 7, 0, 1_400), WorkerCounters.ZERO, List.of()));
        patient.onFrame(worker, reported, 0, reported.capacity(), nowNs + 9 * SECOND);
        patient.checkHealth(nowNs + 9 * SECOND + 500 * MS);
        assertEquals(WorkerSlot.State.SYNCING, worker.state);
        patient.checkHealth(nowNs + 10 * SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, worker.state, "reported on it: the usual second of silence");
        assertEquals(RestartReason.NO_HEARTBEAT, worker.stopReason);
    }

    /** A worker that reports a sync still being prepared gets the usual heartbeat silence only. */
    @Test
    void aWorkerStillPreparingATableGetsTheUsualSilenceOnly() {
        final WorkerHealth patient = withFirstMessageTimeout(10 * SECOND);
        final WorkerSlot worker = patient.slot(0);
        patient.launch(worker, nowNs);
        patient.onConnected(launcher.last(), new TestKit.FakeChannel(), nowNs);
        final UnsafeBuffer preparing = (UnsafeBuffer) TestKit.frame(new WorkerMessage.Heartbeat(0, -1, 0,
            new WorkerMessage.SyncProgress(1, 44, 44, 1_024, 65_536), WorkerCounters.ZERO, List.of()));
        patient.onFrame(worker, preparing, 0, preparing.capacity(), nowNs);
        patient.checkHealth(nowNs + SECOND + 1);
        assertEquals(WorkerSlot.State.STOPPING, worker.state);
        assertEquals(RestartReason.NO_HEARTBEAT, worker.stopReason);
    }

    /** The same worker's sync stops moving (it reports the same progress): after the ack timeout it is sent again. */
    @Test
    void aSyncThatStopsMovingIsSentAgain() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        health.launch(slot, nowNs);
        connect();
        nowNs += 250 * MS;
        syncingHeartbeat(-1, 0, table.epoch(), 40, 100);
        for (int step = 0; step < 4; step++) { // 1 s more of the same report: not moving
            nowNs += 250 * MS;
            syncingHeartbeat(-1, 0, table.epoch(), 40, 100);
            health.checkHealth(nowNs);
        }
        assertFalse(slot.syncOwed, "exactly the ack timeout since it last moved: not yet");
        nowNs += 250 * MS;
        syncingHeartbeat(-1, 0, table.epoch(), 40, 100);
        health.checkHealth(nowNs);
        assertTrue(slot.syncOwed, "stalled for more than the ack timeout: the table is sent again");
        assertTrue(launcher.killed.isEmpty());
    }

    /**
     * Heartbeats carry absolute counters with a sequence: one delivered twice, or late after a newer one, neither
     * counts twice nor moves a counter back, and its trace events are recorded once.
     */
    @Test
    void aDuplicatedOrLateHeartbeatNeverCountsTwiceNorMovesACounterBack() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        readyWorker();
        traces.set(new RuleId("cam-1"), true);
        final WorkerMessage.Heartbeat third = new WorkerMessage.Heartbeat(3, table.epoch(), table.hash(),
            withRule("cam-1", 30), List.of(new WorkerMessage.TraceEvent(new RuleId("cam-1"), 7,
                WorkerMessage.TraceEvent.SENT, 0, 100)));
        final WorkerMessage.Heartbeat second = new WorkerMessage.Heartbeat(2, table.epoch(), table.hash(),
            withRule("cam-1", 20), List.of(new WorkerMessage.TraceEvent(new RuleId("cam-1"), 6,
                WorkerMessage.TraceEvent.SENT, 0, 100)));
        receive(third);
        receive(third);
        receive(second); // late
        receive(second);
        assertEquals(30, slot.counters.rule(new RuleId("cam-1")).packetsIn(), "the newest values stay");
        assertEquals(30, slot.counters.snapshot().framesReceived());
        assertEquals(2, traces.events(new RuleId("cam-1")).size(), "each heartbeat's events once");
        // A newer heartbeat that does not carry the rule (it did not change) keeps its values.
        receive(new WorkerMessage.Heartbeat(4, table.epoch(), table.hash(), WorkerCounters.ZERO, List.of()));
        assertEquals(30, slot.counters.rule(new RuleId("cam-1")).packetsIn());
    }

    @Test
    void theSameEpochAckedTwiceWhileBehindAsksForTheWholeTable() {
        readyWorker();
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        health.onEpochChanged(nowNs);
        ack(0, table.hashAt(0));
        assertEquals(WorkerSlot.State.SYNCING, slot.state);
        assertTrue(slot.syncOwed);
    }

    @Test
    void aBadOrUnexpectedFrameStopsTheWorker() {
        readyWorker();
        final UnsafeBuffer garbage = new UnsafeBuffer(new byte[] {(byte) 0xFF, 1, 2});
        final int changesBefore = changes;
        health.onFrame(slot, garbage, 0, garbage.capacity(), nowNs);
        assertEquals(WorkerSlot.State.STOPPING, slot.state);
        assertEquals(RestartReason.PROTOCOL_ERROR, slot.stopReason);
        assertTrue(slot.stopDetail.startsWith("sent a bad frame: "), slot.stopDetail);
        assertTrue(changes > changesBefore, "acked changes hear of it");

        health.onExited(launcher.last(), -9, nowNs);
        connect();
        receive(new WorkerMessage.Shutdown("no"));
        assertEquals(RestartReason.PROTOCOL_ERROR, slot.stopReason);
        assertEquals("sent an unexpected Shutdown", slot.stopDetail);
    }

    @Test
    void aHeartbeatCarriesCountersAndTraceEvents() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        readyWorker();
        traces.set(new RuleId("cam-1"), true);
        nowNs = 250 * MS;
        receive(new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(), withRule("cam-1", 10),
            List.of()));
        nowNs = 500 * MS;
        receive(new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(), withRule("cam-1", 60), List.of(
            new WorkerMessage.TraceEvent(new RuleId("cam-1"), 7, WorkerMessage.TraceEvent.SENT, 0, 100))));
        final double[] rate = new double[2];
        slot.counters.addRate(new RuleId("cam-1"), rate);
        assertEquals(200.0, rate[0], 1e-9, "50 packets in 250 ms");
        assertEquals(1, traces.events(new RuleId("cam-1")).size());
        assertFalse(slot.syncOwed);
    }

    @Test
    void aRuleNoLongerInTheTableIsNoLongerCounted() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        readyWorker();
        sequence = 10;
        receive(new WorkerMessage.Heartbeat(sequence++, table.epoch(), table.hash(), withRule("cam-1", 10),
            List.of()));
        assertEquals(1, slot.counters.ruleCount());
        table.commit(List.of(new RuleId("cam-1")), List.of());
        heartbeat(table.epoch(), table.hash());
        assertEquals(0, slot.counters.ruleCount(), "forgotten once the table moved on");
        // A late heartbeat from before the removal (never seen: its sequence is older) brings nothing back.
        receive(new WorkerMessage.Heartbeat(5, 1, table.hashAt(1), withRule("cam-1", 10), List.of()));
        assertEquals(0, slot.counters.ruleCount());
    }
}
