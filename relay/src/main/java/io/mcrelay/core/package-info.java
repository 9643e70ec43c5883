/**
 * The deterministic state machines: supervisor and worker logic, the rule table, sync and health. Code here is
 * given {@code nowNs} and talks to the world only through {@link io.mcrelay.seam}: it never reads a clock, starts a
 * thread, sleeps, draws unseeded randomness or lets hash order reach an output (ArchUnit enforces it), so the
 * simulator can run these very classes from a seed.
 */
package io.mcrelay.core;
