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

    /** Supervisor → worker: replace the whole ruleset with {@code rules}, now at {@code epoch}. */
    record Sync(long epoch, List<Rule> rules) implements WorkerMessage {
        public Sync {
            rules = List.copyOf(rules);
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
     * Worker → supervisor, periodically: liveness, the worker's ruleset version, its cumulative counters, and the
     * trace events recorded since the previous heartbeat (empty unless a rule is traced).
     */
    record Heartbeat(long sequence, long epoch, long rulesetHash, WorkerCounters counters, List<TraceEvent> traces)
        implements WorkerMessage {
        public Heartbeat {
            Objects.requireNonNull(counters, "counters");
            traces = List.copyOf(traces);
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
