package io.mcrelay.control;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A request from a control client (the CLI) to the supervisor, one per frame, JSON encoded by
 * {@link ControlCodec} with its kind in {@code "type"}. Every request but {@link Hello} carries a
 * {@code request_id} chosen by the client and echoed in the response, so one connection can carry many requests.
 * The first frame of a connection must be {@link Hello}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ControlRequest.Hello.class, name = "hello"),
    @JsonSubTypes.Type(value = ControlRequest.Add.class, name = "add"),
    @JsonSubTypes.Type(value = ControlRequest.Remove.class, name = "remove"),
    @JsonSubTypes.Type(value = ControlRequest.ListRules.class, name = "list"),
    @JsonSubTypes.Type(value = ControlRequest.Stats.class, name = "stats"),
    @JsonSubTypes.Type(value = ControlRequest.Workers.class, name = "workers"),
    @JsonSubTypes.Type(value = ControlRequest.Ping.class, name = "ping"),
    @JsonSubTypes.Type(value = ControlRequest.Version.class, name = "version"),
    @JsonSubTypes.Type(value = ControlRequest.Sync.class, name = "sync"),
    @JsonSubTypes.Type(value = ControlRequest.LogLevelGet.class, name = "log_level_get"),
    @JsonSubTypes.Type(value = ControlRequest.LogLevelSet.class, name = "log_level_set"),
    @JsonSubTypes.Type(value = ControlRequest.TraceEnable.class, name = "trace_enable"),
    @JsonSubTypes.Type(value = ControlRequest.TraceDisable.class, name = "trace_disable"),
    @JsonSubTypes.Type(value = ControlRequest.TraceShow.class, name = "trace_show"),
    @JsonSubTypes.Type(value = ControlRequest.ConfigCheck.class, name = "config_check"),
    @JsonSubTypes.Type(value = ControlRequest.ConfigLoad.class, name = "config_load"),
})
public sealed interface ControlRequest {

    /** The request id the response will carry (0 for {@link Hello}). */
    long requestId();

    /** Opens a connection: the client's protocol version and a free-form client name for logs. */
    record Hello(int protocolVersion, String client) implements ControlRequest {
        @Override
        public long requestId() {
            return 0;
        }
    }

    /** Adds one rule; answered once every ready worker acked it, or with the lagging workers after the timeout. */
    record Add(long requestId, RuleDocument rule) implements ControlRequest {
    }

    /** Removes the rule with this id. */
    record Remove(long requestId, String id) implements ControlRequest {
    }

    /** Lists every rule with its state. */
    record ListRules(long requestId) implements ControlRequest {
    }

    /** Reports counters per rule, per output, per worker. */
    record Stats(long requestId) implements ControlRequest {
    }

    /** Reports the workers. */
    record Workers(long requestId) implements ControlRequest {
    }

    /** Answers at once: is the supervisor alive and serving. */
    record Ping(long requestId) implements ControlRequest {
    }

    /** Asks the daemon's version. */
    record Version(long requestId) implements ControlRequest {
    }

    /** Forces a full {@code Sync} of every worker. */
    record Sync(long requestId) implements ControlRequest {
    }

    /** Reads the log level of one facility, or of all when {@code facility} is {@code null}. */
    record LogLevelGet(long requestId, String facility) implements ControlRequest {
    }

    /** Sets the log level of one facility, or the root level when {@code facility} is {@code null}. */
    record LogLevelSet(long requestId, String facility, String level) implements ControlRequest {
    }

    /** Starts tracing sampled packets of one rule. */
    record TraceEnable(long requestId, String id) implements ControlRequest {
    }

    /** Stops tracing one rule. */
    record TraceDisable(long requestId, String id) implements ControlRequest {
    }

    /** Returns the traced packet lifecycles of one rule. */
    record TraceShow(long requestId, String id) implements ControlRequest {
    }

    /**
     * Validates a config file without applying it. The client sends the file's text (the daemon may not see the
     * client's file system); {@code fileName} is used in error messages only.
     */
    record ConfigCheck(long requestId, String fileName, String text) implements ControlRequest {
    }

    /** Replaces the rule table with a config file's rules in one epoch, keeping the ids of unchanged rules. */
    record ConfigLoad(long requestId, String fileName, String text) implements ControlRequest {
    }
}
