package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;

/** A worker that acks a change 50 ms before it applies it is caught by "acked means applied". */
class AckedMeansAppliedCheckerTest {
    @Test
    void anAckBeforeApplyIsCaught() {
        MutantRuns.assertCaughtBy(AckedMeansAppliedChecker.NAME, Supervisor::new,
            WorkerMutants.AckBeforeApplyWorker::new);
    }
}
