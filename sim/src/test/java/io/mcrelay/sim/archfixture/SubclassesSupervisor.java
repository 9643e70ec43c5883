package io.mcrelay.sim.archfixture;

import io.mcrelay.core.supervisor.Supervisor;

/** Breaks the simulator's no-subclass rule on purpose: see SimArchitectureTest. */
public final class SubclassesSupervisor extends Supervisor {
    public SubclassesSupervisor(final Config config, final Seams seams) {
        super(config, seams);
    }
}
