package io.mcrelay.daemon.archfixture;

import io.mcrelay.sim.archfixture.FakeSimulator;

/** Breaks the room rule of {@code daemon} on purpose (the daemon wires a simulated part): see ArchRulesTest. */
public final class UsesTheSimulator {
    private UsesTheSimulator() {
    }

    public static Object world() {
        return new FakeSimulator();
    }
}
