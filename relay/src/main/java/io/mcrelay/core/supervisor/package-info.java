/**
 * The supervisor's deterministic state machine: {@link io.mcrelay.core.supervisor.Supervisor} orchestrates its
 * roles (control requests, acked changes, worker health, inputs, rule table, stats, config plans, tracing), each a
 * class here. Like {@code core.worker}, it is driven only through {@link io.mcrelay.seam} and never reads a clock,
 * starts a thread, sleeps, draws unseeded randomness or lets hash order reach an output (ArchUnit enforces it).
 */
package io.mcrelay.core.supervisor;
