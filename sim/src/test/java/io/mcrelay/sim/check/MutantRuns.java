package io.mcrelay.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mcrelay.sim.Cluster;
import io.mcrelay.sim.Simulator;

/**
 * Runs a mutant of the core through the simulator and asserts that one checker catches it: some seed among the first
 * {@link #SEEDS_TRIED} fails with that checker's name, and replaying that seed fails the same way with the same digest
 * (a reproducible seed). The mutants live in the core's own test packages, where they can override package-private
 * hooks (DESIGN "Simulator and faults").
 */
final class MutantRuns {
    static final int SEEDS_TRIED = 30;

    private MutantRuns() {
    }

    static Simulator.Result run(final long seed, final Cluster.SupervisorFactory supervisors,
                                final Cluster.WorkerFactory workers) {
        return Simulator.run(Simulator.Config.defaults(seed).withFactories(supervisors, workers), line -> { });
    }

    /** The first failing seed's result must name {@code checker}, and its replay must fail the same way. */
    static void assertCaughtBy(final String checker, final Cluster.SupervisorFactory supervisors,
                               final Cluster.WorkerFactory workers) {
        Simulator.Result caught = null;
        for (long seed = 1; seed <= SEEDS_TRIED && caught == null; seed++) {
            final Simulator.Result result = run(seed, supervisors, workers);
            if (!result.passed()) {
                caught = result;
            }
        }
        if (caught == null) {
            fail("the '" + checker + "' mutant survived " + SEEDS_TRIED + " seeds");
        }
        final Simulator.Result found = caught;
        assertTrue(found.failures().stream().anyMatch(f -> f.startsWith(checker + " at ")),
            () -> "seed " + found.seed() + " failed, but not by '" + checker + "': " + found.failures());
        final Simulator.Result replay = run(found.seed(), supervisors, workers);
        assertEquals(found.digest(), replay.digest(), "the failing seed must replay bit for bit");
        assertEquals(found.failures(), replay.failures());
        System.out.println("mutant caught by " + checker + " at seed " + found.seed() + ": "
            + Simulator.reproduceCommand(found.seed()));
    }
}
