package io.mcrelay.netns;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.AfterAll;

import io.mcrelay.linux.packet.PacketInputSockets;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.InputSocketsContract;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The {@link InputSocketsContract} on the real kernel: {@link PacketInputSockets} with three workers in a relay
 * namespace whose input links {@code in0} and {@code in1} are veths from a source namespace ({@code in0p},
 * {@code in1p}), which sends UDP multicast out of them. A member is read as a worker reads it: the receive ring behind
 * the descriptor {@code member} passes, adopted ({@link PacketRxRing#adopt}) and closed after each read, which leaves
 * the supervisor's socket and its ring as they were. IPv6 is off in both namespaces, so that nothing but the test's
 * datagrams appears on the links.
 */
class PacketInputSocketsContractNetnsIT extends InputSocketsContract {
    private static final String PREFIX = "mcrisc";
    private static final int WORKERS = 3;
    private static final PacketInputSockets.Config CONFIG = PacketInputSockets.Config.defaults(WORKERS);
    /** Between two reads of the members: well over the rings' block retire timeout. */
    private static final long SETTLE_MS = 20;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected Harness createHarness() {
        Netns.requireRoot();
        return new VethHarness();
    }

    private static final class VethHarness implements Harness {
        private final Netns relay;
        private final Netns source;
        private final PacketInputSockets sockets;
        private final InputSockets inRelay;

        VethHarness() {
            relay = Netns.create(PREFIX);
            Netns created = null;
            try {
                created = Netns.create(PREFIX);
                for (final Netns netns : List.of(relay, created)) {
                    netns.execOrThrow("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
                    netns.execOrThrow("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
                }
                source = created;
                link(IN0);
                link(IN1);
                sockets = relay.call(() -> new PacketInputSockets(CONFIG));
            } catch (final Exception e) {
                if (created != null) {
                    created.close();
                }
                relay.close();
                throw new IllegalStateException("cannot build the veth harness", e);
            }
            inRelay = new InNamespace(sockets, relay);
        }

        /** A veth from the source's {@code name}p to the relay's {@code name}, both up, with IPv4 addresses. */
        private void link(final String name) {
            Netns.vethPair(relay, name, source, name + "p");
            final String subnet = IN0.equals(name) ? "10.78.0." : "10.78.1.";
            Netns.addAddress(source, name + "p", subnet + "1/24");
            Netns.addAddress(relay, name, subnet + "2/24");
        }

        @Override
        public InputSockets sockets() {
            return inRelay;
        }

        @Override
        public int workers() {
            return WORKERS;
        }

        @Override
        public void send(final String link, final List<Datagram> datagrams) {
            final List<PacketTraffic.Datagram> out = new ArrayList<>(datagrams.size());
            for (final Datagram datagram : datagrams) {
                final int g = datagram.group();
                out.add(new PacketTraffic.Datagram((g >>> 24) + "." + (g >>> 16 & 0xFF) + "." + (g >>> 8 & 0xFF) + "."
                    + (g & 0xFF), datagram.port(), datagram.text()));
            }
            try {
                PacketTraffic.sendUdp(source, link + "p", out);
            } catch (final Exception e) {
                throw new IllegalStateException("cannot send on " + link, e);
            }
        }

        @Override
        public List<String> read(final PassedDescriptor member) {
            final List<PacketTraffic.Frame> frames = new ArrayList<>();
            final int fd = ((OwnedFd) member).duplicate().take();
            final PacketRxRing ring;
            try {
                ring = PacketRxRing.adopt(fd, CONFIG.blockBytes(), CONFIG.blocks());
            } catch (final RuntimeException e) {
                new OwnedFd(fd).close();
                throw e;
            }
            try (ring) {
                PacketTraffic.drain(ring, frames);
            }
            final List<String> payloads = new ArrayList<>();
            for (final PacketTraffic.Frame frame : frames) {
                if (frame.isUdp() && frame.port() >= 0) {
                    payloads.add(frame.payload());
                }
            }
            return payloads;
        }

        @Override
        public void settle() {
            try {
                Thread.sleep(SETTLE_MS); // a settle delay between polls, not a wait: the caller polls to a bound
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while settling", e);
            }
        }

        @Override
        public void recreate(final String link) {
            relay.execOrThrow("ip", "link", "del", link);
            link(link);
        }

        @Override
        public void close() {
            try {
                sockets.close();
            } finally {
                try {
                    source.close();
                } finally {
                    relay.close();
                }
            }
        }
    }

    /** The sockets under test, opened in the relay's namespace as the supervisor running there would open them. */
    private record InNamespace(PacketInputSockets sockets, Netns relay) implements InputSockets {
        private void inRelay(final Callable<Void> task) {
            try {
                relay.call(task);
            } catch (final RuntimeException e) {
                throw e;
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void setFilter(final String interfaceName, final SortedSet<Destination> destinations) {
            inRelay(() -> {
                sockets.setFilter(interfaceName, destinations);
                return null;
            });
        }

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            inRelay(() -> {
                sockets.setWanted(interfaceNames);
                return null;
            });
        }

        @Override
        public void reopen(final String interfaceName) {
            inRelay(() -> {
                sockets.reopen(interfaceName);
                return null;
            });
        }

        @Override
        public long generation(final String interfaceName) {
            return sockets.generation(interfaceName);
        }

        @Override
        public PassedDescriptor member(final String interfaceName, final int workerIndex) {
            return sockets.member(interfaceName, workerIndex);
        }
    }
}
