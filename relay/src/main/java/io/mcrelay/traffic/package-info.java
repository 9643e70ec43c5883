/**
 * The traffic kit's shared code: the generator behind {@code mcrelay gen} ({@code Generator}, its schedule and its
 * UDP flows, which send through {@code linux.sys}), the payload {@code mcrelay gen} sends and {@code mcrelay sink}
 * verifies (flow, sequence number, run id, send time, checksum), the record of a run's packets, and the history
 * checker that judges such a record against declared fault windows. Used by operators' tools, the real-kernel suites
 * and the benchmarks.
 */
package io.mcrelay.traffic;
