package io.mcrelay.sim;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.sim.check.AckedMeansAppliedChecker;
import io.mcrelay.sim.check.Failures;
import io.mcrelay.sim.check.RefusedMeansNowhereChecker;
import io.mcrelay.sim.seams.SimControlClient;

/**
 * The {@link Workload}'s control client: it sends the workload's rule changes to the supervisor one at a time over
 * the real control protocol, follows the answers into the workload's view of its templates, and shows each answer to
 * the checkers that judge answers (acked means applied, refused means nowhere). When the supervisor restarts it
 * connects again and reconciles with the rules that survived: the answer to a request in flight is lost with the old
 * connection. An answer to no request in flight is a {@value #PROTOCOL} failure. Single-threaded, never blocks.
 */
final class WorkloadClient {
    /** The name of failures in the control conversation itself. */
    static final String PROTOCOL = "protocol";

    private final Cluster cluster;
    private final Workload workload;
    private final EventLog log;
    private final Failures failures;
    private final AckedMeansAppliedChecker ackedMeansApplied;
    private final RefusedMeansNowhereChecker refusedMeansNowhere;

    private SimControlClient connection;
    private long nextRequestId = 1;
    private ControlRequest outstanding;
    /** The rule table when the outstanding request was sent (not its hash, which link changes move too). */
    private java.util.List<io.mcrelay.rules.Rule> outstandingRules = java.util.List.of();
    private boolean reconciling;

    WorkloadClient(final Cluster cluster, final Workload workload, final EventLog log, final Failures failures) {
        this.cluster = cluster;
        this.workload = workload;
        this.log = log;
        this.failures = failures;
        this.ackedMeansApplied = new AckedMeansAppliedChecker(failures);
        this.refusedMeansNowhere = new RefusedMeansNowhereChecker(failures);
    }

    /** True while a request waits for its answer. */
    boolean waiting() {
        return outstanding != null;
    }

    /** True when a change may be sent: connected, and no request waiting. */
    boolean ready() {
        return outstanding == null && connection != null;
    }

    /** Connects to the current supervisor if there is no connection or the supervisor closed it (it restarted). */
    void reconnectIfClosed() {
        if (connection == null || connection.isClosedByServer()) {
            connect();
        }
    }

    /** A new connection to the current supervisor: hello, then learn what the table holds. */
    void connect() {
        if (connection != null) {
            connection.close();
        }
        connection = cluster.control().connect();
        connection.sendFrame(ControlCodec.encode(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "simulator")));
        if (outstanding != null || reconciling) {
            // The answer to the request in flight is lost with the old connection: ask what the table holds.
            outstanding = null;
        }
        reconciling = true;
        send(new ControlRequest.ListRules(nextRequestId));
    }

    /** Sends the workload's next change (only an add when {@code addsOnly}), if it has one; only when ready. */
    void sendNextChange(final boolean addsOnly) {
        final ControlRequest request = workload.nextChange(nextRequestId, addsOnly);
        if (request != null) {
            send(request);
        }
    }

    private void send(final ControlRequest request) {
        nextRequestId++;
        outstanding = request;
        // Kept only for requests that must be refused, which are judged by it: a copy per request would cost a whole
        // table each time with thousands of rules.
        outstandingRules = request instanceof ControlRequest.Add add && Workload.mustBeRefused(add.rule())
            ? cluster.supervisor().rules() : java.util.List.of();
        connection.sendFrame(ControlCodec.encode(request));
    }

    /** Reads every answer that arrived, without stepping. */
    void readResponses() {
        if (connection == null) {
            return;
        }
        byte[] frame;
        while ((frame = connection.pollReceived()) != null) {
            final ControlResponse response = ControlCodec.decodeResponse(frame);
            log.record(EventLog.RESPONSE, frame, 0, frame.length);
            if (response instanceof ControlResponse.Welcome) {
                continue;
            }
            if (outstanding == null || response.requestId() != outstanding.requestId()) {
                failures.add(PROTOCOL, "a response to no request in flight: " + response);
                continue;
            }
            final ControlRequest request = outstanding;
            outstanding = null;
            onResponse(request, response);
        }
    }

    private void onResponse(final ControlRequest request, final ControlResponse response) {
        switch (request) {
            case ControlRequest.ListRules list -> reconcile((ControlResponse.Rules) response);
            case ControlRequest.Add add -> onAddResponse(add, response);
            case ControlRequest.Remove remove -> onRemoveResponse(remove, response);
            case ControlRequest.ConfigLoad load -> onConfigLoadResponse(response);
            case ControlRequest.Sync sync -> {
                if (!(response instanceof ControlResponse.Synced)) {
                    failures.add(PROTOCOL, "unexpected answer to sync: " + response);
                }
            }
            case ControlRequest.TraceEnable trace -> onTraceResponse(trace.id(), true, response);
            case ControlRequest.TraceDisable trace -> onTraceResponse(trace.id(), false, response);
            default -> failures.add(PROTOCOL, "unexpected request " + request);
        }
    }

    private void reconcile(final ControlResponse.Rules rules) {
        reconciling = false;
        for (final Workload.Template template : workload.templates) {
            final RuleDocument present = rules.rules().stream().filter(r -> workload.templateOf(r) == template)
                .findFirst().orElse(null);
            if (present != null) {
                template.id = present.id();
                template.state = Workload.State.LIVE;
            } else if (template.state != Workload.State.ABSENT) {
                template.state = Workload.State.ABSENT;
            }
        }
    }

    private void onAddResponse(final ControlRequest.Add add, final ControlResponse response) {
        if (!(response instanceof ControlResponse.RuleAdded || response instanceof ControlResponse.NotAcked
            || response instanceof ControlResponse.Refused)) {
            failures.add(PROTOCOL, "unexpected answer to add: " + response);
            return;
        }
        final Supervisor supervisor = cluster.supervisor();
        final boolean mustRefuse = Workload.mustBeRefused(add.rule());
        refusedMeansNowhere.check(add.rule(), mustRefuse, response, outstandingRules, supervisor::rules);
        if (mustRefuse) {
            return; // the workload never counted on it
        }
        final Workload.Template template = workload.templateOf(add.rule());
        switch (response) {
            case ControlResponse.RuleAdded added -> {
                template.state = Workload.State.LIVE;
                template.id = added.id();
                template.addAnsweredNs = cluster.clock().nanoTime();
                workload.adds++;
                ackedMeansApplied.check(added.epoch(), "add of " + added.id(), supervisor,
                    cluster.launcher().liveWorkers());
            }
            case ControlResponse.NotAcked notAcked -> {
                template.state = Workload.State.LIVE;
                template.id = notAcked.id();
                template.addAnsweredNs = -1; // not acked: nothing promised
                workload.adds++;
            }
            default -> template.state = Workload.State.ABSENT; // refused although valid: the checker said so
        }
    }

    /**
     * A config load keeps every live template as it is (they were in the file unchanged) and commits its bulk rules;
     * acked, it is applied on every ready worker.
     */
    private void onConfigLoadResponse(final ControlResponse response) {
        if (!(response instanceof ControlResponse.ConfigLoaded loaded)) {
            failures.add(PROTOCOL, "a config load of valid rules was not loaded: " + response);
            return;
        }
        for (final Workload.Template template : workload.templates) {
            if (template.state == Workload.State.LIVE && cluster.supervisor().rules().stream()
                .noneMatch(rule -> rule.id().value().equals(template.id))) {
                failures.add(PROTOCOL, "a config load lost live rule " + template.id);
            }
        }
        if (loaded.laggingWorkers().isEmpty()) {
            ackedMeansApplied.check(loaded.epoch(), "config load at epoch " + loaded.epoch(), cluster.supervisor(),
                cluster.launcher().liveWorkers());
        }
    }

    private void onTraceResponse(final String id, final boolean enable, final ControlResponse response) {
        if (response instanceof ControlResponse.TraceState state && state.enabled() == enable) {
            if (enable) {
                workload.traced.add(id);
            } else {
                workload.traced.remove(id);
            }
        } else if (!(response instanceof ControlResponse.Refused)) { // refused: the rule went meanwhile
            failures.add(PROTOCOL, "unexpected answer to tracing " + id + ": " + response);
        }
    }

    private void onRemoveResponse(final ControlRequest.Remove remove, final ControlResponse response) {
        final Workload.Template template = workload.byId(remove.id());
        if (template == null) {
            failures.add(PROTOCOL, "removed an id the workload does not know: " + remove.id());
            return;
        }
        switch (response) {
            case ControlResponse.RuleRemoved removed -> {
                template.state = Workload.State.ABSENT;
                template.removedAtNs = cluster.clock().nanoTime();
                template.removedGeneration = template.generation;
                workload.removes++;
                ackedMeansApplied.check(removed.epoch(), "removal of " + removed.id(), cluster.supervisor(),
                    cluster.launcher().liveWorkers());
            }
            case ControlResponse.NotAcked notAcked -> {
                template.state = Workload.State.ABSENT;
                workload.removes++;
            }
            default -> failures.add(PROTOCOL, "unexpected answer to remove " + remove.id() + ": " + response);
        }
    }
}
