package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * What every {@link ControlServer} guarantees: per-connection order, connect before frames, one disconnect, and no
 * client able to hold up another. Subclasses supply the server and clients that speak raw frames to it.
 */
public abstract class ControlServerContract {
    /** A client of the server under test. */
    public interface Client extends AutoCloseable {
        /** Sends one whole frame (length prefix added by the client). */
        void sendFrame(byte[] payload);

        /** Sends raw bytes: half a frame, a bad length... */
        void sendRaw(byte[] bytes);

        /** Frames received so far. */
        List<byte[]> received();

        @Override
        void close();
    }

    /** The server and its clients. */
    public interface Harness extends AutoCloseable {
        ControlServer server();

        Client connect();

        /** Lets bytes move. */
        void settle();

        @Override
        void close();
    }

    protected abstract Harness createHarness();

    /**
     * Records server events as text, in order: {@code "ID connected"}, {@code "ID PAYLOAD"} (the payload as UTF-8),
     * {@code "ID disconnected: REASON"}. Fails a test that hears of a connection's end twice.
     */
    public static class Recorder implements ControlServer.Listener {
        public final List<String> events = new ArrayList<>();
        private final Set<Long> ended = new HashSet<>();

        @Override
        public void onConnected(final long connectionId) {
            events.add(connectionId + " connected");
        }

        @Override
        public void onFrame(final long connectionId, final byte[] payload) {
            events.add(connectionId + " " + new String(payload, StandardCharsets.UTF_8));
        }

        @Override
        public void onDisconnected(final long connectionId, final String reason) {
            assertTrue(ended.add(connectionId), () -> "connection " + connectionId + " disconnected twice");
            events.add(connectionId + " disconnected: " + reason);
        }
    }

    /** Server events as text, in order. */
    private static List<String> events(final Harness harness) {
        final Recorder recorder = new Recorder();
        for (int round = 0; round < 30; round++) {
            harness.settle();
            harness.server().poll(recorder, 100);
        }
        return recorder.events;
    }

    private static boolean isDisconnect(final String event) {
        return event.contains(" disconnected: ");
    }

    private static long idOf(final String event) {
        return Long.parseLong(event.substring(0, event.indexOf(' ')));
    }

    @Test
    void framesOfAConnectionArriveInOrderBetweenConnectAndDisconnect() {
        try (Harness harness = createHarness()) {
            final Client client = harness.connect();
            client.sendFrame("one".getBytes(StandardCharsets.UTF_8));
            client.sendFrame("two".getBytes(StandardCharsets.UTF_8));
            client.close();
            final List<String> events = events(harness);
            final long id = idOf(events.getFirst());
            assertEquals(List.of(id + " connected", id + " one", id + " two"), events.subList(0, 3), events::toString);
            assertEquals(4, events.size(), events::toString);
            assertTrue(events.get(3).startsWith(id + " disconnected: "), events::toString);
        }
    }

    @Test
    void aSilentClientDoesNotDelayAnother() {
        try (Harness harness = createHarness()) {
            final Client silent = harness.connect();
            silent.sendRaw(new byte[] {0, 0}); // half a length prefix, then nothing
            final Client busy = harness.connect();
            busy.sendFrame("hello".getBytes(StandardCharsets.UTF_8));
            final List<String> events = events(harness);
            assertTrue(events.stream().anyMatch(e -> e.endsWith(" hello")), events::toString);
            silent.close();
            busy.close();
        }
    }

    @Test
    void aBadFrameDisconnectsOnlyItsClientAndResponsesReachTheOthers() {
        try (Harness harness = createHarness()) {
            final Client bad = harness.connect();
            final Client good = harness.connect();
            bad.sendRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
            good.sendFrame("ping".getBytes(StandardCharsets.UTF_8));
            final List<String> events = events(harness);
            final long goodId = idOf(events.stream().filter(e -> e.endsWith(" ping")).findFirst().orElseThrow());
            assertTrue(events.stream().anyMatch(e -> isDisconnect(e) && idOf(e) != goodId),
                events::toString);
            assertTrue(harness.server().send(goodId, "pong".getBytes(StandardCharsets.UTF_8)));
            events(harness);
            assertEquals("pong", new String(good.received().getFirst(), StandardCharsets.UTF_8));
            good.close();
        }
    }
}
