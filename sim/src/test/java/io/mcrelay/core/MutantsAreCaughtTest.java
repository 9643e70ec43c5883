package io.mcrelay.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.supervisor.SupervisorMutants;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.core.worker.WorkerMutants;
import io.mcrelay.sim.Cluster;
import io.mcrelay.sim.Simulator;

/**
 * Each checker earns its place: for each of DESIGN's six mutants of the core, some seed among the first few fails
 * with that checker's name, and replaying that seed fails the same way with the same digest (a reproducible seed).
 * The determinism mutant is caught by running a seed twice and comparing digests.
 */
class MutantsAreCaughtTest {
    private static final int SEEDS_TRIED = 30;

    private record Caught(long seed, Simulator.Result result) {
    }

    private static Simulator.Result run(final long seed, final Cluster.SupervisorFactory supervisors,
                                        final Cluster.WorkerFactory workers) {
        return Simulator.run(Simulator.Settings.defaults(seed).withFactories(supervisors, workers), line -> { });
    }

    private static void assertCaughtBy(final String checker, final Cluster.SupervisorFactory supervisors,
                                       final Cluster.WorkerFactory workers) {
        Caught caught = null;
        for (long seed = 1; seed <= SEEDS_TRIED && caught == null; seed++) {
            final Simulator.Result result = run(seed, supervisors, workers);
            if (!result.passed()) {
                caught = new Caught(seed, result);
            }
        }
        if (caught == null) {
            fail("the '" + checker + "' mutant survived " + SEEDS_TRIED + " seeds");
        }
        final Caught found = caught;
        assertTrue(found.result().failures().stream().anyMatch(f -> f.startsWith(checker)),
            () -> "seed " + found.seed() + " failed, but not by '" + checker + "': " + found.result().failures());
        final Simulator.Result replay = run(found.seed(), supervisors, workers);
        assertEquals(found.result().digest(), replay.digest(), "the failing seed must replay bit for bit");
        assertEquals(found.result().failures(), replay.failures());
        System.out.println("mutant caught by " + checker + " at seed " + found.seed() + ": "
            + Simulator.reproduceCommand(found.seed()));
    }

    @Test
    void ackBeforeApplyIsCaughtByAckedMeansApplied() {
        assertCaughtBy("acked means applied", Supervisor::new, WorkerMutants.AckBeforeApplyWorker::new);
    }

    @Test
    void noResyncAfterRestartIsCaughtByConvergence() {
        assertCaughtBy("convergence", SupervisorMutants.NoResyncAfterRestartSupervisor::new, WorkerAgent::new);
    }

    @Test
    void anUncountedDropIsCaughtByConservation() {
        assertCaughtBy("conservation", Supervisor::new, WorkerMutants.UncountedDropWorker::new);
    }

    @Test
    void forwardingAfterRemoveIsCaughtByTheRemovalChecker() {
        assertCaughtBy("no forwarding after remove", Supervisor::new, WorkerMutants.ForwardAfterRemoveWorker::new);
    }

    @Test
    void oneLostPacketInAThousandIsCaughtByDelivery() {
        assertCaughtBy("delivery", Supervisor::new, WorkerMutants.LosesOneInAThousandWorker::new);
    }

    @Test
    void identityHashOrderIsCaughtByDeterminism() {
        final List<Long> tried = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS_TRIED; seed++) {
            tried.add(seed);
            final String first = run(seed, SupervisorMutants.IdentityOrderSupervisor::new, WorkerAgent::new).digest();
            final String second = run(seed, SupervisorMutants.IdentityOrderSupervisor::new, WorkerAgent::new).digest();
            if (!first.equals(second)) {
                System.out.println("mutant caught by determinism at seed " + seed + ": digests " + first + " and "
                    + second + "; " + Simulator.reproduceCommand(seed));
                return;
            }
        }
        fail("the identity-order mutant gave equal digests twice for seeds " + tried);
    }

    @Test
    void theRealCoreIsDeterministicOnTheSameSeeds() {
        for (long seed = 1; seed <= 5; seed++) {
            assertEquals(run(seed, Supervisor::new, WorkerAgent::new).digest(),
                run(seed, Supervisor::new, WorkerAgent::new).digest(), "seed " + seed);
        }
    }
}
