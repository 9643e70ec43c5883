/**
 * The simulator's invariant checkers, one class per invariant: convergence, acked means applied, refused means
 * nowhere, conservation, no forwarding after remove, delivery exactly once, and determinism. Each watches what the
 * simulator shows it (the supervisor, the live workers, the answers and the deliveries), never changes what it
 * watches, and reports what it catches to the run's {@link io.mcrelay.sim.check.Failures} under its own name. Each
 * one has a test in {@code sim/src/test} that runs the mutant of the core it exists to catch. They depend on the
 * core and the simulated seams only, never on the simulator that drives them. Single-threaded.
 */
package io.mcrelay.sim.check;
