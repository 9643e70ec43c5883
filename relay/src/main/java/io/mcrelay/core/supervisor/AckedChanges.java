package io.mcrelay.core.supervisor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.seam.RestartReason;

/**
 * Acked changes (DESIGN "Acked rule sync"): the client requests that wait for the workers' acks, each with its ack
 * deadline. A request succeeds once no worker it waits for lags: every ready worker acked its epoch (a {@code sync}
 * request wants a fresh ack even of an epoch already acked). At the deadline, an add or a remove is answered "not
 * acked" naming the lagging workers (the CLI's exit 4), a sync or a config load succeeds naming them; either way the
 * change stays committed, and each lagging worker is resynced (if it never got the change), left alone (if it is
 * taking in a table and its sync has not stalled, see {@link WorkerSlot#syncStalled}: slow, not hung; worker health
 * watches it further) or stopped.
 *
 * <p>The workers are read from their {@link WorkerSlot}s; answers, deadlines and what befalls a lagging worker go
 * through {@link Outcomes}. Requests are decided in the order they came. Not thread-safe.
 */
final class AckedChanges {
    /** What a request asked for, which decides its answer. */
    enum Kind { ADD, REMOVE, SYNC, CONFIG_LOAD }

    /** A client request waiting for the workers' acks. */
    static final class Pending {
        final Kind kind;
        final long connectionId;
        final long requestId;
        final String ruleId;
        final long epoch;
        final boolean[] waiting;
        final long[] acksAtStart;
        final boolean freshAck;
        final int[] configCounts;
        long timerId = NO_TIMER;

        Pending(final Kind kind, final long connectionId, final long requestId, final String ruleId,
                final long epoch, final int workers, final boolean freshAck, final int[] configCounts) {
            this.kind = kind;
            this.connectionId = connectionId;
            this.requestId = requestId;
            this.ruleId = ruleId;
            this.epoch = epoch;
            this.waiting = new boolean[workers];
            this.acksAtStart = new long[workers];
            this.freshAck = freshAck;
            this.configCounts = configCounts;
        }
    }

    /** What deciding a request does outside this class. */
    interface Outcomes {
        /** Schedules the ack deadline of {@code request}; returns the timer's id. */
        long scheduleDeadline(long deadlineNs, Pending request);

        /** Cancels the deadline of a request decided before it. */
        void cancelDeadline(long timerId);

        /** Sends the client its answer. */
        void answer(long connectionId, ControlResponse response);

        /** A lagging worker never got the change: send it the whole table. */
        void resync(WorkerSlot slot);

        /** A lagging worker got the change and did not ack it: start it over. */
        void stop(WorkerSlot slot, RestartReason reason, String detail);
    }

    /** A request's deadline not scheduled yet. */
    private static final long NO_TIMER = -1;

    private final long ackTimeoutNs;
    private final List<WorkerSlot> slots;
    private final Outcomes outcomes;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    AckedChanges(final long ackTimeoutNs, final List<WorkerSlot> slots, final Outcomes outcomes) {
        if (ackTimeoutNs <= 0) {
            throw new IllegalArgumentException("the ack timeout must be positive");
        }
        this.ackTimeoutNs = ackTimeoutNs;
        this.slots = List.copyOf(slots);
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
    }

    /** Client requests still waiting for acks. */
    int size() {
        return pending.size();
    }

    /**
     * Starts waiting for the acks of {@code epoch}: from the workers ready now (and, for a change that takes rules
     * away or wants fresh acks, the syncing ones too), for the ack timeout from the next duty cycle
     * ({@link #armDeadlines}). It may be answered at once, when no worker needs to ack.
     */
    Pending start(final Kind kind, final long connectionId, final long requestId, final String ruleId,
                  final long epoch, final boolean freshAck, final int[] configCounts) {
        assert kind != Kind.CONFIG_LOAD || configCounts.length == 3 : "a config load counts added, removed, kept";
        final Pending request = new Pending(kind, connectionId, requestId, ruleId, epoch, slots.size(), freshAck,
            configCounts);
        for (final WorkerSlot slot : slots) {
            request.waiting[slot.index] = slot.state == WorkerSlot.State.READY
                || (waitsForSyncing(request) && slot.state == WorkerSlot.State.SYNCING);
            request.acksAtStart[slot.index] = slot.acksReceived;
        }
        pending.addLast(request);
        check();
        return request;
    }

    /**
     * A change that takes rules away also waits for syncing workers: one of them may still hold the old table and
     * forward the removed rule, and "removed" must mean no worker forwards it any more. A new rule need not wait
     * for them: a syncing worker's Sync carries it.
     */
    private static boolean waitsForSyncing(final Pending request) {
        return request.freshAck || request.kind == Kind.REMOVE || request.kind == Kind.CONFIG_LOAD;
    }

    /** True if {@code request} still waits for this worker's ack. */
    boolean isLagging(final Pending request, final WorkerSlot slot) {
        if (!request.waiting[slot.index]) {
            return false;
        }
        return switch (slot.state) {
            case READY -> slot.ackedEpoch < request.epoch
                || (request.freshAck && slot.acksReceived == request.acksAtStart[slot.index]);
            case SYNCING -> waitsForSyncing(request) && (slot.ackedEpoch < request.epoch
                || (request.freshAck && slot.acksReceived == request.acksAtStart[slot.index]));
            // Gone or restarting: a new incarnation starts from a Sync of the whole table, so it holds the change.
            default -> false;
        };
    }

    /**
     * Gives the requests started since the last call their deadline, the ack timeout from {@code nowNs}: called at the
     * start of each duty cycle, so the timeout counts from the cycle after the change, when it has gone out to the
     * workers. A cycle that took long (a table of 10,000 rules parsed, planned and committed on a cold daemon took
     * over a second) would otherwise have spent the workers' whole timeout before they were sent anything.
     */
    void armDeadlines(final long nowNs) {
        for (final Pending request : pending) {
            if (request.timerId == NO_TIMER) {
                request.timerId = outcomes.scheduleDeadline(nowNs + ackTimeoutNs, request);
            }
        }
    }

    /** Answers every request that no worker lags on any more, in the order they came. */
    void check() {
        final Iterator<Pending> iterator = pending.iterator();
        while (iterator.hasNext()) {
            final Pending request = iterator.next();
            boolean done = true;
            for (final WorkerSlot slot : slots) {
                if (isLagging(request, slot)) {
                    done = false;
                    break;
                }
            }
            if (done) {
                iterator.remove();
                if (request.timerId != NO_TIMER) {
                    outcomes.cancelDeadline(request.timerId);
                }
                outcomes.answer(request.connectionId, success(request, List.of()));
            }
        }
    }

    private static ControlResponse success(final Pending request, final List<Integer> lagging) {
        return switch (request.kind) {
            case ADD -> new ControlResponse.RuleAdded(request.requestId, request.ruleId, request.epoch);
            case REMOVE -> new ControlResponse.RuleRemoved(request.requestId, request.ruleId, request.epoch);
            case SYNC -> new ControlResponse.Synced(request.requestId, request.epoch, lagging);
            case CONFIG_LOAD -> new ControlResponse.ConfigLoaded(request.requestId, request.epoch,
                request.configCounts[0], request.configCounts[1], request.configCounts[2], lagging);
        };
    }

    /** The ack deadline of {@code request} passed; nothing happens if it was answered already. */
    void onDeadline(final Pending request) {
        if (!pending.remove(request)) {
            return;
        }
        final List<Integer> lagging = new ArrayList<>();
        for (final WorkerSlot slot : slots) {
            if (isLagging(request, slot)) {
                lagging.add(slot.index);
                if (slot.state == WorkerSlot.State.READY && slot.syncEpoch < request.epoch) {
                    outcomes.resync(slot); // it never got (or never applied) the change: send it all
                } else if (slot.state == WorkerSlot.State.SYNCING && !slot.syncStalled()) {
                    continue; // taking in a big table and moving: lagging, not hung
                } else {
                    outcomes.stop(slot, RestartReason.SYNC_TIMEOUT, "did not ack epoch " + request.epoch + " in time");
                }
            }
        }
        final ControlResponse response = switch (request.kind) {
            case ADD, REMOVE -> new ControlResponse.NotAcked(request.requestId, request.ruleId, request.epoch,
                lagging);
            case SYNC, CONFIG_LOAD -> success(request, lagging);
        };
        outcomes.answer(request.connectionId, response);
    }
}
