package io.mcrelay.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.supervisor.SupervisorMutants;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.sim.Simulator;

/**
 * A supervisor that sends changes to its workers in identity-hash order is caught by "determinism": some seed among
 * the first few gives two different digests. The real core gives the same digest twice on the same seeds.
 */
class DeterminismCheckerTest {
    @Test
    void identityHashOrderIsCaught() {
        for (long seed = 1; seed <= MutantRuns.SEEDS_TRIED; seed++) {
            final Optional<String> failure = DeterminismChecker.check(seed,
                s -> MutantRuns.run(s, SupervisorMutants.IdentityOrderSupervisor::new, WorkerAgent::new).digest());
            if (failure.isPresent()) {
                assertTrue(failure.get().startsWith(DeterminismChecker.NAME + ": seed " + seed + " "), failure::get);
                System.out.println("mutant caught: " + failure.get() + "; " + Simulator.reproduceCommand(seed));
                return;
            }
        }
        fail("the identity-order mutant gave equal digests twice for seeds 1 to " + MutantRuns.SEEDS_TRIED);
    }

    @Test
    void theRealCoreIsDeterministicOnTheSameSeeds() {
        for (long seed = 1; seed <= 5; seed++) {
            assertEquals(Optional.empty(), DeterminismChecker.check(seed,
                s -> MutantRuns.run(s, Supervisor::new, WorkerAgent::new).digest()), "seed " + seed);
        }
    }

    @Test
    void differentDigestsAreAFailureNamingTheSeedAndBoth() {
        final String[] digests = {"00000000000000aa", "00000000000000bb"};
        final int[] runs = {0};
        assertEquals(Optional.of("determinism: seed 7 gave digest 00000000000000aa, then 00000000000000bb"),
            DeterminismChecker.check(7, seed -> digests[runs[0]++]));
        assertEquals(2, runs[0], "a seed is run exactly twice");
    }
}
