/**
 * The supervisor's deterministic state machine: {@link io.mcrelay.core.supervisor.Supervisor} orchestrates its
 * roles, each a class here: the control front end ({@code ControlFrontEnd}), acked changes ({@code AckedChanges}),
 * worker health ({@code WorkerHealth}), the commands sent to workers ({@code WorkerCommands}), inputs
 * ({@code Inputs}), the rule table and its journal ({@code RuleTable}, {@code RuleJournal}), stats
 * ({@code StatsAggregator}), config plans ({@code ConfigPlan}) and the trace log ({@code TraceLog}). Like
 * {@code core.worker}, it is driven only through {@link io.mcrelay.seam} and never reads a clock, starts a thread,
 * sleeps, draws unseeded randomness or lets hash order reach an output (ArchUnit enforces it).
 */
package io.mcrelay.core.supervisor;
