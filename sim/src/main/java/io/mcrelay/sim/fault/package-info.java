/**
 * The simulator's fault schedule: from the seed's swarm mix (a {@link io.mcrelay.fault.FaultPlan}), which faults fire
 * when and on what during the safety phase, when each one is undone, and the healing that ends the phase. The faults
 * inside the worker channels are the fault-injection module's decorators; the ones here act on the simulated world
 * (links, workers, the supervisor process, the clocks). Depends on the simulated seams, never on the simulator that
 * drives it. Single-threaded; every choice comes from the seed.
 */
package io.mcrelay.sim.fault;
