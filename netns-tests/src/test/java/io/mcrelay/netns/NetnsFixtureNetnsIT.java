package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.traffic.History;
import io.mcrelay.traffic.HistoryChecker;
import io.mcrelay.traffic.TrafficPayload;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Proves the {@link Netns} fixture that every real-kernel suite stands on: a namespace exists (as
 * {@code ip netns list} shows) exactly while its handle is open, including when the test body throws; names are
 * unique; commands run inside the namespace; and a veth pair between two namespaces carries traffic both ways.
 * After the class, no namespace of this run may remain. Without root every test is reported as skipped.
 */
class NetnsFixtureNetnsIT {
    private static final String PREFIX = "mcrfx";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void shouldCreateNamespaceVisibleInListAndDeleteItOnClose() {
        Netns.requireRoot();
        final Netns netns = Netns.create(PREFIX);
        try {
            assertTrue(netns.name().startsWith(Netns.runPrefix(PREFIX)), netns.name());
            assertTrue(Netns.list().contains(netns.name()), () -> netns.name() + " not in " + Netns.list());
        } finally {
            netns.close();
        }
        assertFalse(Netns.list().contains(netns.name()), () -> netns.name() + " still in " + Netns.list());
        netns.close(); // idempotent: the second close finds nothing to do and must not throw
    }

    @Test
    void shouldDeleteNamespaceWhenTestBodyThrows() {
        Netns.requireRoot();
        final String[] name = new String[1];
        final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            try (Netns netns = Netns.create(PREFIX)) {
                name[0] = netns.name();
                assertTrue(Netns.list().contains(name[0]), () -> name[0] + " not in " + Netns.list());
                throw new IllegalStateException("the test body failed");
            }
        });
        assertEquals("the test body failed", thrown.getMessage(), "close must not replace the body's exception");
        assertEquals(0, thrown.getSuppressed().length, "close must not throw");
        assertFalse(Netns.list().contains(name[0]), () -> name[0] + " still in " + Netns.list());
    }

    @Test
    void shouldCloseQuietlyWhenNamespaceIsAlreadyGone() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX)) {
            // Removed behind the fixture's back (by a test on purpose, or by hand): close must still succeed.
            final Process delete = new ProcessBuilder("ip", "netns", "delete", netns.name())
                .redirectErrorStream(true)
                .start();
            assertTrue(delete.waitFor(30, TimeUnit.SECONDS), "ip netns delete did not finish in 30 s");
            final String output = new String(delete.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, delete.exitValue(), output);
            assertFalse(Netns.list().contains(netns.name()));
        }
    }

    @Test
    void shouldGiveUniqueNamesAcrossCreates() {
        Netns.requireRoot();
        try (Netns first = Netns.create(PREFIX); Netns second = Netns.create(PREFIX)) {
            assertNotEquals(first.name(), second.name());
            final List<String> names = Netns.list();
            assertTrue(names.contains(first.name()) && names.contains(second.name()), names::toString);
        }
    }

    @Test
    void shouldRunCommandsInsideTheNamespace() {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX)) {
            // A fresh namespace has only loopback, which the fixture brings up.
            final String links = netns.execOrThrow("ip", "-o", "link", "show").stdout();
            assertEquals(1, links.strip().lines().count(), links);
            assertTrue(links.contains("lo:") && links.contains("UP"), links);

            final Netns.Result result = netns.exec("sh", "-c", "echo out; echo err >&2; exit 3");
            assertEquals(3, result.exitCode(), result::describe);
            assertEquals("out\n", result.stdout());
            assertEquals("err\n", result.stderr());

            final Netns.CommandFailedException failed = assertThrows(Netns.CommandFailedException.class,
                () -> netns.execOrThrow("sh", "-c", "echo the-stdout; echo the-stderr >&2; exit 4"));
            assertEquals(4, failed.result().exitCode());
            assertTrue(failed.getMessage().contains("the-stdout") && failed.getMessage().contains("the-stderr"),
                failed.getMessage());
        }
    }

    @Test
    void shouldCarryTrafficOverVethPairBetweenNamespaces() {
        Netns.requireRoot();
        try (Netns a = Netns.create(PREFIX); Netns b = Netns.create(PREFIX)) {
            Netns.vethPair(a, "mcr0", b, "mcr1");
            Netns.addAddress(a, "mcr0", "10.200.0.1/24");
            Netns.addAddress(b, "mcr1", "10.200.0.2/24");

            // Each end lives only in its own namespace.
            assertEquals(0, a.exec("ip", "link", "show", "mcr0").exitCode());
            assertNotEquals(0, a.exec("ip", "link", "show", "mcr1").exitCode());
            assertEquals(0, b.exec("ip", "link", "show", "mcr1").exitCode());

            final Reachability reachability = Reachability.in(a);
            assertTrue(reachability.reaches(a, "10.200.0.2"), "a cannot reach b over the veth pair");
            assertTrue(reachability.reaches(b, "10.200.0.1"), "b cannot reach a over the veth pair");
            // The control that keeps the probe honest: an address on the link that nobody holds is not reached.
            assertFalse(reachability.reaches(a, "10.200.0.3"), "reached an address nobody holds");
        }
    }

    @Test
    void aBridgeCarriesOneMulticastPacketToEveryReceiver() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns hub = Netns.create(PREFIX);
             Netns first = Netns.create(PREFIX); Netns second = Netns.create(PREFIX)) {
            Netns.vethPair(sender, "s0", hub, "h0");
            Netns.vethPair(hub, "h1", first, "r0");
            Netns.vethPair(hub, "h2", second, "r0");
            Netns.bridge(hub, "br0", "h0", "h1", "h2");
            Netns.addAddress(sender, "s0", "10.201.0.1/24");
            Netns.addAddress(first, "r0", "10.201.0.2/24");
            Netns.addAddress(second, "r0", "10.201.0.3/24");
            try (DatagramChannel one = first.call(() -> WorkerForwardingNetnsIT.joinedReceiver("r0", "239.201.0.1",
                     9201));
                 DatagramChannel two = second.call(() -> WorkerForwardingNetnsIT.joinedReceiver("r0", "239.201.0.1",
                     9201))) {
                final List<History.Sent> sent = sendNumbered(sender, "s0", "239.201.0.1", 9201, 200, 20);
                assertEquals(20, sent.size());
                for (final DatagramChannel receiver : List.of(one, two)) {
                    final HistoryChecker.Report report = receiveAndCheck(receiver, sent, 200);
                    assertTrue(report.clean(), report::describe);
                    assertEquals(20, report.received(), report::describe);
                }
            }
        }
    }

    @Test
    void aJumboVethCarriesANearlyNineThousandBytePacketWhole() throws Exception {
        Netns.requireRoot();
        try (Netns a = Netns.create(PREFIX); Netns b = Netns.create(PREFIX)) {
            Netns.vethPair(a, "j0", b, "j1");
            Netns.setMtu(a, "j0", 9000);
            Netns.setMtu(b, "j1", 9000);
            assertTrue(a.execOrThrow("ip", "link", "show", "j0").stdout().contains("mtu 9000"));
            Netns.addAddress(a, "j0", "10.202.0.1/24");
            Netns.addAddress(b, "j1", "10.202.0.2/24");
            try (DatagramChannel receiver = b.call(() -> WorkerForwardingNetnsIT.joinedReceiver("j1", "239.202.0.1",
                9202))) {
                // 8,972 bytes of payload + 8 UDP + 20 IPv4 = 9,000: one frame at this MTU, never one at 1,500.
                final List<History.Sent> sent = sendNumbered(a, "j0", "239.202.0.1", 9202, 8_972, 5);
                final HistoryChecker.Report report = receiveAndCheck(receiver, sent, 8_972);
                assertTrue(report.clean(), report::describe);
                assertEquals(5, report.received(), report::describe);
            }
        }
    }

    private static final long RUN = 0x4E45_544E_5354_4B49L;

    /** Sends {@code count} numbered traffic-kit packets of {@code bytes} from {@code netns} out of {@code ifName}. */
    private static List<History.Sent> sendNumbered(final Netns netns, final String ifName, final String group,
        final int port, final int bytes, final int count) throws Exception {
        return netns.call(() -> {
            final List<History.Sent> sent = new ArrayList<>();
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName(ifName));
                final byte[] payload = new byte[bytes];
                for (int seq = 0; seq < count; seq++) {
                    final long sentNs = System.nanoTime();
                    TrafficPayload.write(payload, 0, bytes, RUN, 0, seq, sentNs);
                    channel.send(ByteBuffer.wrap(payload), new InetSocketAddress(group, port));
                    sent.add(new History.Sent(0, seq, sentNs));
                }
            }
            return sent;
        });
    }

    /**
     * Receives until {@code sent.size()} intact packets came (a {@link Waits.Pace#DELIVERY} wait; no more is read
     * once they did), and checks the run.
     */
    private static HistoryChecker.Report receiveAndCheck(final DatagramChannel receiver, final List<History.Sent> sent,
        final int bytes) {
        final History history = new History();
        sent.forEach(packet -> history.sent(packet.flow(), packet.seq(), packet.sentNs()));
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        final int[] intact = {0};
        Waits.until(Waits.Pace.DELIVERY, sent.size() + " intact packets at the receiver", () -> {
            while (intact[0] < sent.size()) {
                buffer.clear();
                if (receiver.receive(buffer) == null) {
                    break;
                }
                final int status = TrafficPayload.parse(buffer.array(), 0, buffer.position(), RUN, parsed);
                assertEquals(bytes, buffer.position(), "the datagram arrived whole");
                history.received(0, parsed.flow(), parsed.seq(), System.nanoTime(), status);
                intact[0] += status == TrafficPayload.OK ? 1 : 0;
            }
            return intact[0];
        }, count -> count >= sent.size(), () -> HistoryChecker.check(history).describe());
        return HistoryChecker.check(history);
    }

    /**
     * A round trip from a namespace to an address, with {@code ping} where it is installed. Without it (these
     * machines have none), a UDP datagram goes to a port nobody listens on: the peer's kernel answers with ICMP
     * port unreachable, which makes the next send on the connected socket fail with "Connection refused". That
     * needs the datagram to arrive and the answer to come back, so it is a round trip as much as a ping is.
     */
    private enum Reachability {
        PING, UDP_PORT_UNREACHABLE;

        /** Seconds to wait for an answer: a healthy veth answers in microseconds. */
        private static final int WAIT_SECONDS = 2;
        /** The discard port: nothing listens on it in a namespace a test just made. */
        private static final int CLOSED_PORT = 9;

        static Reachability in(final Netns netns) {
            if (netns.exec("sh", "-c", "command -v ping").exitCode() == 0) {
                return PING;
            }
            if (netns.exec("sh", "-c", "command -v bash").exitCode() == 0) {
                System.err.println("[netns] ping is not installed: proving reachability by a UDP round trip");
                return UDP_PORT_UNREACHABLE;
            }
            final String reason = "neither ping nor bash is installed: cannot probe reachability";
            System.err.println("[netns] skipping: " + reason);
            Assumptions.assumeTrue(false, reason);
            throw new AssertionError("unreachable: assumeTrue(false) aborts");
        }

        boolean reaches(final Netns from, final String address) {
            final Netns.Result result = switch (this) {
                case PING -> from.exec("ping", "-c", "1", "-W", String.valueOf(WAIT_SECONDS), address);
                // /dev/udp/HOST/PORT is bash's connected UDP socket. Sends every 100 ms until one is refused
                // (exit 0) or the wait is over (exit 1).
                case UDP_PORT_UNREACHABLE -> from.exec("bash", "-c",
                    "exec 3>/dev/udp/" + address + "/" + CLOSED_PORT + "; "
                        + "for i in $(seq " + WAIT_SECONDS * 10 + "); do printf x >&3 || exit 0; sleep 0.1; done; "
                        + "exit 1");
            };
            final boolean reached = result.exitCode() == 0
                && (this == PING || result.stderr().contains("Connection refused"));
            System.err.println("[netns] " + from.name() + " -> " + address + ": "
                + (reached ? "reached" : "not reached") + " (" + name() + ")");
            return reached;
        }
    }
}
