package io.mcrelay.sim.archfixture;

/** Breaks the simulator's no-copy rule on purpose (a class named like a core class): see SimArchitectureTest. */
public final class WorkerAgent {
}
