/**
 * The composition roots, and nothing else: the supervisor daemon ({@code mcrelay supervisor}) and the worker
 * process's main. The only place that wires real clocks, threads and {@code linux} objects to the core.
 */
package io.mcrelay.daemon;
