/**
 * Production implementations of the seams that need no kernel-specific code, and (later) the composition root:
 * the only place that wires real clocks, threads and {@code linux} objects into the core.
 */
package io.mcrelay.runtime;
