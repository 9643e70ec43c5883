/**
 * The versioned encoding of the journal entries the core writes: commit, limits, snapshot. It sits below the core
 * and the journal so that both speak it without knowing each other, and it depends on no worker-channel message:
 * a change to the worker protocol never makes a daemon refuse its own journal. {@link io.mcrelay.entries.JournalSchema}
 * says which versions exist and which this code reads; each entry class decodes every version it knows.
 */
package io.mcrelay.entries;
