package io.mcrelay.core.supervisor;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Test-only variants of the supervisor, each with one bug that exactly one of the simulator's checkers exists to catch
 * (DESIGN "Simulator and faults"). They live in the supervisor's package so they can override its package-private hooks;
 * no production class extends a core class. Each checker's test in {@code io.mcrelay.sim.check} runs its mutant.
 */
public final class SupervisorMutants {
    private SupervisorMutants() {
    }

    /** Never sends the table to a restarted worker: "convergence" must catch it. */
    public static final class NoResyncAfterRestartSupervisor extends Supervisor {
        public NoResyncAfterRestartSupervisor(final Config config, final Seams seams) {
            super(config, seams);
        }

        @Override
        boolean maySync(final int workerIndex, final long restarts) {
            return restarts == 0;
        }
    }

    /** Sends changes to the workers in identity-hash order: "determinism" (same seed, same digest) must catch it. */
    public static final class IdentityOrderSupervisor extends Supervisor {
        public IdentityOrderSupervisor(final Config config, final Seams seams) {
            super(config, seams);
        }

        @Override
        Iterable<WorkerSlot> broadcastOrder() {
            final Set<WorkerSlot> slots = Collections.newSetFromMap(new IdentityHashMap<>());
            super.broadcastOrder().forEach(slots::add);
            return slots;
        }
    }
}
