package io.mcrelay.sim.check;

import java.util.List;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * Conservation: every frame a live worker received and every send it attempted is accounted for exactly once
 * (matched, unmatched, malformed or a fragment; completed, failed for one counted reason, or in flight). A worker
 * that drops a send without counting it is what it exists to catch.
 */
public final class ConservationChecker extends Checker {
    public static final String NAME = "conservation";

    public ConservationChecker(final Failures failures) {
        super(NAME, failures);
    }

    /** Checks the counters of every live worker as they stand now. */
    public void check(final List<SimLauncher.LiveWorker> live) {
        for (final SimLauncher.LiveWorker worker : live) {
            final WorkerAgent.Totals t = worker.agent().totals();
            final long accounted = t.matched() + t.unmatched() + t.malformed() + t.fragments();
            if (t.framesReceived() != accounted) {
                fail("worker " + worker.handle().workerIndex() + " received " + t.framesReceived()
                    + " frames but accounts for " + accounted);
            }
            if (t.sendsAttempted() != t.sendsCompleted() + t.sendsFailed() + t.sendsInFlight()
                || t.sendsFailed() != t.dropsBufferFull() + t.dropsSendError() + t.dropsLinkDown()) {
                fail("worker " + worker.handle().workerIndex() + " sends do not add up: " + t);
            }
        }
    }
}
