package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.Frames;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.ControlServerContract;

/**
 * The in-memory control server keeps the {@link ControlServer} contract with the real framing, and its own promises:
 * ids from 1, the codec's message as a bad client's reason, and a client that does not read is disconnected.
 */
class SimControlServerTest extends ControlServerContract {
    @Override
    protected Harness createHarness() {
        final SimControlServer server = new SimControlServer();
        return new Harness() {
            @Override
            public ControlServer server() {
                return server;
            }

            @Override
            public Client connect() {
                final SimControlClient client = server.connect();
                return new Client() {
                    @Override
                    public void sendFrame(final byte[] payload) {
                        client.sendFrame(payload);
                    }

                    @Override
                    public void sendRaw(final byte[] bytes) {
                        client.sendRaw(bytes);
                    }

                    @Override
                    public List<byte[]> received() {
                        return client.received();
                    }

                    @Override
                    public void close() {
                        client.close();
                    }
                };
            }

            @Override
            public void settle() {
                server.step();
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void idsStartAtOneAndABadLengthIsTheReason() {
        final SimControlServer server = new SimControlServer();
        final SimControlClient first = server.connect();
        final SimControlClient second = server.connect();
        assertEquals(1, first.connectionId());
        assertEquals(2, second.connectionId());
        first.sendRaw(new byte[] {0, 0, 0, 0});
        final Recorder recorder = new Recorder();
        server.poll(recorder, 100);
        assertEquals(List.of("1 connected", "2 connected",
            "1 disconnected: frame length 0 is invalid (a frame carries at least one byte)"), recorder.events);
        assertFalse(first.sendRaw(utf8("late")), "the server is gone");
        server.step();
        assertTrue(first.isClosedByServer());
        assertEquals(1, server.connectionCount());
    }

    @Test
    void aClientThatDoesNotReadIsDisconnectedWhenItsBufferFills() {
        final SimControlServer server = new SimControlServer(64, 1024, 8);
        final SimControlClient stuck = server.connect();
        stuck.setReading(false);
        final Recorder recorder = new Recorder();
        server.poll(recorder, 100);
        assertTrue(server.send(1, new byte[40]));
        assertFalse(server.send(1, new byte[40]), "44 + 44 bytes exceed 64");
        assertFalse(server.send(1, new byte[1]), "the connection is gone");
        server.poll(recorder, 100);
        assertEquals("1 disconnected: client is not reading: 88 bytes of responses would exceed the buffer of 64 bytes",
            recorder.events.getLast());
        server.step();
        assertTrue(stuck.received().isEmpty());
        assertTrue(stuck.isClosedByServer());
    }

    @Test
    void aServerDisconnectDeliversQueuedResponsesThenEof() {
        final SimControlServer server = new SimControlServer();
        final SimControlClient client = server.connect();
        client.sendFrame(utf8("hello"));
        final Recorder recorder = new Recorder();
        server.poll(recorder, 100);
        assertTrue(server.send(1, utf8("welcome")));
        server.disconnect(1);
        server.disconnect(1); // once is enough: reported once
        assertFalse(server.send(1, utf8("too late")));
        server.poll(recorder, 100);
        server.step();
        assertEquals(List.of("1 connected", "1 hello", "1 disconnected: closed by the server"), recorder.events);
        assertEquals("welcome", new String(client.pollReceived(), StandardCharsets.UTF_8));
        assertTrue(client.isClosedByServer());
    }

    @Test
    void aFrameSplitAcrossWritesArrivesWholeAndEofMidFrameIsNamed() {
        final SimControlServer server = new SimControlServer();
        final SimControlClient client = server.connect();
        final byte[] framed = Frames.frame(utf8("split"), Frames.CONTROL_BYTES_MAX);
        client.sendRaw(java.util.Arrays.copyOfRange(framed, 0, 3));
        final Recorder recorder = new Recorder();
        server.poll(recorder, 100);
        client.sendRaw(java.util.Arrays.copyOfRange(framed, 3, framed.length));
        client.sendRaw(new byte[] {0, 0});
        client.close();
        server.poll(recorder, 100);
        assertEquals(List.of("1 connected", "1 split", "1 disconnected: client closed mid-frame"), recorder.events);
    }

    @Test
    void theEventLimitIsHonouredAndNothingIsLost() {
        final SimControlServer server = new SimControlServer();
        final SimControlClient client = server.connect();
        for (int i = 0; i < 5; i++) {
            client.sendFrame(utf8("r" + i));
        }
        final Recorder recorder = new Recorder();
        assertEquals(2, server.poll(recorder, 2));
        assertEquals(2, server.poll(recorder, 2));
        assertEquals(2, server.poll(recorder, 2));
        assertEquals(0, server.poll(recorder, 2));
        assertEquals(List.of("1 connected", "1 r0", "1 r1", "1 r2", "1 r3", "1 r4"), recorder.events);
    }
}
