package io.mcrelay.protocol;

import java.util.List;
import java.util.Objects;

import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * The messages of the worker channel (supervisor ⇄ worker), encoded by {@link WorkerMessageCodec}.
 *
 * <p>Every handler of these is idempotent: an old or duplicated command (by epoch) is ignored, so the channel may
 * duplicate or reorder without harm. See DESIGN "Acked rule sync".
 */
public sealed interface WorkerMessage {

    /** Worker → supervisor, the first frame on a new connection: who it is and the one-time token it was given. */
    record Hello(int protocolVersion, int workerIndex, long pid, String token) implements WorkerMessage {
        public Hello {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * Supervisor → worker: chunk {@code chunk} (from 0) of {@code chunks} of the whole ruleset at {@code epoch}; the
     * chunks hold the table's rules in id order, each chunk at most {@link WorkerMessageCodec#SYNC_CHUNK_BYTES_MAX}
     * encoded (one rule, whatever its size, when a rule alone is larger). The worker replaces its ruleset with the
     * rules of all the chunks of one epoch once every chunk arrived, never with part of them: a chunk it holds already
     * (duplicated, or sent again) changes nothing, chunks may come in any order, and a chunk of an epoch older than
     * the one it assembles or holds is ignored. A chunk of a newer epoch drops an unfinished assembly of an older one.
     */
    record Sync(long epoch, int chunk, int chunks, List<Rule> rules) implements WorkerMessage {
        public Sync {
            rules = List.copyOf(rules);
            if (chunks < 1 || chunk < 0 || chunk >= chunks) {
                throw new IllegalArgumentException("chunk " + chunk + " of " + chunks + " is not a chunk of a Sync");
            }
        }

        /** The whole table in one chunk (a table small enough for one). */
        public Sync(final long epoch, final List<Rule> rules) {
            this(epoch, 0, 1, rules);
        }
    }

    /**
     * Supervisor → worker: the change from {@code epoch - 1} to {@code epoch}; {@code upserts} are added or replace
     * the rule with the same id, {@code removals} are deleted. A worker not at {@code epoch - 1} ignores it and
     * waits for the {@link Sync} that the supervisor sends when the worker's acks or heartbeats disagree.
     */
    record Apply(long epoch, List<Rule> upserts, List<RuleId> removals) implements WorkerMessage {
        public Apply {
            upserts = List.copyOf(upserts);
            removals = List.copyOf(removals);
        }
    }

    /** Worker → supervisor: the worker's ruleset is now at {@code epoch} with hash {@code rulesetHash}. */
    record Ack(long epoch, long rulesetHash) implements WorkerMessage {
    }

    /**
     * Worker → supervisor, periodically: liveness, the worker's ruleset version, the progress of a sync under way, its
     * counters, and the trace events recorded since the previous heartbeat (empty unless a rule is traced).
     *
     * <p>{@code sequence} grows by one with every heartbeat a worker incarnation builds. The counters are cumulative
     * (absolute values since the worker started, never increments): the worker-wide ones and the inputs' in every
     * heartbeat, the rules' only for the rules whose counters changed since the last heartbeat that was sent, plus a
     * slow round-robin refresh of every rule (see {@code io.mcrelay.core.worker.CounterReport}). A receiver keeps, per
     * rule, the values of the highest sequence that carried it: a duplicated or reordered heartbeat then never counts
     * twice nor moves a counter back.
     *
     * <p>{@code nextWithinNs} is when the worker will send its next heartbeat at the latest, from this one: 0 for the
     * usual interval, or the longer interval of a worker that has had nothing to report for a while (nothing
     * received, sent, changed or traced); it sends sooner as soon as anything happens. The supervisor allows its
     * missed-heartbeats count of whichever is longer.
     */
    record Heartbeat(long sequence, long epoch, long rulesetHash, long nextWithinNs, SyncProgress progress,
                     WorkerCounters counters, List<TraceEvent> traces) implements WorkerMessage {
        /** The longest {@code nextWithinNs} a heartbeat may announce. */
        public static final long NEXT_WITHIN_MAX_NS = 60_000_000_000L;

        public Heartbeat {
            Objects.requireNonNull(progress, "progress");
            Objects.requireNonNull(counters, "counters");
            traces = List.copyOf(traces);
            if (sequence < 0 || epoch < WorkerMessageCodec.NO_EPOCH || epoch == Long.MAX_VALUE) {
                throw new IllegalArgumentException("a heartbeat's sequence is not negative and its epoch is -1 (none "
                    + "yet) to 2^63 - 2: " + sequence + ", " + epoch);
            }
            if (nextWithinNs < 0 || nextWithinNs > NEXT_WITHIN_MAX_NS) {
                throw new IllegalArgumentException("a heartbeat's next-within is 0 (the usual interval) to "
                    + NEXT_WITHIN_MAX_NS + " ns: " + nextWithinNs);
            }
        }

        /** A heartbeat at the usual interval. */
        public Heartbeat(final long sequence, final long epoch, final long rulesetHash, final SyncProgress progress,
                         final WorkerCounters counters, final List<TraceEvent> traces) {
            this(sequence, epoch, rulesetHash, 0, progress, counters, traces);
        }

        /** A heartbeat at the usual interval of a worker with no sync under way. */
        public Heartbeat(final long sequence, final long epoch, final long rulesetHash, final WorkerCounters counters,
                         final List<TraceEvent> traces) {
            this(sequence, epoch, rulesetHash, 0, SyncProgress.NONE, counters, traces);
        }
    }

    /**
     * How far a worker got with the {@link Sync} it is taking in: the chunks of {@code epoch} it holds, and once all
     * arrived, the rules whose outputs it has opened before it installs them (a big table takes several duty cycles,
     * during which the worker goes on heartbeating). {@link #NONE} when no sync is under way.
     *
     * @param epoch          the epoch of the Sync being taken in, or -1 for none
     * @param chunksReceived chunks of it the worker holds, at most {@code chunks}
     * @param chunks         chunks the Sync has
     * @param rulesPrepared  rules made ready to install, at most {@code rules}
     * @param rules          rules in the chunks received so far
     */
    record SyncProgress(long epoch, int chunksReceived, int chunks, int rulesPrepared, int rules) {
        public static final SyncProgress NONE = new SyncProgress(-1, 0, 0, 0, 0);

        public SyncProgress {
            if (epoch < -1 || epoch == Long.MAX_VALUE || chunks < 0 || chunksReceived < 0 || chunksReceived > chunks || rules < 0
                || rulesPrepared < 0 || rulesPrepared > rules || (epoch == -1 && chunks + rules > 0)
                || (epoch >= 0 && chunks == 0)) {
                throw new IllegalArgumentException("not a sync's progress: epoch " + epoch + ", chunks "
                    + chunksReceived + "/" + chunks + ", rules " + rulesPrepared + "/" + rules);
            }
        }

        /** A number that grows as the sync advances (chunks taken in, rules prepared): the supervisor's measure. */
        public long units() {
            return (long) chunksReceived + rulesPrepared;
        }
    }

    /**
     * Supervisor → worker: set the log level of {@code facility} ({@code root} for the root logger) to {@code level},
     * as {@code mcrelay log-level set} did on the supervisor (which checked both).
     */
    record LogLevel(String facility, String level) implements WorkerMessage {
        public LogLevel {
            Objects.requireNonNull(facility, "facility");
            Objects.requireNonNull(level, "level");
        }
    }

    /** Supervisor → worker: start or stop tracing sampled packets of rule {@code id}. */
    record Trace(RuleId id, boolean enabled) implements WorkerMessage {
        public Trace {
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * Supervisor → worker: start receiving on input {@code interfaceName} from the packet socket that rides with this
     * frame (the worker's member of the input's fanout group). {@code generation} tells handovers of one interface
     * apart (it grows each time the interface's sockets are opened anew); a worker ignores one it holds or an older
     * one, and one that came without its socket (a duplicated frame).
     */
    record AttachInput(String interfaceName, long generation) implements WorkerMessage {
        public AttachInput {
            Objects.requireNonNull(interfaceName, "interfaceName");
        }
    }

    /**
     * Supervisor → worker: stop receiving on input {@code interfaceName} of {@code generation} once what waits in its
     * socket is forwarded, close the socket and ack. A release of another generation than the one held is ignored.
     */
    record ReleaseInput(String interfaceName, long generation) implements WorkerMessage {
        public ReleaseInput {
            Objects.requireNonNull(interfaceName, "interfaceName");
        }
    }

    /**
     * One step in the life of a traced packet on a worker.
     *
     * @param packet a number the worker gives each traced packet, so the steps of one packet can be put together
     * @param step   {@link #RECEIVED} (value: frame bytes), {@link #MATCHED} (value: payload bytes),
     *               {@link #SENT} (value: bytes sent) or {@link #DROPPED} (value: the negative errno)
     * @param output the output index for {@code SENT} and {@code DROPPED}, else -1
     */
    record TraceEvent(RuleId id, long packet, int step, int output, int value) {
        public static final int RECEIVED = 1;
        public static final int MATCHED = 2;
        public static final int SENT = 3;
        public static final int DROPPED = 4;

        public TraceEvent {
            Objects.requireNonNull(id, "id");
            if (step < RECEIVED || step > DROPPED) {
                throw new IllegalArgumentException("unknown trace step " + step);
            }
        }
    }

    /** Supervisor → worker: finish in-flight sends and exit. */
    record Shutdown(String reason) implements WorkerMessage {
        public Shutdown {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
