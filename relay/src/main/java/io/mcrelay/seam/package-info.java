/**
 * The seams: every way the supervisor and worker logic touches time, randomness, processes, sockets, links and
 * storage. The production runtime and the simulator plug in different implementations of these interfaces into
 * <em>the same</em> core classes; each seam has an abstract {@code *Contract} test (in relay's test-jar) that both
 * implementations pass. Implementations are single-threaded unless they say otherwise: each is owned by one agent
 * and called from its duty cycle.
 */
package io.mcrelay.seam;
