/**
 * The simulated seams and (with the simulator issue) the deterministic simulator that drives the real supervisor
 * and worker classes from one seed. Everything here is single-threaded and reads no real clock: time is what the
 * simulator says it is.
 */
package io.mcrelay.sim;
