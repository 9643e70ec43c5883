package io.mcrelay.sim.archfixture;

/** Stands in for a class of the sim module, which relay cannot see: see ArchRulesTest. */
public final class FakeSimulator {
}
