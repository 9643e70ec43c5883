/**
 * The recorder that wraps every seam of the supervisor so that each input it consumes and each output it produces is
 * journaled, the payload encodings of those recorded entries, and their text form for {@code journal dump}. Used by
 * the daemon, the simulator and journal replay.
 */
package io.mcrelay.record;
