package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

/**
 * The sink on real sockets, on loopback: packets a {@link DatagramChannel} sends with {@link TrafficPayload} — good
 * ones on two flows, a duplicate, a corrupt one, one of another run and one that is no traffic-kit packet — are
 * counted exactly, by unicast to 127.0.0.1 and by multicast on {@code lo}; a source-specific join gets its source's
 * packets only; and when the sink's own socket overflows
 * (a tiny receive buffer and a burst it does not read), its drops are reported as socket_drops and account, with
 * what it received, for every packet sent.
 */
class SinkSessionTest {
    static final long RUN = 0x5EED_0000_0000_0001L;
    private static final long IDLE_NS = TimeUnit.MILLISECONDS.toNanos(300);

    /** Two consecutive free UDP ports, as the kernel hands them out (then released for the sink). */
    static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramChannel first = DatagramChannel.open().bind(new InetSocketAddress(0))) {
                final int port = ((InetSocketAddress) first.getLocalAddress()).getPort();
                if (port >= 65_535) {
                    continue;
                }
                try (DatagramChannel second = DatagramChannel.open().bind(new InetSocketAddress(port + 1))) {
                    return port;
                } catch (final IOException inUse) {
                    // the next one may be free
                }
            }
        }
        throw new IllegalStateException("no two consecutive free UDP ports");
    }

    static byte[] payload(final long runId, final int flow, final long seq) {
        final byte[] bytes = new byte[200];
        TrafficPayload.write(bytes, 0, bytes.length, runId, flow, seq, System.nanoTime());
        return bytes;
    }

    private static void send(final DatagramChannel channel, final byte[] bytes, final InetSocketAddress to)
        throws IOException {
        assertEquals(bytes.length, channel.send(ByteBuffer.wrap(bytes), to));
    }

    /** Sends the mixed run of the class comment to ports port and port + 1 of {@code address}. */
    private static void sendMixedRun(final DatagramChannel channel, final InetAddress address, final int port)
        throws IOException {
        final InetSocketAddress flow0 = new InetSocketAddress(address, port);
        final InetSocketAddress flow1 = new InetSocketAddress(address, port + 1);
        send(channel, payload(RUN, 0, 0), flow0);
        send(channel, payload(RUN, 1, 0), flow1);
        send(channel, payload(RUN, 0, 1), flow0);
        send(channel, payload(RUN, 0, 1), flow0); // a duplicate
        send(channel, payload(RUN, 1, 1), flow1);
        final byte[] corrupt = payload(RUN, 0, 2);
        corrupt[100] ^= 0x10;
        send(channel, corrupt, flow0);
        send(channel, payload(RUN + 1, 1, 2), flow1); // another run: foreign
        send(channel, "hello".getBytes(), flow0); // no traffic-kit packet: foreign
        send(channel, payload(RUN, 0, 2), flow0);
    }

    private static void assertMixedRunCounted(final SinkSession.Summary summary) {
        assertTrue(summary.runLocked());
        assertEquals(RUN, summary.runId());
        assertEquals(5, summary.received(), summary::toString);
        assertEquals(0, summary.lost(), summary::toString);
        assertEquals(1, summary.duplicates(), summary::toString);
        assertEquals(0, summary.reordered(), summary::toString);
        assertEquals(1, summary.corrupt(), summary::toString);
        assertEquals(2, summary.foreign(), summary::toString);
        assertEquals(0, summary.socketDrops(), summary::toString);
        assertEquals(SinkSession.End.IDLE, summary.end());
        assertFalse(summary.clean(), "a duplicate and a corrupt packet are not clean");
    }

    @Test
    void aUnicastRunOnLoopbackIsCountedExactly() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 2, 1 << 20));
             DatagramChannel sender = DatagramChannel.open()) {
            sendMixedRun(sender, loopback, port);
            assertMixedRunCounted(session.run(new Sink(2, -1, null), IDLE_NS, () -> false, System::nanoTime));
        }
    }

    @Test
    void aMulticastRunJoinedOnLoopbackIsCountedExactly() throws IOException {
        final int port = freePortPair();
        final Inet4Address group = (Inet4Address) InetAddress.getByName("239.255.77.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", group, null, port, 2, 1 << 20));
             DatagramChannel sender = DatagramChannel.open()) {
            sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("lo"));
            sender.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            sendMixedRun(sender, group, port);
            assertMixedRunCounted(session.run(new Sink(2, -1, null), IDLE_NS, () -> false, System::nanoTime));
        }
    }

    @Test
    void aSourceSpecificJoinReceivesThatSourceOnly() throws IOException {
        final int port = freePortPair();
        final Inet4Address group = (Inet4Address) InetAddress.getByName("232.1.2.3");
        final Inet4Address source = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", group, source, port, 1, 0));
             DatagramChannel fromSource = DatagramChannel.open().bind(new InetSocketAddress(source, 0));
             DatagramChannel fromElsewhere = DatagramChannel.open()
                 .bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0))) {
            for (final DatagramChannel sender : new DatagramChannel[] {fromSource, fromElsewhere}) {
                sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("lo"));
            }
            final InetSocketAddress to = new InetSocketAddress(group, port);
            send(fromElsewhere, payload(RUN, 0, 0), to);
            send(fromSource, payload(RUN, 0, 0), to);
            send(fromElsewhere, payload(RUN, 0, 1), to);
            send(fromSource, payload(RUN, 0, 1), to);
            final SinkSession.Summary summary = session.run(new Sink(1, -1, null), IDLE_NS, () -> false,
                System::nanoTime);
            assertEquals(2, summary.received(), summary::toString);
            assertEquals(0, summary.duplicates(), "the other source's copies were not delivered: " + summary);
        }
    }

    @Test
    void theSinkStopsAsSoonAsTheExpectedPacketsArrived() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 1, 0));
             DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 10; seq++) {
                send(sender, payload(RUN, 0, seq), new InetSocketAddress(loopback, port));
            }
            // An idle timeout far beyond the test's patience: only the expected count can end this run in time.
            final SinkSession.Summary summary = session.run(new Sink(1, 10, null), TimeUnit.MINUTES.toNanos(10),
                () -> false, System::nanoTime);
            assertEquals(SinkSession.End.EXPECTED, summary.end());
            assertEquals(10, summary.received());
            assertTrue(summary.clean(), summary::toString);
        }
    }

    @Test
    void aStopRequestEndsTheRun() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 1, 0))) {
            final SinkSession.Summary summary = session.run(new Sink(1, -1, null), TimeUnit.MINUTES.toNanos(10),
                () -> true, System::nanoTime);
            assertEquals(SinkSession.End.STOPPED, summary.end());
            assertEquals(0, summary.received());
            assertFalse(summary.clean(), "nothing arrived");
        }
    }

    @Test
    void theLargestBurstIsTheMostDatagramsReadInARowFromOneSocket() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        final int queued = SinkSession.DRAIN_MAX * 2 + 7; // more than one turn takes: the streak goes on over turns
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 2, 1 << 20));
             DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < queued; seq++) {
                send(sender, payload(RUN, 0, seq), new InetSocketAddress(loopback, port));
            }
            for (long seq = 0; seq < 3; seq++) {
                send(sender, payload(RUN, 1, seq), new InetSocketAddress(loopback, port + 1));
            }
            final SinkSession.Summary summary = session.run(new Sink(2, queued + 3, null), IDLE_NS, () -> false,
                System::nanoTime);
            assertEquals(queued + 3, summary.received(), summary::toString);
            assertEquals(queued, summary.burstMax(), "every queued datagram of flow 0 was read in one streak");
            assertTrue(summary.clean(), summary::toString);
        }
    }

    /**
     * A warm-up run that overflows the sink's socket, then a counted run of twenty: the counted run's summary holds
     * none of the warm-up's drops, and its largest burst is its own. The counted run is sent once the sink has
     * drained the warm-up: from the stop check that follows a turn in which nothing arrived (a poll that timed out).
     */
    @Test
    void aWarmupsDropsAndBurstsAreLeftOutOfTheCountedRun() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        final InetSocketAddress to = new InetSocketAddress(loopback, port);
        final int warmupSent = 2_000;
        final int counted = 20;
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 1, 32 << 10));
             DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < warmupSent; seq++) {
                send(sender, payload(RUN + 1, 0, seq), to);
            }
            final Sink sink = new Sink(1, counted, null, true);
            final long[] warmupReceived = {-1};
            final BooleanSupplier sendCountedOnceDrained = () -> {
                if (sink.warmingUp() && sink.received() > 0 && sink.received() == warmupReceived[0]) {
                    try {
                        for (long seq = 0; seq < counted; seq++) {
                            send(sender, payload(RUN, 0, seq), to);
                        }
                    } catch (final IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                warmupReceived[0] = sink.warmingUp() ? sink.received() : warmupReceived[0];
                return false;
            };
            final SinkSession.Summary summary = session.run(sink, TimeUnit.SECONDS.toNanos(5),
                sendCountedOnceDrained, System::nanoTime);
            assertTrue(warmupReceived[0] > counted && warmupReceived[0] < warmupSent,
                "the warm-up overflowed the socket and filled more than one burst of the counted run: "
                    + warmupReceived[0] + " of " + warmupSent + " received");
            assertEquals(SinkSession.End.EXPECTED, summary.end());
            assertEquals(RUN, summary.runId());
            assertEquals(counted, summary.received(), summary::toString);
            assertEquals(0, summary.socketDrops(), "the warm-up's drops are not the counted run's: " + summary);
            assertEquals(counted, summary.burstMax(), summary::toString);
            assertFalse(summary.warmupOnly());
            assertTrue(summary.clean(), summary::toString);
        }
    }

    @Test
    void aSinkThatSawOnlyItsWarmupIsNotClean() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 1, 0));
             DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 5; seq++) {
                send(sender, payload(RUN, 0, seq), new InetSocketAddress(loopback, port));
            }
            final SinkSession.Summary summary = session.run(new Sink(1, 5, null, true), IDLE_NS, () -> false,
                System::nanoTime);
            assertEquals(SinkSession.End.IDLE, summary.end());
            assertTrue(summary.warmupOnly());
            assertFalse(summary.clean(), "five intact packets arrived, but all of the warm-up");
        }
    }

    @Test
    void packetsTheSinksOwnSocketDroppedAreReportedAsSocketDrops() throws IOException {
        final int port = freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        final int sent = 500;
        // The smallest receive buffer the kernel allows, and a burst the sink does not read until it is over.
        try (SinkSession session = SinkSession.open(new SinkSession.Config("lo", loopback, null, port, 1, 1));
             DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < sent; seq++) {
                send(sender, payload(RUN, 0, seq), new InetSocketAddress(loopback, port));
            }
            final SinkSession.Summary summary = session.run(new Sink(1, sent, null), IDLE_NS, () -> false,
                System::nanoTime);
            assertTrue(summary.socketDrops() > 0, summary::toString);
            assertEquals(sent, summary.received() + summary.socketDrops(), summary::toString);
            assertEquals(summary.socketDrops(), summary.lost(), "every drop is a packet that did not arrive");
            assertFalse(summary.clean());
        }
    }
}
