package io.mcrelay.sim.check;

import java.util.List;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * Convergence: within a bound after start, and again within a bound after the faults stop, every worker the
 * supervisor counts is alive, ready, and holds the supervisor's epoch and ruleset hash. A supervisor that never
 * resyncs a restarted worker is what it exists to catch.
 */
public final class ConvergenceChecker extends Checker {
    public static final String NAME = "convergence";
    private static final long SECOND = 1_000_000_000L;

    public ConvergenceChecker(final Failures failures) {
        super(NAME, failures);
    }

    /** True when every worker is ready and holds the supervisor's epoch and hash. */
    public static boolean converged(final Supervisor supervisor, final List<SimLauncher.LiveWorker> live) {
        if (live.size() != supervisor.workers().size()) {
            return false;
        }
        for (final SimLauncher.LiveWorker worker : live) {
            if (!supervisor.isReady(worker.handle().workerIndex())
                || worker.agent().epoch() != supervisor.epoch()
                || worker.agent().rulesetHash() != supervisor.rulesetHash()) {
                return false;
            }
        }
        return true;
    }

    /** After start: {@code converged} says whether the cluster converged within the bound. */
    public void checkStarted(final boolean converged) {
        if (!converged) {
            fail("the workers did not start and sync within the bound");
        }
    }

    /** Once the faults stopped and {@code boundNs} passed: the cluster must have converged. */
    public void checkHealed(final Supervisor supervisor, final List<SimLauncher.LiveWorker> live, final long boundNs) {
        if (!converged(supervisor, live)) {
            fail("not converged " + boundNs / SECOND + " s after the faults stopped: supervisor epoch "
                + supervisor.epoch() + ", workers " + supervisor.workers());
        }
    }
}
