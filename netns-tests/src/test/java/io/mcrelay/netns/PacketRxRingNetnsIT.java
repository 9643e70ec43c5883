package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.LinuxException;
import io.mcrelay.linux.NetworkNamespaces;
import io.mcrelay.linux.PacketRxRing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
        if (Netns.unavailableReason().isPresent()) {
            return;
        }
        final String runPrefix = Netns.runPrefix(PREFIX);
        assertEquals(List.of(), Netns.list().stream().filter(name -> name.startsWith(runPrefix)).toList());
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
            try (PacketRxRing ring = NetworkNamespaces.callIn(NetworkNamespaces.named(receiver.name()),
                () -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                NetworkNamespaces.callIn(NetworkNamespaces.named(sender.name()), () -> {
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
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 17) & 0xFF) + "." + (frame.get(ValueLayout.JAVA_BYTE, ip + 18) & 0xFF)
            + "." + (frame.get(ValueLayout.JAVA_BYTE, ip + 19) & 0xFF);
        final long udp = ip + headerLength;
        final int port = frame.get(BIG_SHORT, udp + 2) & 0xFFFF;
        final int udpLength = frame.get(BIG_SHORT, udp + 4) & 0xFFFF;
        final byte[] payload = frame.asSlice(udp + 8, udpLength - 8).toArray(ValueLayout.JAVA_BYTE);
        into.add(new Datagram(destination, port, new String(payload, StandardCharsets.US_ASCII)));
    }
}
