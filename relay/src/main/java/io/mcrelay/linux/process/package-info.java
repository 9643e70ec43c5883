/**
 * Worker processes: spawning them unprivileged, their private runtime directory, the handshake that proves a
 * worker, descriptor passing after the proof, and the stream channel between supervisor and worker.
 */
package io.mcrelay.linux.process;
