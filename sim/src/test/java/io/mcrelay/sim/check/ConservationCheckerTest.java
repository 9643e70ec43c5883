package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;

/**
 * A worker that does not count a send dropped for a full buffer, that loses a frame it read without counting it, or
 * whose heartbeats lose what a removed rule had counted in, is caught by "conservation".
 */
class ConservationCheckerTest {
    @Test
    void anUncountedDropIsCaught() {
        MutantRuns.assertCaughtBy(ConservationChecker.NAME, Supervisor::new, WorkerMutants.UncountedDropWorker::new);
    }

    @Test
    void aFrameReadAndLostWithoutACountIsCaught() {
        MutantRuns.assertCaughtBy(ConservationChecker.NAME, Supervisor::new, WorkerMutants.UncountedFrameWorker::new);
    }

    @Test
    void packetsOfARemovedRuleThatLeaveTheCountsAreCaught() {
        MutantRuns.assertCaughtBy(ConservationChecker.NAME, Supervisor::new,
            WorkerMutants.ForgetsRemovedRulesWorker::new);
    }
}
