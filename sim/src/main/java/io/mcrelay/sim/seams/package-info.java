/**
 * The simulated seams: an in-memory implementation of every seam the core speaks (clock, timers, worker channel and
 * launcher, packet I/O over a simulated network, input sockets, link monitor, control server and client, log levels,
 * journal). Each one passes its seam's contract test, as the production implementation does, which is what keeps the
 * simulator honest. They depend on no other room of the simulator. Single-threaded, on virtual time.
 */
package io.mcrelay.sim.seams;
