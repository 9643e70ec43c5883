package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.LinuxException;
import io.mcrelay.linux.PacketRxRing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An AF_PACKET socket with a TPACKET_V3 ring, opened in one namespace, receives a UDP multicast datagram sent from
 * a peer namespace over a veth pair.
 */
class PacketRxRingNetnsIT {
    private static final String PREFIX = "mcrpk";
    private static final ValueLayout.OfShort BIG_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        java.nio.ByteOrder.BIG_ENDIAN);

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** A received IPv4/UDP frame, decoded. */
    private record Datagram(String destination, int port, String payload) {
    }

    @Test
    void aMulticastDatagramFromThePeerNamespaceArrivesInTheRing() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            Netns.vethPair(sender, "va", receiver, "vb");
            Netns.addAddress(sender, "va", "10.99.0.1/24");
            Netns.addAddress(receiver, "vb", "10.99.0.2/24");
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                sender.call(() -> {
                    try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                        channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("va"));
                        channel.send(ByteBuffer.wrap("frame one".getBytes(StandardCharsets.US_ASCII)),
                            new InetSocketAddress("239.1.2.3", 5000));
                    }
                    return null;
                });
                final List<Datagram> received = new ArrayList<>();
                final long start = System.nanoTime();
                while (received.stream().noneMatch(d -> d.port() == 5000)
                    && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
                    ring.poll((frame, offset, length, wireLength) -> decode(frame, offset, length, received));
                    Thread.sleep(5);
                }
                assertTrue(received.contains(new Datagram("239.1.2.3", 5000, "frame one")), received.toString());
                assertTrue(ring.statistics().packets() >= 1, "PACKET_STATISTICS counted the frame");
            }
        }
    }

    @Test
    void theCoarseFilterKeepsOnlyIncomingIpv4Udp() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            Netns.vethPair(sender, "va", receiver, "vb");
            Netns.addAddress(sender, "va", "10.99.0.1/24");
            Netns.addAddress(receiver, "vb", "10.99.0.2/24");
            try (PacketRxRing filtered = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10));
                PacketRxRing everything = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                filtered.attachCoarseUdpFilter();
                filtered.poll((frame, offset, length, wire) -> { }); // what came before the filter
                tcpConnectAttempt(sender, "10.99.0.2"); // TCP SYN in, RST out: IPv4 but not UDP
                sendUdp(receiver, "vb", "out of vb", 5002); // UDP sent by this host: PACKET_OUTGOING
                sendUdp(sender, "va", "into vb", 5003); // UDP arriving: the only kind to keep
                final List<int[]> all = new ArrayList<>(); // {protocol, port}
                final List<int[]> kept = new ArrayList<>();
                final long start = System.nanoTime();
                while ((kept.stream().noneMatch(k -> k[1] == 5003) || all.stream().noneMatch(k -> k[1] == 5002))
                    && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
                    everything.poll((frame, offset, length, wire) -> classify(frame, offset, length, all));
                    filtered.poll((frame, offset, length, wire) -> classify(frame, offset, length, kept));
                    Thread.sleep(5);
                }
                assertTrue(all.stream().anyMatch(k -> k[0] == 6), "the unfiltered ring saw the TCP: " + describe(all));
                assertTrue(all.stream().anyMatch(k -> k[1] == 5002), "the unfiltered ring saw our own UDP send");
                assertTrue(kept.stream().anyMatch(k -> k[1] == 5003), "the filtered ring kept incoming UDP");
                assertTrue(kept.stream().allMatch(k -> k[0] == 17 && k[1] != 5002),
                    "the filtered ring kept only incoming IPv4/UDP: " + describe(kept));
            }
        }
    }

    private static void tcpConnectAttempt(final Netns netns, final String address) throws Exception {
        netns.call(() -> {
            try (SocketChannel channel = SocketChannel.open()) {
                channel.connect(new InetSocketAddress(address, 9)); // nothing listens: refused, which is all we need
            } catch (final java.net.ConnectException expected) {
                // the SYN went out and the RST came back
            }
            return null;
        });
    }

    private static void sendUdp(final Netns netns, final String ifName, final String text, final int port)
        throws Exception {
        netns.call(() -> {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName(ifName));
                channel.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)),
                    new InetSocketAddress("239.1.2.3", port));
            }
            return null;
        });
    }

    /** Adds {protocol, UDP port or -1} for an IPv4 frame, {-1, -1} for anything else. */
    private static void classify(final MemorySegment frame, final long offset, final int length,
        final List<int[]> into) {
        if (length < 34 || (frame.get(BIG_SHORT, offset + 12) & 0xFFFF) != 0x0800) {
            into.add(new int[] {-1, -1});
            return;
        }
        final int protocol = frame.get(ValueLayout.JAVA_BYTE, offset + 14 + 9) & 0xFF;
        final int ihl = (frame.get(ValueLayout.JAVA_BYTE, offset + 14) & 0xF) * 4;
        into.add(new int[] {protocol, protocol == 17 ? frame.get(BIG_SHORT, offset + 14 + ihl + 2) & 0xFFFF : -1});
    }

    private static String describe(final List<int[]> frames) {
        return frames.stream().map(f -> f[0] + "/" + f[1]).toList().toString();
    }

    @Test
    void theReceiveBufferIsSetForcedAndReadBack() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX)) {
            final List<PacketRxRing.ReceiveBuffer> results = netns.call(() -> {
                try (PacketRxRing ring = PacketRxRing.open("lo", 1 << 16, 1, 10)) {
                    final PacketRxRing.ReceiveBuffer small = ring.requestReceiveBuffer(65536, false);
                    final PacketRxRing.ReceiveBuffer huge = ring.requestReceiveBuffer(1 << 30, false);
                    final int beyondCap = huge.grantedBytes() / 2 + (1 << 20); // rmem_max + 1 MiB
                    return List.of(small, huge, ring.requestReceiveBuffer(beyondCap, false),
                        ring.requestReceiveBuffer(beyondCap, true));
                }
            });
            // The kernel keeps twice the request (sock_setsockopt: room for its bookkeeping).
            assertEquals(new PacketRxRing.ReceiveBuffer(65536, 2 * 65536, false, ""), results.get(0));
            final int rmemMax = results.get(1).grantedBytes() / 2;
            assertTrue(rmemMax < 1 << 30, "1 GiB is capped at net.core.rmem_max (" + rmemMax + " here)");
            final int beyondCap = rmemMax + (1 << 20);
            assertEquals(new PacketRxRing.ReceiveBuffer(beyondCap, 2 * rmemMax, false, ""), results.get(2),
                "SO_RCVBUF is capped at net.core.rmem_max");
            assertEquals(new PacketRxRing.ReceiveBuffer(beyondCap, 2 * beyondCap, true, ""), results.get(3),
                "SO_RCVBUFFORCE (root here) is not, and the granted size is read back");
        }
    }

    @Test
    void badRingsAndMissingInterfacesAreRefusedByName() {
        Netns.requireRoot();
        final IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
            () -> PacketRxRing.open("lo", 1000, 4, 10));
        assertEquals("block size must be a positive multiple of 4096, not 1000", size.getMessage());
        final LinuxException missing = assertThrows(LinuxException.class,
            () -> PacketRxRing.open("mcr-none0", 1 << 16, 4, 10));
        assertEquals("if_nametoindex(mcr-none0) failed: ENODEV (no such device)", missing.getMessage());
    }

    private static void decode(final MemorySegment frame, final long offset, final int length,
        final List<Datagram> into) {
        if (length < 14 + 20 + 8 || (frame.get(BIG_SHORT, offset + 12) & 0xFFFF) != 0x0800) {
            return; // not IPv4 (the kernel's IPv6 chatter on a new link)
        }
        final long ip = offset + 14;
        final int headerLength = (frame.get(ValueLayout.JAVA_BYTE, ip) & 0xF) * 4;
        if (frame.get(ValueLayout.JAVA_BYTE, ip + 9) != 17) {
            return;
        }
        final String destination = (frame.get(ValueLayout.JAVA_BYTE, ip + 16) & 0xFF) + "."
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 17) & 0xFF) + "."
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 18) & 0xFF)
            + "." + (frame.get(ValueLayout.JAVA_BYTE, ip + 19) & 0xFF);
        final long udp = ip + headerLength;
        final int port = frame.get(BIG_SHORT, udp + 2) & 0xFFFF;
        final int udpLength = frame.get(BIG_SHORT, udp + 4) & 0xFFFF;
        final byte[] payload = frame.asSlice(udp + 8, udpLength - 8).toArray(ValueLayout.JAVA_BYTE);
        into.add(new Datagram(destination, port, new String(payload, StandardCharsets.US_ASCII)));
    }
}
