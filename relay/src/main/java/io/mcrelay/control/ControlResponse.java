package io.mcrelay.control;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A response from the supervisor to one {@link ControlRequest}, with the same {@code request_id}. The CLI maps
 * them to exit codes: {@link Refused} → 1 (or 3 for a version mismatch), {@link NotAcked} → 4, others → 0.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ControlResponse.Welcome.class, name = "welcome"),
    @JsonSubTypes.Type(value = ControlResponse.Refused.class, name = "refused"),
    @JsonSubTypes.Type(value = ControlResponse.RuleAdded.class, name = "rule_added"),
    @JsonSubTypes.Type(value = ControlResponse.RuleRemoved.class, name = "rule_removed"),
    @JsonSubTypes.Type(value = ControlResponse.NotAcked.class, name = "not_acked"),
    @JsonSubTypes.Type(value = ControlResponse.Rules.class, name = "rules"),
    @JsonSubTypes.Type(value = ControlResponse.StatsReport.class, name = "stats"),
    @JsonSubTypes.Type(value = ControlResponse.WorkerList.class, name = "workers"),
    @JsonSubTypes.Type(value = ControlResponse.Pong.class, name = "pong"),
    @JsonSubTypes.Type(value = ControlResponse.VersionInfo.class, name = "version"),
    @JsonSubTypes.Type(value = ControlResponse.Synced.class, name = "synced"),
    @JsonSubTypes.Type(value = ControlResponse.LogLevels.class, name = "log_levels"),
    @JsonSubTypes.Type(value = ControlResponse.TraceState.class, name = "trace_state"),
    @JsonSubTypes.Type(value = ControlResponse.TraceReport.class, name = "trace_report"),
    @JsonSubTypes.Type(value = ControlResponse.ConfigChecked.class, name = "config_checked"),
    @JsonSubTypes.Type(value = ControlResponse.ConfigLoaded.class, name = "config_loaded"),
})
public sealed interface ControlResponse {

    long requestId();

    /** The answer to {@code Hello}: the connection is open. */
    record Welcome(int protocolVersion, String daemonVersion) implements ControlResponse {
        @Override
        public long requestId() {
            return 0;
        }
    }

    /**
     * The request was refused and changed nothing.
     *
     * @param code   a stable word for scripts: {@code invalid}, {@code not_found}, {@code exists},
     *               {@code limit}, {@code version_mismatch}, {@code bad_request}, {@code unavailable}
     * @param errors the field errors when {@code code} is {@code invalid}, else empty
     */
    record Refused(long requestId, String code, String message, List<FieldError> errors) implements ControlResponse {
        public Refused {
            errors = errors == null ? List.of() : List.copyOf(errors);
        }
    }

    /** A field error: {@code field} in the spelling of the JSON documents, e.g. {@code outputs[1].port}. */
    record FieldError(String field, String message) {
    }

    /** The rule was added and every ready worker acked it. */
    record RuleAdded(long requestId, String id, long epoch) implements ControlResponse {
    }

    /** The rule was removed and every ready worker acked the removal. */
    record RuleRemoved(long requestId, String id, long epoch) implements ControlResponse {
    }

    /**
     * The change is committed and journaled, but these workers did not ack it in time; they are being resynced
     * or restarted.
     */
    record NotAcked(long requestId, String id, long epoch, List<Integer> laggingWorkers) implements ControlResponse {
        public NotAcked {
            laggingWorkers = present(laggingWorkers, "lagging_workers");
        }
    }

    /** The rule table at {@code epoch}, sorted by id. */
    record Rules(long requestId, long epoch, List<RuleDocument> rules) implements ControlResponse {
        public Rules {
            rules = present(rules, "rules");
        }
    }

    /** Counters, shaped as the {@code stats --json} contract. */
    record StatsReport(long requestId, List<RuleStats> rules, long unmatched, RemovedRules removedRules, Drops drops,
                       List<InputStats> inputs, List<WorkerInfo> workers, JournalState journal)
        implements ControlResponse {
        public StatsReport {
            rules = present(rules, "rules");
            if (removedRules == null) {
                throw new IllegalArgumentException("removed_rules is missing");
            }
            inputs = present(inputs, "inputs");
            workers = present(workers, "workers");
            if (journal == null) {
                throw new IllegalArgumentException("journal is missing");
            }
        }
    }

    /**
     * Whether the daemon's journal takes entries: {@code state} {@code ok}, {@code full} (no space: rule changes are
     * refused, forwarding goes on, entries are lost until space comes back and a gap entry marks them) or
     * {@code failed} (a write broke: until a restart); {@code reason} says why, {@code null} when ok.
     */
    record JournalState(String state, String reason) {
        public static final JournalState OK = new JournalState("ok", null);

        public JournalState {
            if (!"ok".equals(state) && !"full".equals(state) && !"failed".equals(state)) {
                throw new IllegalArgumentException("journal state is ok, full or failed, not " + state);
            }
            if (state.equals("ok") != (reason == null)) {
                throw new IllegalArgumentException("a journal state has a reason exactly when it is not ok");
            }
        }
    }

    /**
     * What rules that are no longer in the table had counted in ({@code packets_in}, {@code bytes_in}) when they were
     * removed: the whole daemon's identity counts those packets here, since no rule lists them any more.
     */
    record RemovedRules(long packetsIn, long bytesIn) {
        public static final RemovedRules NONE = new RemovedRules(0, 0);
    }

    /**
     * Per-rule counters; {@code drops} holds the per-rule reasons. The rates are over the workers' latest heartbeat
     * intervals (about 250 ms), rounded to whole packets and bytes per second.
     */
    record RuleStats(String id, long packetsIn, long bytesIn, long packetsInPerSecond, long bytesInPerSecond,
                     Drops drops, List<OutputStats> outputs) {
        public RuleStats {
            outputs = present(outputs, "outputs");
        }
    }

    /** Per-output counters. */
    record OutputStats(String group, int port, @JsonProperty("interface") String interfaceName, long packetsOut, long bytesOut, long errors) {
    }

    /**
     * Drops by reason, each counted where it belongs. At the top level (frames no rule could own, or lost before any
     * rule was looked at): {@code malformed}, {@code fragment}, {@code ring_full}, {@code staging_full}. Per rule
     * (sends of its packets): {@code buffer_full}, {@code no_buffer_space}, {@code send_error}, {@code link_down}.
     */
    record Drops(long malformed, long fragment, long ringFull, long stagingFull, long bufferFull, long noBufferSpace,
                 long sendError, long linkDown) {
        public static final Drops NONE = new Drops(0, 0, 0, 0, 0, 0, 0, 0);

        /** The top-level drops. */
        public static Drops topLevel(final long malformed, final long fragment, final long ringFull,
                                     final long stagingFull) {
            return new Drops(malformed, fragment, ringFull, stagingFull, 0, 0, 0, 0);
        }

        /** A rule's drops. */
        public static Drops perRule(final long bufferFull, final long noBufferSpace, final long sendError,
                                    final long linkDown) {
            return new Drops(0, 0, 0, 0, bufferFull, noBufferSpace, sendError, linkDown);
        }

        /** The sum of a rule's drops. */
        public long perRuleTotal() {
            return bufferFull + noBufferSpace + sendError + linkDown;
        }
    }

    /**
     * One input interface on one worker ({@code stats --json}'s {@code inputs[]}): {@code tp_packets} the kernel
     * offered to the worker's socket on it, {@code ring_full} of them it dropped for a full receive ring,
     * {@code staging_full} the worker dropped after reading them. Totals survive worker restarts.
     */
    record InputStats(@JsonProperty("interface") String interfaceName, int worker, long tpPackets, long ringFull,
                      long stagingFull) {
    }

    /**
     * One worker as {@code workers --json} shows it; {@code last_restart_reason} is one of DESIGN's words
     * ({@code none}, {@code exited}, {@code no_heartbeat}, {@code sync_timeout}, {@code drift}, {@code connect_timeout},
     * {@code protocol_error}, {@code requested}). {@code stats --json}'s {@code workers[]} leave it out.
     */
    record WorkerInfo(int index, long pid, String state, long restarts, long epoch, String rulesetHash,
                      String lastRestartReason) {
    }

    record WorkerList(long requestId, List<WorkerInfo> workers) implements ControlResponse {
        public WorkerList {
            workers = present(workers, "workers");
        }
    }

    /** The daemon is alive; {@code journal} says whether its journal takes entries. */
    record Pong(long requestId, JournalState journal) implements ControlResponse {
        public Pong {
            if (journal == null) {
                throw new IllegalArgumentException("journal is missing");
            }
        }
    }

    record VersionInfo(long requestId, String daemonVersion, int protocolVersion) implements ControlResponse {
    }

    /** Every worker acked a full sync at {@code epoch}; {@code laggingWorkers} did not in time. */
    record Synced(long requestId, long epoch, List<Integer> laggingWorkers) implements ControlResponse {
        public Synced {
            laggingWorkers = present(laggingWorkers, "lagging_workers");
        }
    }

    /** Log levels by facility, sorted by facility. */
    record LogLevels(long requestId, List<FacilityLevel> levels) implements ControlResponse {
        public LogLevels {
            levels = present(levels, "levels");
        }
    }

    record FacilityLevel(String facility, String level) {
    }

    /** Tracing of rule {@code id} is now {@code enabled} or not. */
    record TraceState(long requestId, String id, boolean enabled) implements ControlResponse {
    }

    /** Traced packet lifecycles of one rule, oldest first. */
    record TraceReport(long requestId, String id, boolean enabled, List<TraceEvent> events) implements ControlResponse {
        public TraceReport {
            events = present(events, "events");
        }
    }

    /**
     * One step of a sampled packet's life on a worker: {@code received}, {@code matched}, {@code sent} (with the
     * output index) or {@code dropped} (with the reason in {@code detail}).
     */
    record TraceEvent(int worker, long packet, String step, int output, String detail) {
    }

    /** The config file is valid: {@code ruleCount} rules; nothing was applied. */
    /**
     * The config file is valid: {@code ruleCount} rules; a load now would add {@code added} rules, remove
     * {@code removed} and keep {@code kept} as they are (a rule changed under its id counts as neither).
     */
    record ConfigChecked(long requestId, int ruleCount, int added, int removed, int kept) implements ControlResponse {
    }

    /** The config file's rules replaced the table at {@code epoch}. */
    record ConfigLoaded(long requestId, long epoch, int added, int removed, int kept, List<Integer> laggingWorkers)
        implements ControlResponse {
        public ConfigLoaded {
            laggingWorkers = present(laggingWorkers, "lagging_workers");
        }
    }

    /**
     * {@code list}, immutable; a missing one (a frame without the field) is refused with the field's name, never by a
     * {@code NullPointerException}, whose text the JIT may drop (a thrown-often implicit exception loses its message).
     */
    private static <T> List<T> present(final List<T> list, final String field) {
        if (list == null) {
            throw new IllegalArgumentException("\"" + field + "\" is missing");
        }
        return List.copyOf(list);
    }
}
