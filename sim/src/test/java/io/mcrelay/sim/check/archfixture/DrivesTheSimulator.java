package io.mcrelay.sim.check.archfixture;

import io.mcrelay.sim.Simulator;

/** Breaks the rule that checkers never reach up into the simulator, on purpose: see SimArchitectureTest. */
public final class DrivesTheSimulator {
    private DrivesTheSimulator() {
    }

    public static Object defaults() {
        return Simulator.Config.defaults(1);
    }
}
