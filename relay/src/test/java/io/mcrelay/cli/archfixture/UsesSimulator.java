package io.mcrelay.cli.archfixture;

/** Breaks the relay-stands-alone rule on purpose: see ArchRulesTest. */
public final class UsesSimulator {
    Object world() { return new io.mcrelay.sim.archfixture.FakeSimulator(); }
}
