package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.mcrelay.BuildInfo;
import io.mcrelay.config.ConfigFile;
import io.mcrelay.config.ConfigParser;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleValidator;
import io.mcrelay.rules.ValidationError;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.LogLevels;

/**
 * The control front end: the supervisor's side of the control socket. Tracks each connection's hello (the first
 * request must be a hello of this daemon's control protocol version, else the connection is refused, naming both
 * versions, and closed), decodes each request frame, refuses what is malformed or invalid (naming the field and the
 * problem, changing nothing), answers what needs no other role (ping, version, log levels, config check, trace show)
 * and hands each well-formed change to {@link Requests}. Every answer is encoded and sent here, and only to a
 * connection that is still open. Not thread-safe.
 */
final class ControlFrontEnd implements ControlServer.Listener {
    /** What the front end asks of the supervisor once a request is well-formed and valid. */
    interface Requests {
        /** Commits a validated rule that clashes with none; the answer follows once it is acked. */
        void add(long connectionId, long requestId, Rule rule);

        /** Commits the removal of an existing rule; the answer follows once it is acked. */
        void remove(long connectionId, long requestId, RuleId id);

        /** Resyncs every worker; the answer follows once each acked afresh. */
        void sync(long connectionId, long requestId);

        /** Commits a parsed, valid configuration file; the answer follows once it is acked. */
        void loadConfig(long connectionId, long requestId, ConfigFile file);

        /** The level of {@code facility} ({@code root} for the root) was set here: the workers take it too. */
        void logLevelSet(String facility, String level);

        /** Turns tracing of an existing rule on, or of any rule off. */
        void trace(RuleId id, boolean enable);

        /** The rule as {@code list} shows it: with its state and the reason for it, if any. */
        RuleDocument documentOf(Rule rule);

        List<ControlResponse.WorkerInfo> workers();

        ControlResponse.StatsReport stats(long requestId);

        /** Whether the journal takes entries (rule changes are refused while it does not), and why not. */
        ControlResponse.JournalState journalState();
    }

    private final ControlServer server;
    private final LogLevels logLevels;
    private final RuleTable table;
    private final TraceLog traces;
    private final Requests requests;
    // Connection → whether it said hello. Lookups only, never iterated into an output.
    private final Map<Long, Boolean> helloDone = new HashMap<>();

    ControlFrontEnd(final ControlServer server, final LogLevels logLevels, final RuleTable table,
                    final TraceLog traces, final Requests requests) {
        this.server = Objects.requireNonNull(server, "server");
        this.logLevels = Objects.requireNonNull(logLevels, "logLevels");
        this.table = Objects.requireNonNull(table, "table");
        this.traces = Objects.requireNonNull(traces, "traces");
        this.requests = Objects.requireNonNull(requests, "requests");
    }

    @Override
    public void onConnected(final long connectionId) {
        helloDone.put(connectionId, Boolean.FALSE);
    }

    @Override
    public void onDisconnected(final long connectionId, final String reason) {
        helloDone.remove(connectionId);
        // requests it will never be answered for
        unanswered.subMap(new Asked(connectionId, Long.MIN_VALUE), new Asked(connectionId, Long.MAX_VALUE)).clear();
    }

    /** A request awaiting its answer: its connection and request id. */
    private record Asked(long connectionId, long requestId) implements Comparable<Asked> {
        @Override
        public int compareTo(final Asked other) {
            final int byConnection = Long.compare(connectionId, other.connectionId);
            return byConnection != 0 ? byConnection : Long.compare(requestId, other.requestId);
        }
    }

    /** The kind of each request not answered yet, to count its answer under it. */
    private final java.util.TreeMap<Asked, String> unanswered = new java.util.TreeMap<>();
    /** Answers given, by request kind and outcome ({@code ok}, {@code not_acked} or a refusal's code). */
    private final java.util.TreeMap<String, Long> answered = new java.util.TreeMap<>();

    /** Sends an answer, unless its connection is gone; counts it under its request's kind and its outcome. */
    void respond(final long connectionId, final ControlResponse response) {
        final String kind = unanswered.remove(new Asked(connectionId, response.requestId()));
        final String outcome = response instanceof ControlResponse.Refused refused ? refused.code()
            : response instanceof ControlResponse.NotAcked ? "not_acked" : "ok";
        answered.merge((kind == null ? "unknown" : kind) + " " + outcome, 1L, Long::sum);
        if (helloDone.containsKey(connectionId)) {
            server.send(connectionId, ControlCodec.encode(response));
        }
    }

    /** Answers given so far, keyed {@code "KIND OUTCOME"} (for the daemon's metrics), in key order. */
    java.util.SortedMap<String, Long> answered() {
        return java.util.Collections.unmodifiableSortedMap(answered);
    }

    /** A request's kind, as the control protocol names it ({@code add}, {@code config_load}...). */
    private static String kindOf(final ControlRequest request) {
        return switch (request) {
            case ControlRequest.Hello hello -> "hello";
            case ControlRequest.Add add -> "add";
            case ControlRequest.Remove remove -> "remove";
            case ControlRequest.ListRules list -> "list";
            case ControlRequest.Stats stats -> "stats";
            case ControlRequest.Workers workers -> "workers";
            case ControlRequest.Ping ping -> "ping";
            case ControlRequest.Version version -> "version";
            case ControlRequest.Sync sync -> "sync";
            case ControlRequest.LogLevelGet get -> "log_level_get";
            case ControlRequest.LogLevelSet set -> "log_level_set";
            case ControlRequest.TraceEnable trace -> "trace_enable";
            case ControlRequest.TraceDisable trace -> "trace_disable";
            case ControlRequest.TraceShow trace -> "trace_show";
            case ControlRequest.ConfigCheck check -> "config_check";
            case ControlRequest.ConfigLoad load -> "config_load";
        };
    }

    @Override
    public void onFrame(final long connectionId, final byte[] payload) {
        final ControlRequest request;
        try {
            request = ControlCodec.decodeRequest(payload);
            unanswered.put(new Asked(connectionId, request instanceof ControlRequest.Hello ? 0 : request.requestId()),
                kindOf(request));
        } catch (final CodecException e) {
            respond(connectionId, refused(0, "bad_request", e.getMessage()));
            return;
        }
        if (!Boolean.TRUE.equals(helloDone.get(connectionId))) {
            onHello(connectionId, request);
            return;
        }
        switch (request) {
            case ControlRequest.Hello hello -> respond(connectionId,
                refused(0, "bad_request", "hello was already said on this connection"));
            case ControlRequest.Add add -> onAdd(connectionId, add);
            case ControlRequest.Remove remove -> onRemove(connectionId, remove);
            case ControlRequest.ListRules list -> respond(connectionId, new ControlResponse.Rules(list.requestId(),
                table.epoch(), table.rules().stream().map(requests::documentOf).toList()));
            case ControlRequest.Stats stats -> respond(connectionId, requests.stats(stats.requestId()));
            case ControlRequest.Workers workers -> respond(connectionId,
                new ControlResponse.WorkerList(workers.requestId(), requests.workers()));
            case ControlRequest.Ping ping -> respond(connectionId, new ControlResponse.Pong(ping.requestId(),
                requests.journalState()));
            case ControlRequest.Version version -> respond(connectionId, new ControlResponse.VersionInfo(
                version.requestId(), BuildInfo.version(), BuildInfo.CONTROL_PROTOCOL_VERSION));
            case ControlRequest.Sync sync -> requests.sync(connectionId, sync.requestId());
            case ControlRequest.LogLevelGet get -> onLogLevelGet(connectionId, get);
            case ControlRequest.LogLevelSet set -> onLogLevelSet(connectionId, set);
            case ControlRequest.TraceEnable trace -> onTrace(connectionId, trace.requestId(), trace.id(), true);
            case ControlRequest.TraceDisable trace -> onTrace(connectionId, trace.requestId(), trace.id(), false);
            case ControlRequest.TraceShow trace -> onTraceShow(connectionId, trace);
            case ControlRequest.ConfigCheck check -> onConfigCheck(connectionId, check);
            case ControlRequest.ConfigLoad load -> onConfigLoad(connectionId, load);
        }
    }

    private void onHello(final long connectionId, final ControlRequest request) {
        if (!(request instanceof ControlRequest.Hello hello)) {
            respond(connectionId, refused(request.requestId(), "bad_request", "the first request must be hello"));
            server.disconnect(connectionId);
            return;
        }
        if (hello.protocolVersion() != BuildInfo.CONTROL_PROTOCOL_VERSION) {
            respond(connectionId, refused(0, "version_mismatch", "the client speaks control protocol "
                + hello.protocolVersion() + ", the daemon speaks " + BuildInfo.CONTROL_PROTOCOL_VERSION));
            server.disconnect(connectionId);
            return;
        }
        helloDone.put(connectionId, Boolean.TRUE);
        respond(connectionId, new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION, BuildInfo.version()));
    }

    private void onAdd(final long connectionId, final ControlRequest.Add add) {
        if (add.rule() == null) {
            respond(connectionId, refused(add.requestId(), "bad_request", "add needs a rule"));
            return;
        }
        final RuleValidator.Result result = RuleValidator.validate(add.rule().toSpec(), table.generateId(),
            table.limits());
        if (!result.isValid()) {
            respond(connectionId, new ControlResponse.Refused(add.requestId(), "invalid",
                ValidationError.describe(result.errors()), fieldErrors(result.errors())));
            return;
        }
        final Rule rule = result.rule();
        final List<ValidationError> problems = RuleValidator.newRuleProblems(rule);
        if (!problems.isEmpty()) {
            respond(connectionId, new ControlResponse.Refused(add.requestId(), "invalid",
                ValidationError.describe(problems), fieldErrors(problems)));
            return;
        }
        final List<ValidationError> clashes = table.checkAdd(rule);
        if (!clashes.isEmpty()) {
            final String code = clashes.getFirst().field().equals("id") ? "exists"
                : clashes.getFirst().field().equals("rules") ? "limit" : "invalid";
            respond(connectionId, new ControlResponse.Refused(add.requestId(), code,
                ValidationError.describe(clashes), fieldErrors(clashes)));
            return;
        }
        requests.add(connectionId, add.requestId(), rule);
    }

    private void onRemove(final long connectionId, final ControlRequest.Remove remove) {
        if (!RuleId.isValid(remove.id())) {
            respond(connectionId, new ControlResponse.Refused(remove.requestId(), "invalid",
                RuleId.describeProblem(remove.id()), List.of(new ControlResponse.FieldError("id",
                RuleId.describeProblem(remove.id())))));
            return;
        }
        final RuleId id = new RuleId(remove.id());
        if (table.get(id) == null) {
            respond(connectionId, refused(remove.requestId(), "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        requests.remove(connectionId, remove.requestId(), id);
    }

    private void onTrace(final long connectionId, final long requestId, final String idText, final boolean enable) {
        if (!RuleId.isValid(idText)) {
            respond(connectionId, refused(requestId, "invalid", RuleId.describeProblem(idText)));
            return;
        }
        final RuleId id = new RuleId(idText);
        if (enable && table.get(id) == null) {
            respond(connectionId, refused(requestId, "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        requests.trace(id, enable);
        respond(connectionId, new ControlResponse.TraceState(requestId, id.value(), enable));
    }

    private void onTraceShow(final long connectionId, final ControlRequest.TraceShow show) {
        if (!RuleId.isValid(show.id())) {
            respond(connectionId, refused(show.requestId(), "invalid", RuleId.describeProblem(show.id())));
            return;
        }
        final RuleId id = new RuleId(show.id());
        final List<ControlResponse.TraceEvent> events = traces.events(id);
        if (events == null && table.get(id) == null) {
            respond(connectionId, refused(show.requestId(), "not_found", "no rule has id \"" + id + "\""));
            return;
        }
        respond(connectionId, new ControlResponse.TraceReport(show.requestId(), id.value(), traces.isTraced(id),
            events == null ? List.of() : events));
    }

    private void onLogLevelGet(final long connectionId, final ControlRequest.LogLevelGet get) {
        final List<ControlResponse.FacilityLevel> levels = new ArrayList<>();
        logLevels.levels().forEach((facility, level) -> {
            if (get.facility() == null || get.facility().equals(facility)) {
                levels.add(new ControlResponse.FacilityLevel(facility, level));
            }
        });
        respond(connectionId, new ControlResponse.LogLevels(get.requestId(), levels));
    }

    private void onLogLevelSet(final long connectionId, final ControlRequest.LogLevelSet set) {
        final String problem = logLevels.set(set.facility(), set.level());
        if (problem != null) {
            respond(connectionId, new ControlResponse.Refused(set.requestId(), "invalid", problem,
                List.of(new ControlResponse.FieldError("level", problem))));
            return;
        }
        requests.logLevelSet(set.facility() == null ? LogLevels.ROOT : set.facility(), set.level());
        onLogLevelGet(connectionId, new ControlRequest.LogLevelGet(set.requestId(), set.facility() == null
            ? LogLevels.ROOT : set.facility()));
    }

    private void onConfigCheck(final long connectionId, final ControlRequest.ConfigCheck check) {
        final ConfigParser.Result parsed = ConfigParser.parse(check.fileName(), check.text(), table.limits());
        if (!parsed.isValid()) {
            respond(connectionId, configRefusal(check.requestId(), parsed));
            return;
        }
        final ConfigPlan plan = ConfigPlan.of(table.view(), parsed.config().rules(), table.epoch());
        respond(connectionId, new ControlResponse.ConfigChecked(check.requestId(), parsed.config().rules().size(),
            plan.added(), plan.removals().size() - plan.replaced(), plan.kept()));
    }

    private void onConfigLoad(final long connectionId, final ControlRequest.ConfigLoad load) {
        final ConfigParser.Result parsed = ConfigParser.parse(load.fileName(), load.text(), table.limits());
        if (!parsed.isValid()) {
            respond(connectionId, configRefusal(load.requestId(), parsed));
            return;
        }
        requests.loadConfig(connectionId, load.requestId(), parsed.config());
    }

    private static ControlResponse configRefusal(final long requestId, final ConfigParser.Result parsed) {
        return new ControlResponse.Refused(requestId, "invalid", parsed.describe(), parsed.errors().stream()
            .map(error -> new ControlResponse.FieldError(error.field(), error.positionedMessage())).toList());
    }

    private static ControlResponse.Refused refused(final long requestId, final String code, final String message) {
        return new ControlResponse.Refused(requestId, code, message, List.of());
    }

    private static List<ControlResponse.FieldError> fieldErrors(final List<ValidationError> errors) {
        return errors.stream().map(e -> new ControlResponse.FieldError(e.field(), e.message())).toList();
    }
}
