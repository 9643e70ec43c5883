/**
 * Journal replay: a fresh supervisor core driven by a journal's recorded inputs alone, checked against the recorded
 * outputs. Single-threaded; reads no real clock.
 */
package io.mcrelay.sim.replay;
