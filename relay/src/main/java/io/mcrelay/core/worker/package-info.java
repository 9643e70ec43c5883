/**
 * The worker's deterministic state machine and its per-packet path: {@link io.mcrelay.core.worker.WorkerAgent},
 * the packet parser, the forwarding table and what is compiled with it ({@link io.mcrelay.core.worker.WorkerTable}),
 * per-rule counters and the trace ring, and {@link
 * io.mcrelay.core.worker.RuleSet}, the rule value type the supervisor shares. Code here is given {@code nowNs} and
 * talks to the world only through {@link io.mcrelay.seam}: it never reads a clock, starts a thread, sleeps, draws
 * unseeded randomness or lets hash order reach an output (ArchUnit enforces it), so the simulator runs these very
 * classes from a seed.
 */
package io.mcrelay.core.worker;
