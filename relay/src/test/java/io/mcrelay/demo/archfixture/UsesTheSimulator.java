package io.mcrelay.demo.archfixture;

import io.mcrelay.sim.archfixture.FakeSimulator;

/** Breaks the room rule of {@code demo} on purpose (the demo wires a simulated part): see ArchRulesTest. */
public final class UsesTheSimulator {
    private UsesTheSimulator() {
    }

    public static Object world() {
        return new FakeSimulator();
    }
}
