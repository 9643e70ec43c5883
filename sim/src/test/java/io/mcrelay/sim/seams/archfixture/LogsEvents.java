package io.mcrelay.sim.seams.archfixture;

import io.mcrelay.sim.EventLog;

/** Breaks the rule that the simulated seams depend on no other room of the simulator: see SimArchitectureTest. */
public final class LogsEvents {
    private LogsEvents() {
    }

    public static Object log() {
        return new EventLog();
    }
}
