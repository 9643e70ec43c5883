/**
 * The deterministic simulator that drives the real supervisor and worker classes from one seed: the run
 * ({@link io.mcrelay.sim.Simulator}), the world it steps ({@link io.mcrelay.sim.Cluster}), the default workload and
 * the event log whose digest a run prints. Its rooms: {@code seams} (the simulated seams), {@code check} (one class
 * per invariant), {@code fault} (the fault schedule), {@code replay} (journal replay) and {@code cli} (the commands).
 * Everything here is single-threaded and reads no real clock: time is what the simulator says it is.
 */
package io.mcrelay.sim;
