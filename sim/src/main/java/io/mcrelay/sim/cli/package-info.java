/**
 * {@code mcrelay sim}: the command-line front of the simulator. Unlike {@code io.mcrelay.sim}, this package reads
 * the real clock, but only to report wall time and time compression; nothing it reads reaches a simulation.
 */
package io.mcrelay.sim.cli;
