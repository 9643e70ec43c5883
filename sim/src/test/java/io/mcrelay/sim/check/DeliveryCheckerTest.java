package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;

/** A worker that silently loses one packet in a thousand on a healthy link is caught by "delivery". */
class DeliveryCheckerTest {
    @Test
    void oneLostPacketInAThousandIsCaught() {
        MutantRuns.assertCaughtBy(DeliveryChecker.NAME, Supervisor::new, WorkerMutants.LosesOneInAThousandWorker::new);
    }
}
