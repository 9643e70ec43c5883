package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;

/**
 * The real supervisor behind the real control socket: a simulated cluster (virtual time, simulated workers and
 * network) whose supervisor gets a {@link UnixControlServer} instead of the in-memory one. The CLI's
 * {@link ControlClient} says hello, adds a rule every worker acks and lists it; a client of another protocol version
 * gets its refusal before the supervisor's disconnect closes the socket.
 */
class UnixControlServerSupervisorTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long REAL_TIME_LIMIT_NS = 20 * SECOND;

    @TempDir
    Path dir;

    private Cluster clusterBehind(final UnixControlServer server) {
        final Cluster cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2)).withFactories(
            (config, seams) -> new Supervisor(config, new Supervisor.Seams(seams.timers(), seams.launcher(), server,
                seams.links(), seams.logLevels(), seams.inputSockets(), seams.memberships(), seams.journal(), seams.clock())),
            WorkerAgent::new));
        cluster.network().createLinkUp("in0");
        cluster.network().createLinkUp("out0");
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND), "workers did not start and sync");
        return cluster;
    }

    @Test
    void theCliClientAddsAndListsARuleThroughTheRealSocket() throws Exception {
        final Path socket = dir.resolve("control.sock");
        try (UnixControlServer server = UnixControlServer.open(socket, SystemClock.INSTANCE)) {
            final Cluster cluster = clusterBehind(server);
            final RuleDocument rule = new RuleDocument("cam-1", null, "in0", "239.1.1.1", 5000, null,
                List.of(new RuleDocument.OutputDocument("239.10.0.1", 6000, "out0", null)), null);
            final CompletableFuture<List<ControlResponse>> answers = CompletableFuture.supplyAsync(() -> {
                try (ControlClient client = ControlClient.connect(socket, 20_000)) {
                    assertEquals(BuildInfo.CONTROL_PROTOCOL_VERSION, client.welcome().protocolVersion());
                    return List.of(client.exchange(new ControlRequest.Add(client.nextRequestId(), rule)),
                        client.exchange(new ControlRequest.ListRules(client.nextRequestId())));
                } catch (final ControlClient.UnreachableException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            final long deadlineNs = System.nanoTime() + REAL_TIME_LIMIT_NS;
            while (!answers.isDone() && System.nanoTime() < deadlineNs) {
                cluster.step();
            }
            final List<ControlResponse> responses = answers.get(1, TimeUnit.SECONDS);
            assertEquals(new ControlResponse.RuleAdded(1, "cam-1", 1), responses.getFirst());
            final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, responses.get(1));
            assertEquals(1, rules.epoch());
            assertEquals(List.of("cam-1"), rules.rules().stream().map(RuleDocument::id).toList());
        }
    }

    @Test
    void aClientOfAnotherVersionReadsItsRefusalThenTheEnd() throws IOException {
        final Path socket = dir.resolve("control.sock");
        try (UnixControlServer server = UnixControlServer.open(socket, SystemClock.INSTANCE);
            SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            final Cluster cluster = clusterBehind(server);
            client.connect(UnixDomainSocketAddress.of(socket));
            client.write(ByteBuffer.wrap(Frames.frame(ControlCodec.encode(new ControlRequest.Hello(99, "old-cli")),
                Frames.CONTROL_BYTES_MAX)));
            client.configureBlocking(false);
            final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
            final List<byte[]> frames = new ArrayList<>();
            final ByteBuffer in = ByteBuffer.allocate(4096);
            boolean ended = false;
            final long deadlineNs = System.nanoTime() + REAL_TIME_LIMIT_NS;
            while (!ended && System.nanoTime() < deadlineNs) {
                cluster.step();
                in.clear();
                final int read = client.read(in);
                ended = read < 0;
                if (read > 0) {
                    decoder.feed(in.array(), 0, read, frames::add);
                }
            }
            assertTrue(ended, "the supervisor did not close the connection");
            assertEquals(1, frames.size());
            final ControlResponse.Refused refused = assertInstanceOf(ControlResponse.Refused.class,
                ControlCodec.decodeResponse(frames.getFirst()));
            assertEquals("version_mismatch", refused.code());
            assertEquals("the client speaks control protocol 99, the daemon speaks "
                + BuildInfo.CONTROL_PROTOCOL_VERSION, refused.message());
            assertEquals(0, server.connectionCount());
        }
    }
}
