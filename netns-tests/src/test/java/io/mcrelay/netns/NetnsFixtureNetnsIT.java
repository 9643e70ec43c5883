package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
