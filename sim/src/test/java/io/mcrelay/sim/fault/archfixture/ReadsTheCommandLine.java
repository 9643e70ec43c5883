package io.mcrelay.sim.fault.archfixture;

import io.mcrelay.sim.cli.SimCommand;

/** Breaks the rule that the fault schedule stays out of the command line, on purpose: see SimArchitectureTest. */
public final class ReadsTheCommandLine {
    private ReadsTheCommandLine() {
    }

    public static Object command() {
        return new SimCommand();
    }
}
