package io.mcrelay.sim.check;

import java.util.List;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * Acked means applied: when the supervisor acks a change at an epoch, every worker it counts as ready already holds
 * that epoch (or a later one) with the matching ruleset hash. A worker that acks before it applies is what it exists
 * to catch.
 */
public final class AckedMeansAppliedChecker extends Checker {
    public static final String NAME = "acked means applied";

    public AckedMeansAppliedChecker(final Failures failures) {
        super(NAME, failures);
    }

    /** The change {@code what} was just acked at {@code epoch}: checks every ready live worker. */
    public void check(final long epoch, final String what, final Supervisor supervisor,
                      final List<SimLauncher.LiveWorker> live) {
        for (final SimLauncher.LiveWorker worker : live) {
            final int index = worker.handle().workerIndex();
            if (!supervisor.isReady(index)) {
                continue;
            }
            final WorkerAgent agent = worker.agent();
            final Long expected = supervisor.rulesetHashAt(agent.epoch());
            if (agent.epoch() < epoch || (expected != null && expected != agent.rulesetHash())) {
                fail(what + " was acked at epoch " + epoch + " but ready worker " + index + " is at epoch "
                    + agent.epoch());
            }
        }
    }
}
