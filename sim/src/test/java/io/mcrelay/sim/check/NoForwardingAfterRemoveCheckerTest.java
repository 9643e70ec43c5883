package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;

/** A worker whose forwarding entries outlive their removed rule is caught by "no forwarding after remove". */
class NoForwardingAfterRemoveCheckerTest {
    @Test
    void forwardingAfterRemoveIsCaught() {
        MutantRuns.assertCaughtBy(NoForwardingAfterRemoveChecker.NAME, Supervisor::new,
            WorkerMutants.ForwardAfterRemoveWorker::new);
    }
}
