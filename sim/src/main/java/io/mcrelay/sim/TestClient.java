package io.mcrelay.sim;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.sim.seams.SimControlClient;

/**
 * A control client of a {@link Cluster}, speaking the real control protocol (JSON frames) over the simulated socket:
 * each call sends one request and steps the cluster until the matching response arrives. For scenario tests and
 * workloads; single-threaded.
 */
public final class TestClient {
    /** Virtual time a request may take before the client gives up: well past the ack timeout. */
    public static final long RESPONSE_LIMIT_NS = 30_000_000_000L;

    private final Cluster cluster;
    private final SimControlClient connection;
    private final List<ControlResponse> unclaimed = new ArrayList<>();
    private long nextRequestId = 1;

    TestClient(final Cluster cluster, final SimControlClient connection) {
        this.cluster = cluster;
        this.connection = connection;
    }

    void hello() {
        connection.sendFrame(ControlCodec.encode(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "test")));
        final ControlResponse response = await(0);
        if (!(response instanceof ControlResponse.Welcome)) {
            throw new IllegalStateException("hello refused: " + response);
        }
    }

    public long nextRequestId() {
        return nextRequestId++;
    }

    /** Sends a request and waits (in virtual time) for its response. */
    public ControlResponse request(final ControlRequest request) {
        send(request);
        return await(request.requestId());
    }

    /** Sends a request without waiting. */
    public void send(final ControlRequest request) {
        if (!connection.sendFrame(ControlCodec.encode(request))) {
            throw new IllegalStateException("the control connection is closed");
        }
    }

    /** Steps the cluster until the response to {@code requestId} arrives. */
    public ControlResponse await(final long requestId) {
        final ControlResponse[] found = new ControlResponse[1];
        final boolean arrived = cluster.runUntil(() -> {
            drain();
            for (final ControlResponse response : unclaimed) {
                if (response.requestId() == requestId) {
                    found[0] = response;
                    return true;
                }
            }
            return false;
        }, RESPONSE_LIMIT_NS);
        if (!arrived) {
            throw new IllegalStateException("no response to request " + requestId + " within "
                + RESPONSE_LIMIT_NS / 1_000_000_000L + " s of virtual time");
        }
        unclaimed.remove(found[0]);
        return found[0];
    }

    /** Responses that arrived and were not claimed yet, without stepping. */
    public List<ControlResponse> drain() {
        byte[] frame;
        while ((frame = connection.pollReceived()) != null) {
            unclaimed.add(ControlCodec.decodeResponse(frame));
        }
        return List.copyOf(unclaimed);
    }

    public ControlResponse add(final RuleDocument rule) {
        return request(new ControlRequest.Add(nextRequestId(), rule));
    }

    public ControlResponse remove(final String id) {
        return request(new ControlRequest.Remove(nextRequestId(), id));
    }

    public ControlResponse.Rules list() {
        return (ControlResponse.Rules) request(new ControlRequest.ListRules(nextRequestId()));
    }

    public ControlResponse.StatsReport stats() {
        return (ControlResponse.StatsReport) request(new ControlRequest.Stats(nextRequestId()));
    }

    public ControlResponse sync() {
        return request(new ControlRequest.Sync(nextRequestId()));
    }

    public void close() {
        connection.close();
    }
}
