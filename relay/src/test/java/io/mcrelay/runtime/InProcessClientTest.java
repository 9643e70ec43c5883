package io.mcrelay.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.seam.ControlServer;

/**
 * The daemon's in-process client (how {@code --config} is loaded): its requests reach the listener as the frames of
 * connection 0, before the wrapped server's events, each response goes to the callback, and it disconnects once all
 * are answered; every other connection passes through untouched.
 */
class InProcessClientTest {
    /** A wrapped server with one queued frame of its own client 7, recording what is sent to it. */
    private static final class OneClientServer implements ControlServer {
        final List<String> calls = new ArrayList<>();
        boolean pending = true;

        @Override
        public int poll(final Listener listener, final int limit) {
            if (!pending || limit == 0) {
                return 0;
            }
            pending = false;
            listener.onFrame(7, new byte[] {1});
            return 1;
        }

        @Override
        public boolean send(final long connectionId, final byte[] payload) {
            calls.add("send " + connectionId);
            return true;
        }

        @Override
        public void disconnect(final long connectionId) {
            calls.add("disconnect " + connectionId);
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    /** Records the listener's events as text. */
    private static final class Events implements ControlServer.Listener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void onConnected(final long connectionId) {
            seen.add("connected " + connectionId);
        }

        @Override
        public void onFrame(final long connectionId, final byte[] payload) {
            seen.add("frame " + connectionId + (connectionId == InProcessClient.CONNECTION_ID
                ? " " + ControlCodec.decodeRequest(payload).getClass().getSimpleName() : ""));
        }

        @Override
        public void onDisconnected(final long connectionId, final String reason) {
            seen.add("disconnected " + connectionId + ": " + reason);
        }
    }

    private static final List<ControlRequest> REQUESTS = List.of(new ControlRequest.Hello(1, "test"),
        new ControlRequest.ConfigLoad(1, "rules.json", "{\"rules\": []}"));

    @Test
    void theRequestsComeFirstAsConnectionZeroThenTheWrappedServersEvents() {
        final OneClientServer inner = new OneClientServer();
        final InProcessClient client = new InProcessClient(inner, REQUESTS, response -> { });
        final Events events = new Events();
        assertEquals(4, client.poll(events, 10));
        assertEquals(List.of("connected 0", "frame 0 Hello", "frame 0 ConfigLoad", "frame 7"), events.seen);
        assertEquals(0, client.poll(events, 10), "nothing more");
    }

    @Test
    void eachResponseGoesToTheCallbackAndTheClientLeavesOnceAllAreAnswered() {
        final OneClientServer inner = new OneClientServer();
        final List<ControlResponse> answers = new ArrayList<>();
        final InProcessClient client = new InProcessClient(inner, REQUESTS, answers::add);
        final Events events = new Events();
        client.poll(events, 3);
        assertTrue(client.send(0, ControlCodec.encode(new ControlResponse.Welcome(1, "v"))));
        assertTrue(client.connected(), "one request still unanswered");
        assertTrue(client.send(0, ControlCodec.encode(new ControlResponse.ConfigLoaded(1, 2, 1, 0, 0, List.of()))));
        assertFalse(client.connected());
        assertInstanceOf(ControlResponse.Welcome.class, answers.get(0));
        assertEquals(2, assertInstanceOf(ControlResponse.ConfigLoaded.class, answers.get(1)).epoch());
        events.seen.clear();
        client.poll(events, 10);
        assertEquals(List.of("disconnected 0: in-process client done", "frame 7"), events.seen);
        assertFalse(client.send(0, ControlCodec.encode(new ControlResponse.Pong(3, ControlResponse.JournalState.OK))), "gone: the response is dropped");
        assertEquals(2, answers.size());
        assertEquals(List.of(), inner.calls, "nothing of connection 0 reaches the wrapped server");
    }

    @Test
    void otherConnectionsPassThroughAndClosingClosesTheWrappedServer() {
        final OneClientServer inner = new OneClientServer();
        final InProcessClient client = new InProcessClient(inner, REQUESTS, response -> { });
        client.send(7, new byte[] {1});
        client.disconnect(7);
        client.close();
        assertEquals(List.of("send 7", "disconnect 7", "close"), inner.calls);
    }

    @Test
    void aDisconnectByTheSupervisorDropsTheUnreadRequests() {
        final InProcessClient client = new InProcessClient(new OneClientServer(), REQUESTS, response -> { });
        client.disconnect(InProcessClient.CONNECTION_ID);
        final Events events = new Events();
        client.poll(events, 10);
        assertEquals(List.of("connected 0", "disconnected 0: closed by the server", "frame 7"), events.seen);
        assertFalse(client.connected());
    }

    @Test
    void aClientThatDoesNotSayHelloFirstIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new InProcessClient(new OneClientServer(),
            List.of(new ControlRequest.ConfigLoad(1, "f", "{}")), response -> { }));
    }
}
