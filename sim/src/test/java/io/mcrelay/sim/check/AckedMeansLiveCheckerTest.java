package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;

/**
 * A worker that leaves after acking a change that gave it a new input interface (to be restarted with it, as the
 * daemon once did) is caught by "acked means live".
 */
class AckedMeansLiveCheckerTest {
    @Test
    void aRestartOnANewInputIsCaught() {
        MutantRuns.assertCaughtBy(AckedMeansLiveChecker.NAME, Supervisor::new,
            WorkerMutants.RestartOnNewInputWorker::new);
    }
}
