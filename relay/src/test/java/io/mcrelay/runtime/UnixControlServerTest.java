package io.mcrelay.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.ControlServerContract;

/**
 * The Unix socket control server over real sockets in a temporary directory: the {@link ControlServerContract}, a
 * round trip with the CLI's {@link ControlClient}, each way a client can be cut off (stall mid-frame, idle, not
 * reading, bad length, over its user's share of connections or bytes) leaving the others served, and the socket
 * file's life (mode 0660, its group, a live supervisor's socket refused, a stale one replaced, removed on close).
 * Every connection of this process has the same peer credentials, so the per-user limits are driven through a
 * {@link ControlPeer.Source} that names each connection's user in the order they connect; the kernel's own answer is
 * checked on its own. Time is a manual clock, so timeouts are exact and the tests do not sleep.
 */
class UnixControlServerTest extends ControlServerContract {
    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    /** Monotonic time the test moves. */
    private static final class ManualClock implements Clock {
        private long nowNs = 1_000 * MS;

        @Override
        public long nanoTime() {
            return nowNs;
        }

        @Override
        public long epochMillis() {
            return nowNs / MS;
        }

        void advanceMs(final long ms) {
            nowNs += ms * MS;
        }
    }

    /** A client speaking raw bytes over a real, non-blocking socket. */
    private static final class RawClient implements Client {
        private final SocketChannel channel;
        private final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        private final List<byte[]> received = new ArrayList<>();
        private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        private boolean eof;

        RawClient(final Path socket) {
            try {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.connect(UnixDomainSocketAddress.of(socket));
                channel.configureBlocking(false);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void sendFrame(final byte[] payload) {
            sendRaw(Frames.frame(payload, Frames.CONTROL_BYTES_MAX));
        }

        /** Small writes only: the socket buffer takes them whole. */
        @Override
        public void sendRaw(final byte[] bytes) {
            try {
                final ByteBuffer out = ByteBuffer.wrap(bytes);
                channel.write(out);
                assertFalse(out.hasRemaining(), "the socket buffer should take " + bytes.length + " bytes at once");
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Reads what has arrived. */
        void pump() {
            try {
                for (int i = 0; i < 10_000 && !eof; i++) {
                    in.clear();
                    final int read = channel.read(in);
                    if (read < 0) {
                        eof = true;
                    } else if (read == 0) {
                        return;
                    } else {
                        decoder.feed(in.array(), 0, read, received::add);
                    }
                }
            } catch (final IOException e) {
                eof = true; // reset by the server: as good as an end
            }
        }

        boolean sawEnd() {
            pump();
            return eof;
        }

        @Override
        public List<byte[]> received() {
            pump();
            return received;
        }

        List<String> receivedText() {
            return received().stream().map(bytes -> new String(bytes, StandardCharsets.UTF_8)).toList();
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The contract's recorder, with the connection ids in order of connection and the reasons of disconnects. */
    private static class Events extends Recorder {
        final Map<Long, String> disconnects = new LinkedHashMap<>();
        final List<Long> connected = new ArrayList<>();

        @Override
        public void onConnected(final long connectionId) {
            super.onConnected(connectionId);
            connected.add(connectionId);
        }

        @Override
        public void onDisconnected(final long connectionId, final String reason) {
            super.onDisconnected(connectionId, reason);
            disconnects.put(connectionId, reason);
        }

        /** The events of one connection. */
        List<String> of(final long connectionId) {
            return events.stream().filter(e -> e.startsWith(connectionId + " ")).toList();
        }
    }

    private Path socket() {
        return dir.resolve("control.sock");
    }

    private UnixControlServer open(final UnixControlServer.Config options) {
        return UnixControlServer.open(socket(), clock, options);
    }

    private static UnixControlServer.Config options(final long readTimeoutMs, final int outputBytesMax) {
        return new UnixControlServer.Config(readTimeoutMs * MS, 3_600_000 * MS, outputBytesMax, 1_000 * MS,
            PeerLimits.Config.DEFAULTS);
    }

    /** A server whose connections come, in the order they connect, from {@code users} ("root" is uid 0). */
    private UnixControlServer openAs(final UnixControlServer.Config options, final String... users) {
        final ArrayDeque<String> next = new ArrayDeque<>(List.of(users));
        return UnixControlServer.open(socket(), clock, options, null, channel -> {
            final String user = next.removeFirst();
            return new ControlPeer(user, user.equals("root"));
        });
    }

    /** The one response a client was sent before its connection ended, decoded. */
    private static ControlResponse.Refused refusalTo(final RawClient client) {
        assertTrue(client.sawEnd(), "the connection is closed");
        assertEquals(1, client.received().size(), () -> client.receivedText().toString());
        return assertInstanceOf(ControlResponse.Refused.class,
            ControlCodec.decodeResponse(client.received().getFirst()));
    }

    /** Polls until nothing more happens (bytes on Unix sockets move at once: a few rounds suffice). */
    private static void drain(final ControlServer server, final Events recorder) {
        for (int round = 0; round < 20; round++) {
            server.poll(recorder, 100);
        }
    }

    @Override
    protected Harness createHarness() {
        final UnixControlServer server = UnixControlServer.open(socket(), clock);
        final List<RawClient> clients = new ArrayList<>();
        return new Harness() {
            @Override
            public ControlServer server() {
                return server;
            }

            @Override
            public Client connect() {
                final RawClient client = new RawClient(server.path());
                clients.add(client);
                return client;
            }

            @Override
            public void settle() {
                clients.forEach(RawClient::pump);
            }

            @Override
            public void close() {
                server.close();
                clients.forEach(RawClient::close);
            }
        };
    }

    // ---- with the CLI's client ------------------------------------------------------------------------------------

    @Test
    void theCliClientSaysHelloAndGetsAnAnswerToItsRequest() throws Exception {
        try (UnixControlServer server = UnixControlServer.open(socket(), SystemClock.INSTANCE)) {
            final CompletableFuture<ControlResponse> answer = CompletableFuture.supplyAsync(() -> {
                try (ControlClient client = ControlClient.connect(socket(), 10_000)) {
                    assertEquals("test-daemon", client.welcome().daemonVersion());
                    return client.exchange(new ControlRequest.Ping(client.nextRequestId()));
                } catch (final ControlClient.UnreachableException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            final List<ControlRequest> requests = new ArrayList<>();
            final Events recorder = new Events() {
                @Override
                public void onFrame(final long connectionId, final byte[] payload) {
                    super.onFrame(connectionId, payload);
                    final ControlRequest request = ControlCodec.decodeRequest(payload);
                    requests.add(request);
                    final ControlResponse response = request instanceof ControlRequest.Hello
                        ? new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION, "test-daemon")
                        : new ControlResponse.Pong(request.requestId(), ControlResponse.JournalState.OK);
                    assertTrue(server.send(connectionId, ControlCodec.encode(response)));
                }
            };
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (recorder.disconnects.isEmpty() && System.nanoTime() < deadlineNs) {
                if (server.poll(recorder, 10) == 0) {
                    Thread.sleep(1); // the supervisor's idle strategy, in miniature
                }
            }
            assertEquals(new ControlResponse.Pong(1, ControlResponse.JournalState.OK), answer.get(10, TimeUnit.SECONDS));
            assertEquals(2, requests.size(), recorder.events::toString);
            final ControlRequest.Hello hello = assertInstanceOf(ControlRequest.Hello.class, requests.getFirst());
            assertEquals(BuildInfo.CONTROL_PROTOCOL_VERSION, hello.protocolVersion());
            assertEquals(new ControlRequest.Ping(1), requests.get(1));
            assertEquals(Map.of(1L, "client closed"), recorder.disconnects);
            assertEquals(0, server.connectionCount());
        }
    }

    // ---- clients cut off, others served ---------------------------------------------------------------------------

    @Test
    void aClientStalledMidFrameIsCutOffAfterTheTimeoutWhileOthersAreServed() {
        try (UnixControlServer server = open(options(1_000, 1 << 20));
            RawClient stalled = new RawClient(socket());
            RawClient busy = new RawClient(socket());
            RawClient idle = new RawClient(socket())) {
            final Events recorder = new Events();
            stalled.sendRaw(new byte[] {0, 0, 0, 10, 'h', 'a', 'l', 'f'}); // 4 of 10 payload bytes, then nothing
            busy.sendFrame("a".getBytes(StandardCharsets.UTF_8));
            drain(server, recorder);
            assertEquals(List.of(1L, 2L, 3L), recorder.connected, "ids are unique and grow");
            assertEquals(List.of("2 connected", "2 a"), recorder.of(2));

            clock.advanceMs(1_000); // exactly the timeout: not yet over it
            busy.sendFrame("b".getBytes(StandardCharsets.UTF_8));
            drain(server, recorder);
            assertTrue(recorder.disconnects.isEmpty(), recorder.events::toString);
            assertFalse(stalled.sawEnd());

            clock.advanceMs(1);
            busy.sendFrame("c".getBytes(StandardCharsets.UTF_8));
            drain(server, recorder);
            assertEquals(Map.of(1L, "read timeout: no byte for 1000 ms in the middle of a frame"),
                recorder.disconnects);
            assertTrue(stalled.sawEnd(), "the server closed the stalled client's socket");
            assertEquals(List.of("2 connected", "2 a", "2 b", "2 c"), recorder.of(2));
            assertTrue(server.send(2, "pong".getBytes(StandardCharsets.UTF_8)));
            assertFalse(server.send(1, "late".getBytes(StandardCharsets.UTF_8)), "the stalled client is gone");
            assertEquals(List.of("pong"), busy.receivedText());

            clock.advanceMs(60_000); // a client idle between frames may stay until the idle timeout
            drain(server, recorder);
            assertEquals(List.of("3 connected"), recorder.of(3));
            assertFalse(idle.sawEnd());
            assertEquals(2, server.connectionCount());
        }
    }

    @Test
    void aClientThatDoesNotReadIsCutOffAtTheOutputBoundAndOthersAreServed() {
        final int limitBytes = 64 * 1024;
        try (UnixControlServer server = open(options(1_000, limitBytes));
            RawClient deaf = new RawClient(socket());
            RawClient reader = new RawClient(socket())) {
            final Events recorder = new Events();
            drain(server, recorder);
            final byte[] response = new byte[1024];
            int accepted = 0;
            while (server.send(1, response)) {
                accepted++;
                if (accepted > 100_000) {
                    fail("100 MB queued for a client that does not read, and still not cut off");
                }
                if (accepted % 16 == 0) {
                    server.poll(recorder, 100);
                }
            }
            // The kernel's socket buffers take some before the server's own queue fills up to its bound.
            assertTrue(accepted * (long) (response.length + Frames.HEADER_BYTES) > limitBytes, "accepted " + accepted);
            assertFalse(server.send(1, response), "a cut-off client takes nothing more");
            assertTrue(server.send(2, "pong".getBytes(StandardCharsets.UTF_8)));
            drain(server, recorder);
            assertEquals(List.of(1L), List.copyOf(recorder.disconnects.keySet()));
            assertTrue(recorder.disconnects.get(1L).startsWith("client is not reading: ")
                && recorder.disconnects.get(1L).endsWith(" bytes of responses would exceed the buffer of "
                + limitBytes + " bytes"), recorder.disconnects::toString);
            assertEquals(List.of("pong"), reader.receivedText());
            assertFalse(reader.sawEnd());
            assertTrue(deaf.sawEnd(), "the deaf client's socket is closed");
        }
    }

    @Test
    void aBadLengthIsRefusedInAFrameAndCutsOffOnlyItsClientBeforeAnyPayload() {
        try (UnixControlServer server = open(options(1_000, 1 << 20));
            RawClient oversized = new RawClient(socket());
            RawClient empty = new RawClient(socket());
            RawClient good = new RawClient(socket())) {
            final Events recorder = new Events();
            final int tooLong = Frames.CONTROL_BYTES_MAX + 1;
            oversized.sendRaw(ByteBuffer.allocate(4).putInt(tooLong).array());
            empty.sendRaw(new byte[] {0, 0, 0, 0});
            good.sendFrame("ping".getBytes(StandardCharsets.UTF_8));
            drain(server, recorder);
            assertEquals("frame length 16777217 exceeds the limit of 16777216 bytes", recorder.disconnects.get(1L));
            assertEquals("frame length 0 is invalid (a frame carries at least one byte)", recorder.disconnects.get(2L));
            assertEquals(2, recorder.disconnects.size(), recorder.events::toString);
            assertEquals(new ControlResponse.Refused(0, "bad_request", "frame length 16777217 exceeds the limit of "
                + "16777216 bytes; the daemon closes this connection", List.of()), refusalTo(oversized),
                "told why before the close");
            assertEquals("bad_request", refusalTo(empty).code());
            assertEquals(List.of("3 connected", "3 ping"), recorder.of(3));
            assertTrue(server.send(3, "pong".getBytes(StandardCharsets.UTF_8)));
            assertEquals(List.of("pong"), good.receivedText());
        }
    }

    @Test
    void aFrameOfManyReadsArrivesWholeAndDoesNotHoldUpAnother() throws IOException {
        try (UnixControlServer server = open(options(1_000, 1 << 20));
            RawClient big = new RawClient(socket());
            RawClient small = new RawClient(socket())) {
            final List<byte[]> frames = new ArrayList<>();
            final Events recorder = new Events() {
                @Override
                public void onFrame(final long connectionId, final byte[] payload) {
                    super.onFrame(connectionId, connectionId == 1 ? new byte[] {'#'} : payload);
                    frames.add(payload);
                }
            };
            final byte[] payload = new byte[3 * 1024 * 1024];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 31);
            }
            final ByteBuffer out = ByteBuffer.wrap(Frames.frame(payload, Frames.CONTROL_BYTES_MAX));
            small.sendFrame("first".getBytes(StandardCharsets.UTF_8));
            int rounds = 0;
            while (out.hasRemaining()) {
                big.channel.write(out);
                server.poll(recorder, 100);
                if (++rounds == 5) {
                    assertEquals(List.of("2 connected", "2 first"), recorder.of(2), "served while the big one flows");
                }
                assertTrue(rounds < 100_000, "the server stopped reading");
            }
            drain(server, recorder);
            assertEquals(List.of("1 connected", "1 #"), recorder.of(1));
            assertArrayEquals(payload, frames.stream().filter(f -> f.length == payload.length).findFirst()
                .orElseThrow());
        }
    }

    @Test
    void aServerDisconnectDeliversQueuedResponsesThenClosesAndDropsUndeliveredFrames() {
        try (UnixControlServer server = open(options(1_000, 1 << 20));
            RawClient client = new RawClient(socket())) {
            final Events recorder = new Events() {
                @Override
                public void onFrame(final long connectionId, final byte[] payload) {
                    super.onFrame(connectionId, payload);
                    assertTrue(server.send(connectionId, "refused".getBytes(StandardCharsets.UTF_8)));
                    server.disconnect(connectionId); // as the supervisor does after a bad hello
                    server.disconnect(connectionId); // a second call changes nothing
                    assertFalse(server.send(connectionId, "late".getBytes(StandardCharsets.UTF_8)));
                }
            };
            final byte[] first = Frames.frame("first".getBytes(StandardCharsets.UTF_8), Frames.CONTROL_BYTES_MAX);
            final byte[] second = Frames.frame("second".getBytes(StandardCharsets.UTF_8), Frames.CONTROL_BYTES_MAX);
            final byte[] both = new byte[first.length + second.length];
            System.arraycopy(first, 0, both, 0, first.length);
            System.arraycopy(second, 0, both, first.length, second.length);
            client.sendRaw(both); // one write: both frames are read in the same round
            drain(server, recorder);
            assertEquals(List.of("1 connected", "1 first", "1 disconnected: closed by the server"), recorder.events);
            assertEquals(List.of("refused"), client.receivedText());
            assertTrue(client.sawEnd());
            assertEquals(0, server.connectionCount());
            assertFalse(server.send(42, "x".getBytes(StandardCharsets.UTF_8)), "an unknown connection");
        }
    }

    @Test
    void aLargeResponseIsWrittenAsTheClientReadsAndArrivesWhole() {
        try (UnixControlServer server = open(options(1_000, 32 * 1024 * 1024));
            RawClient client = new RawClient(socket())) {
            drain(server, new Events());
            final byte[] payload = new byte[5 * 1024 * 1024];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 7 + 3);
            }
            assertTrue(server.send(1, payload));
            assertTrue(server.send(1, "after".getBytes(StandardCharsets.UTF_8)));
            for (int round = 0; round < 100_000 && client.received().size() < 2; round++) {
                server.poll(new Events(), 10);
            }
            assertEquals(2, client.received().size());
            assertArrayEquals(payload, client.received().getFirst());
            assertEquals("after", client.receivedText().get(1));
        }
    }

    @Test
    void aUserAtItsShareOfConnectionsIsToldWhyAndClosedWhileOtherUsersAndRootAreServed() {
        final UnixControlServer.Config options = options(1_000, 1 << 20)
            .withPeers(new PeerLimits.Config(4, 2, 1 << 20, 1 << 19, 1024));
        try (UnixControlServer server = openAs(options, "alice", "alice", "alice", "bob", "root", "root", "root",
                "carol", "dave", "alice");
            RawClient alice1 = new RawClient(socket());
            RawClient alice2 = new RawClient(socket());
            RawClient alice3 = new RawClient(socket());
            RawClient bob = new RawClient(socket());
            RawClient root1 = new RawClient(socket());
            RawClient root2 = new RawClient(socket());
            RawClient root3 = new RawClient(socket());
            RawClient carol = new RawClient(socket());
            RawClient dave = new RawClient(socket())) {
            final Events recorder = new Events();
            drain(server, recorder);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), recorder.connected,
                "alice twice, bob, root three times, carol; alice's third and dave (the fifth user's) refused");
            assertTrue(recorder.disconnects.isEmpty(), "a refused connection is never reported");
            final ControlResponse.Refused own = refusalTo(alice3);
            assertEquals(new ControlResponse.Refused(0, "limit", "user alice holds 2 connections to the control "
                + "socket, the most one user may (root excepted); the daemon closes this connection", List.of()), own);
            assertEquals("users other than root hold 4 connections to the control socket, the most allowed; the "
                + "daemon closes this connection", refusalTo(dave).message());
            for (final RawClient client : List.of(alice1, alice2, bob, root1, root2, root3, carol)) {
                client.sendFrame("ping".getBytes(StandardCharsets.UTF_8));
                assertFalse(client.sawEnd());
            }
            drain(server, recorder);
            assertEquals(7, recorder.events.stream().filter(e -> e.endsWith(" ping")).count(), recorder.events::toString);
            assertEquals(4, server.limits().connections(), "root's are not counted");

            alice1.close();
            drain(server, recorder);
            assertEquals(Map.of(1L, "client closed"), recorder.disconnects);
            try (RawClient aliceAgain = new RawClient(socket())) {
                aliceAgain.sendFrame("back".getBytes(StandardCharsets.UTF_8));
                drain(server, recorder);
                assertEquals(List.of("8 connected", "8 back"), recorder.of(8), "a freed place is taken again");
            }
        }
    }

    @Test
    void theCliClientOfAUserOverItsShareIsToldWhyItWasRefused() throws Exception {
        final UnixControlServer.Config options = options(1_000, 1 << 20)
            .withPeers(new PeerLimits.Config(4, 1, 1 << 20, 1 << 19, 1024));
        try (UnixControlServer server = openAs(options, "alice", "alice");
            RawClient first = new RawClient(socket())) {
            final CompletableFuture<String> refusal = CompletableFuture.supplyAsync(() -> {
                try (ControlClient client = ControlClient.connect(socket(), 10_000)) {
                    return "connected: " + client.welcome();
                } catch (final ControlClient.UnreachableException e) {
                    return e.getMessage();
                }
            });
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!refusal.isDone() && System.nanoTime() < deadlineNs) {
                if (server.poll(new Events(), 10) == 0) {
                    Thread.sleep(1); // the supervisor's idle strategy, in miniature
                }
            }
            final String message = refusal.get(10, TimeUnit.SECONDS);
            // The client writes its hello after the daemon closed (its JSON codec takes long to start): the refusal
            // is read all the same.
            assertEquals("the daemon refused the connection: user alice holds 1 connections to the control socket, "
                + "the most one user may (root excepted); the daemon closes this connection", message);
            assertFalse(first.sawEnd(), "alice's first connection stays");
        }
    }

    @Test
    void aConnectionThatCompletesNoFrameIsClosedAtTheIdleTimeoutSilentOrHalfwayThroughOne() {
        final UnixControlServer.Config options = options(10_000, 1 << 20).withIdleTimeoutNs(5_000 * MS);
        try (UnixControlServer server = open(options);
            RawClient silent = new RawClient(socket());
            RawClient trickling = new RawClient(socket());
            RawClient active = new RawClient(socket());
            RawClient waiting = new RawClient(socket())) {
            final Events recorder = new Events();
            drain(server, recorder);
            trickling.sendRaw(new byte[] {0, 0, 0, 100}); // a frame of 100 bytes, sent a byte a second
            waiting.sendFrame("slow request".getBytes(StandardCharsets.UTF_8)); // answered at 4 s
            for (int second = 1; second <= 5; second++) {
                clock.advanceMs(1_000);
                trickling.sendRaw(new byte[] {'x'});
                active.sendFrame(("request " + second).getBytes(StandardCharsets.UTF_8));
                drain(server, recorder);
                if (second == 4) {
                    assertTrue(server.send(4, "slow answer".getBytes(StandardCharsets.UTF_8)));
                }
            }
            assertTrue(recorder.disconnects.isEmpty(), "exactly the timeout: not yet over it");
            clock.advanceMs(1);
            drain(server, recorder);
            assertEquals(Map.of(
                1L, "idle timeout: no request in the 5000 ms since the last request or answer",
                2L, "idle timeout: no request in the 5000 ms since the last request or answer (one was begun, not "
                    + "finished)"), recorder.disconnects);
            assertTrue(silent.sawEnd());
            assertTrue(trickling.sawEnd(), "bytes that complete no frame do not keep a connection");
            assertFalse(active.sawEnd());
            assertEquals(6, recorder.of(3).size(), recorder.events::toString);
            assertFalse(waiting.sawEnd(), "its time to ask again runs from the answer, at 4 s");
            assertEquals(List.of("slow answer"), waiting.receivedText());

            clock.advanceMs(4_000); // 9 s and 1 ms: 5 s and 1 ms after the answer
            active.sendFrame("request 6".getBytes(StandardCharsets.UTF_8));
            drain(server, recorder);
            assertEquals("idle timeout: no request in the 5000 ms since the last request or answer",
                recorder.disconnects.get(4L));
            assertTrue(waiting.sawEnd());
            assertFalse(active.sawEnd());
            assertEquals(1, server.connectionCount());
        }
    }

    @Test
    void aUserAnnouncingMoreThanItsShareOfBytesIsToldWhyAndClosedWhileOthersAreServed() throws IOException {
        // 1 KiB free per connection; 128 KiB charged per user, 192 KiB in all.
        final UnixControlServer.Config options = options(10_000, 1 << 20)
            .withPeers(new PeerLimits.Config(8, 4, 192 << 10, 128 << 10, 1 << 10));
        try (UnixControlServer server = openAs(options, "mallory", "alice", "root", "alice");
            RawClient mallory = new RawClient(socket());
            RawClient alice = new RawClient(socket());
            RawClient root = new RawClient(socket());
            RawClient aliceDeaf = new RawClient(socket())) {
            final Events recorder = new Events();
            drain(server, recorder);
            // Announcing a large frame costs its first 64 KiB of buffer, no more, until its bytes arrive.
            mallory.sendRaw(ByteBuffer.allocate(4).putInt(1 << 20).array());
            drain(server, recorder);
            assertTrue(recorder.disconnects.isEmpty(), recorder.events::toString);
            final ByteBuffer bulk = ByteBuffer.allocate(200 << 10);
            for (int round = 0; round < 1_000 && bulk.hasRemaining() && !recorder.disconnects.containsKey(1L);
                round++) {
                mallory.channel.write(bulk);
                server.poll(recorder, 100);
            }
            drain(server, recorder);
            assertEquals("user mallory would hold more than its 131072 bytes of unfinished requests and unsent "
                + "responses", recorder.disconnects.get(1L), recorder.events::toString);
            assertEquals("limit", refusalTo(mallory).code());
            assertEquals(List.of("1 connected", "1 disconnected: " + recorder.disconnects.get(1L)), recorder.of(1));

            final byte[] large = new byte[200 << 10];
            alice.sendFrame("ping".getBytes(StandardCharsets.UTF_8));
            assertTrue(server.send(3, large), "root's bytes are not counted");
            drain(server, recorder);
            assertEquals(List.of("2 connected", "2 ping"), recorder.of(2));
            assertEquals(0, server.limits().chargedBytes(), "nothing held any more");
            assertFalse(server.send(4, large), "an answer over the user's share is not queued");
            drain(server, recorder);
            assertEquals("user alice would hold more than its 131072 bytes of unfinished requests and unsent "
                + "responses", recorder.disconnects.get(4L));
            assertTrue(aliceDeaf.sawEnd());
            assertTrue(server.send(2, "pong".getBytes(StandardCharsets.UTF_8)), "alice's other connection is served");
            assertEquals(List.of("pong"), alice.receivedText());
            for (int round = 0; round < 10_000 && root.received().isEmpty(); round++) {
                server.poll(recorder, 10);
            }
            assertEquals(large.length, root.received().getFirst().length);
        }
    }

    @Test
    void theKernelNamesThePeerOfAConnectionAndWhetherItIsRoot() throws Exception {
        final ControlPeer.Source kernel = ControlPeer.kernel();
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket()));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket()));
                SocketChannel accepted = listener.accept()) {
                final ControlPeer peer = kernel.of(accepted);
                final boolean root = io.mcrelay.linux.sys.Processes.effectiveUid() == 0;
                assertEquals(root, peer.root(), peer::toString);
                assertEquals(root ? "root" : System.getProperty("user.name"), peer.user());
                assertTrue(client.isConnected());
            }
        }
    }

    // ---- the socket file ------------------------------------------------------------------------------------------

    @Test
    void theSocketFileHasMode0660AndNothingIsLeftBeside() throws IOException {
        try (UnixControlServer ignored = open(UnixControlServer.Config.DEFAULTS)) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket(),
                LinkOption.NOFOLLOW_LINKS)));
            assertEquals(0140000, (Integer) Files.getAttribute(socket(), "unix:mode") & 0170000, "a socket");
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(socket()), files.toList(), "the private directory used to bind is gone");
            }
        }
    }

    @Test
    void theSocketFileTakesTheGroupItIsGivenAndAnUnknownGroupIsNamed() throws IOException {
        // Root may give the socket any group: one other than the directory's, which the kernel would have chosen.
        // Another user may give only its own groups: the directory's (its primary group) then.
        final String ownGid = String.valueOf(Files.getAttribute(dir, "unix:gid"));
        final boolean root = io.mcrelay.linux.sys.Processes.effectiveUid() == 0;
        final String other = Files.readAllLines(Path.of("/etc/group")).stream().map(line -> line.split(":", -1))
            .filter(fields -> fields.length > 2 && fields[2].equals(ownGid) != root).map(fields -> fields[0])
            .findFirst().orElseThrow();
        final GroupPrincipal group = UnixControlServer.lookUpGroup(other);
        try (UnixControlServer ignored = UnixControlServer.open(socket(), clock, UnixControlServer.Config.DEFAULTS,
            group, ControlPeer.kernel())) {
            assertEquals(other, ((GroupPrincipal) Files.getAttribute(socket(), "posix:group",
                LinkOption.NOFOLLOW_LINKS)).getName());
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket(),
                LinkOption.NOFOLLOW_LINKS)));
        }
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> UnixControlServer.lookUpGroup("no-such-group-mcrelay"));
        assertEquals("no group named \"no-such-group-mcrelay\" in the group database (getent group "
            + "no-such-group-mcrelay finds none)", e.getMessage());
    }

    @Test
    void aDirectoryLeftBesideByAnEarlierOpeningIsPassedOver() throws IOException {
        final Path leftover = Files.createDirectory(dir.resolve(".mcrelay-" + ProcessHandle.current().pid() + "-0"));
        try (UnixControlServer server = open(UnixControlServer.Config.DEFAULTS);
            RawClient client = new RawClient(socket())) {
            client.sendFrame("hi".getBytes(StandardCharsets.UTF_8));
            final Events recorder = new Events();
            drain(server, recorder);
            assertEquals(List.of("1 connected", "1 hi"), recorder.events);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(leftover, socket()), files.sorted().toList());
            }
        }
    }

    @Test
    void aSecondServerOnALiveSocketIsRefusedAndTheFirstKeepsServing() {
        try (UnixControlServer first = open(UnixControlServer.Config.DEFAULTS)) {
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> open(UnixControlServer.Config.DEFAULTS));
            assertEquals("another supervisor is listening on " + socket() + "; stop it first, or choose another path",
                e.getMessage());
            try (RawClient client = new RawClient(socket())) {
                client.sendFrame("still here".getBytes(StandardCharsets.UTF_8));
                final Events recorder = new Events();
                drain(first, recorder);
                // The refused server's probe was a connection too: it came and went.
                assertTrue(recorder.events.contains("1 connected") && recorder.events.contains("2 still here"),
                    recorder.events::toString);
            }
        }
    }

    @Test
    void aStaleSocketIsReplacedAndAnythingElseIsLeftAlone() throws IOException {
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket())); // closing it leaves the file, as a crash would
        }
        assertTrue(Files.exists(socket()));
        try (UnixControlServer server = open(UnixControlServer.Config.DEFAULTS);
            RawClient client = new RawClient(socket())) {
            client.sendFrame("hi".getBytes(StandardCharsets.UTF_8));
            final Events recorder = new Events();
            drain(server, recorder);
            assertEquals(List.of("1 connected", "1 hi"), recorder.events);
        }
        final Path file = dir.resolve("notes.txt");
        Files.writeString(file, "not a socket");
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> UnixControlServer.open(file, clock));
        assertEquals("the control socket path " + file + " exists and is not a socket; remove it or choose another "
            + "path", e.getMessage());
        assertEquals("not a socket", Files.readString(file));
    }

    @Test
    void closeRemovesTheSocketFileAndClientsSeeTheEnd() {
        final UnixControlServer server = open(UnixControlServer.Config.DEFAULTS);
        try (RawClient client = new RawClient(socket())) {
            drain(server, new Events());
            assertTrue(Files.exists(socket(), LinkOption.NOFOLLOW_LINKS));
            server.close();
            server.close(); // idempotent
            assertFalse(Files.exists(socket(), LinkOption.NOFOLLOW_LINKS));
            assertTrue(client.sawEnd());
            assertEquals(0, server.poll(new Events(), 10));
            assertFalse(server.send(1, "x".getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void theParentDirectoryIsCreatedWithMode0755OrTheErrorSaysWhy() throws IOException {
        final Path nested = dir.resolve("run/mcrelay/control.sock");
        try (UnixControlServer server = UnixControlServer.open(nested, clock)) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(nested.getParent())));
            assertEquals(nested, server.path());
        }
        final Path file = dir.resolve("plain");
        Files.writeString(file, "");
        final Path under = file.resolve("sub/control.sock");
        final UncheckedIOException e = assertThrows(UncheckedIOException.class,
            () -> UnixControlServer.open(under, clock));
        assertTrue(e.getMessage().startsWith("cannot create the control socket directory " + under.getParent() + ": "),
            e.getMessage());
    }

    @Test
    void aPathTooLongForTheKernelIsRefusedNamingIt() {
        final Path deep = dir.resolve("d".repeat(100)).resolve("control.sock");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> UnixControlServer.open(deep, clock));
        assertTrue(e.getMessage().startsWith("the control socket path " + deep + " is too long"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 107 bytes"), e.getMessage());
    }
}
