package io.mcrelay.core.supervisor;

import static io.mcrelay.core.supervisor.TestKit.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.control.ControlResponse;

/**
 * Acked changes driven directly: three worker slots whose states and acks the test sets, and outcomes that only
 * record. Proves when a request is answered, what its answer says at the deadline, and what befalls a lagging worker.
 */
class AckedChangesTest {
    private static final long CONNECTION = 7;

    private final List<WorkerSlot> slots = List.of(new WorkerSlot(0), new WorkerSlot(1), new WorkerSlot(2));
    private final List<Long> deadlines = new ArrayList<>();
    private final List<Long> cancelled = new ArrayList<>();
    private final List<ControlResponse> answers = new ArrayList<>();
    private final List<String> fates = new ArrayList<>();
    private final AckedChanges acked = new AckedChanges(SECOND, slots, new AckedChanges.Outcomes() {
        @Override
        public long scheduleDeadline(final long deadlineNs, final AckedChanges.Pending request) {
            deadlines.add(deadlineNs);
            return 100 + deadlines.size();
        }

        @Override
        public void cancelDeadline(final long timerId) {
            cancelled.add(timerId);
        }

        @Override
        public void answer(final long connectionId, final ControlResponse response) {
            assertEquals(CONNECTION, connectionId);
            answers.add(response);
        }

        @Override
        public void resync(final WorkerSlot slot) {
            fates.add(slot.index + " resynced");
        }

        @Override
        public void stop(final WorkerSlot slot, final RestartReason reason, final String detail) {
            fates.add(slot.index + " stopped: " + reason.word() + " (" + detail + ")");
        }
    });

    AckedChangesTest() {
        for (final WorkerSlot slot : slots) {
            slot.state = WorkerSlot.State.READY;
            slot.syncEpoch = 0;
            ack(slot, 0);
        }
    }

    private static void ack(final WorkerSlot slot, final long epoch) {
        slot.acksReceived++;
        slot.ackedEpoch = epoch;
    }

    private AckedChanges.Pending add(final long requestId, final long epoch) {
        final AckedChanges.Pending request = acked.start(AckedChanges.Kind.ADD, CONNECTION, requestId,
            "cam-" + requestId, epoch, false, null);
        acked.armDeadlines(5 * SECOND);
        return request;
    }

    @Test
    void aChangeSucceedsOnceEveryReadyWorkerAckedItsEpoch() {
        final AckedChanges.Pending request = add(1, 1);
        assertEquals(List.of(6 * SECOND), deadlines, "the deadline is the ack timeout from the next cycle");
        ack(slots.get(0), 1);
        ack(slots.get(1), 1);
        acked.check();
        assertTrue(answers.isEmpty(), "worker 2 has not acked yet");
        ack(slots.get(2), 1);
        acked.check();
        assertEquals(List.of(new ControlResponse.RuleAdded(1, "cam-1", 1)), answers);
        assertEquals(List.of(request.timerId), cancelled);
        assertEquals(0, acked.size());

        acked.onDeadline(request);
        assertEquals(1, answers.size(), "a deadline after the answer does nothing");
    }

    /**
     * The timeout counts from the duty cycle after the change (the one that committed it may have taken long), each
     * request's once; one answered before that needs no deadline at all.
     */
    @Test
    void theDeadlineIsTheAckTimeoutFromTheNextCycleAndSetOnce() {
        final AckedChanges.Pending slow = acked.start(AckedChanges.Kind.CONFIG_LOAD, CONNECTION, 1, null, 1, false,
            new int[] {10_000, 0, 0});
        assertTrue(deadlines.isEmpty(), "not while the cycle that committed it goes on");
        acked.armDeadlines(7 * SECOND);
        acked.armDeadlines(8 * SECOND);
        assertEquals(List.of(8 * SECOND), deadlines, "the ack timeout from the next cycle, once");
        for (final WorkerSlot slot : slots) {
            ack(slot, 1);
        }
        acked.check();
        assertEquals(List.of(slow.timerId), cancelled);

        final AckedChanges.Pending quick = acked.start(AckedChanges.Kind.ADD, CONNECTION, 2, "cam-2", 2, false, null);
        for (final WorkerSlot slot : slots) {
            ack(slot, 2);
        }
        acked.check();
        assertEquals(new ControlResponse.RuleAdded(2, "cam-2", 2), answers.getLast());
        acked.armDeadlines(9 * SECOND);
        assertEquals(1, deadlines.size(), "answered before its next cycle: no deadline");
        assertEquals(1, cancelled.size());
        assertEquals(-1, quick.timerId);
    }

    @Test
    void anAckTimeoutNamesTheLaggingWorkers() {
        final AckedChanges.Pending request = add(1, 1);
        ack(slots.get(1), 1);
        slots.get(2).syncEpoch = 1; // it was sent the change (by a Sync) and did not ack it
        acked.check();
        assertTrue(answers.isEmpty());

        acked.onDeadline(request);
        assertEquals(List.of(new ControlResponse.NotAcked(1, "cam-1", 1, List.of(0, 2))), answers);
        assertEquals(List.of("0 resynced", "2 stopped: sync_timeout (did not ack epoch 1 in time)"), fates);
        assertTrue(cancelled.isEmpty());
        assertEquals(0, acked.size());
    }

    @Test
    void aConfigLoadAtItsDeadlineSucceedsNamingTheLaggingWorkers() {
        final AckedChanges.Pending request = acked.start(AckedChanges.Kind.CONFIG_LOAD, CONNECTION, 3, null, 1,
            false, new int[] {2, 1, 5});
        acked.armDeadlines(0);
        ack(slots.get(0), 1);
        ack(slots.get(2), 1);
        acked.onDeadline(request);
        assertEquals(List.of(new ControlResponse.ConfigLoaded(3, 1, 2, 1, 5, List.of(1))), answers);
    }

    /**
     * At a config load's deadline, a syncing worker whose sync has not stalled (it went on taking the table in: its
     * last word came with progress) is named lagging but left to finish; one that talked on without progress for the
     * ack timeout is stopped.
     */
    @Test
    void aDeadlineLeavesASyncThatMovesAloneAndStopsOneThatStalled() {
        final AckedChanges.Pending request = acked.start(AckedChanges.Kind.CONFIG_LOAD, CONNECTION, 3, null, 1,
            false, new int[] {10_000, 0, 0});
        acked.armDeadlines(0);
        for (final WorkerSlot slot : slots.subList(1, 3)) {
            slot.state = WorkerSlot.State.SYNCING;
            slot.syncEpoch = 1;
            slot.syncSentAtNs = 100_000_000L;
        }
        slots.get(1).syncMovedAtNs = 900_000_000L; // its heartbeat said it took in more
        slots.get(1).lastHeardNs = 900_000_000L;
        slots.get(2).lastHeardNs = SECOND + 200_000_000L; // it talked on, 1.1 s after its sync last moved
        ack(slots.get(0), 1);
        acked.onDeadline(request);
        assertEquals(List.of(new ControlResponse.ConfigLoaded(3, 1, 10_000, 0, 0, List.of(1, 2))), answers);
        assertEquals(List.of("2 stopped: sync_timeout (did not ack epoch 1 in time)"), fates);
    }

    @Test
    void aWorkerThatIsGoneDoesNotHoldAChangeBack() {
        add(1, 1);
        ack(slots.get(0), 1);
        ack(slots.get(1), 1);
        slots.get(2).state = WorkerSlot.State.STOPPING; // its next incarnation starts from a Sync of the table
        acked.check();
        assertEquals(List.of(new ControlResponse.RuleAdded(1, "cam-1", 1)), answers);
    }

    @Test
    void onlyAChangeThatTakesRulesAwayWaitsForASyncingWorker() {
        slots.get(2).state = WorkerSlot.State.SYNCING;
        ack(slots.get(0), 1);
        ack(slots.get(1), 1);
        add(1, 1);
        assertEquals(List.of(new ControlResponse.RuleAdded(1, "cam-1", 1)), answers, "answered at once");

        acked.start(AckedChanges.Kind.REMOVE, CONNECTION, 2, "cam-1", 1, false, null);
        acked.armDeadlines(0);
        assertEquals(1, answers.size(), "a syncing worker may still forward the removed rule");
        ack(slots.get(2), 1);
        acked.check();
        assertEquals(new ControlResponse.RuleRemoved(2, "cam-1", 1), answers.getLast());
    }

    @Test
    void aSyncRequestWantsAFreshAckFromEveryWorker() {
        acked.start(AckedChanges.Kind.SYNC, CONNECTION, 4, null, 0, true, null);
        acked.armDeadlines(0);
        acked.check();
        assertTrue(answers.isEmpty(), "every worker acked epoch 0 before the request: not enough");
        for (final WorkerSlot slot : slots) {
            ack(slot, 0);
        }
        acked.check();
        assertEquals(List.of(new ControlResponse.Synced(4, 0, List.of())), answers);
    }

    @Test
    void requestsAreAnsweredInTheOrderTheyCame() {
        add(1, 1);
        add(2, 2);
        for (final WorkerSlot slot : slots) {
            ack(slot, 2);
        }
        acked.check();
        assertEquals(List.of(new ControlResponse.RuleAdded(1, "cam-1", 1),
            new ControlResponse.RuleAdded(2, "cam-2", 2)), answers);
        assertEquals(List.of(101L, 102L), cancelled);
    }
}
