/**
 * Production implementations of the seams that need no kernel-specific code: the system clock, wheel timers,
 * Logback log levels, the Unix control-socket server (with its peers' limits, {@link
 * io.mcrelay.runtime.PeerLimits}, and the peer credentials it reads through the JDK), and the launcher decorator that tracks which input sockets a
 * worker holds. The composition roots that wire them live in {@link io.mcrelay.daemon}.
 */
package io.mcrelay.runtime;
