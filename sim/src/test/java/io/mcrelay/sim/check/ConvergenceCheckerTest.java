package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.SupervisorMutants;
import io.mcrelay.core.worker.WorkerAgent;

/** A supervisor that never sends the table to a restarted worker is caught by "convergence". */
class ConvergenceCheckerTest {
    @Test
    void noResyncAfterRestartIsCaught() {
        MutantRuns.assertCaughtBy(ConvergenceChecker.NAME, SupervisorMutants.NoResyncAfterRestartSupervisor::new,
            WorkerAgent::new);
    }
}
