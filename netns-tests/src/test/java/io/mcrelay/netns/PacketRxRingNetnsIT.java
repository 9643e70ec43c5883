package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.netns.PacketTraffic.Frame;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An AF_PACKET socket with a TPACKET_V3 ring, opened in one namespace, receives a UDP multicast datagram sent from
 * a peer namespace over a veth pair; the coarse filter keeps only incoming IPv4/UDP; the receive buffer is set and
 * read back.
 */
class PacketRxRingNetnsIT {
    private static final String PREFIX = "mcrpk";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void aMulticastDatagramFromThePeerNamespaceArrivesInTheRing() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5000, "frame one");
                final List<List<Frame>> received = PacketTraffic.lists(1);
                PacketTraffic.pollUntil(List.of(ring), received, "'frame one' on vb's ring",
                    () -> PacketTraffic.has(received.get(0), "frame one"));
                assertTrue(received.get(0).contains(new Frame(17, "239.1.2.3", 5000, "frame one")),
                    received.toString());
                assertTrue(ring.statistics().packets() >= 1, "PACKET_STATISTICS counted the frame");
            }
        }
    }

    @Test
    void theCoarseFilterKeepsOnlyIncomingIpv4Udp() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing filtered = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10));
                PacketRxRing everything = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                filtered.attachCoarseUdpFilter();
                PacketTraffic.discardQueued(filtered); // what came before the filter
                // The new link's IPv6 chatter may have filled the four blocks of the unread unfiltered ring by now
                // (the kernel then drops what the test sends): hand them back before sending.
                everything.poll((frame, offset, length, wire) -> { });
                PacketTraffic.tcpConnectAttempt(sender, "10.99.0.2"); // TCP SYN in, RST out: IPv4 but not UDP
                PacketTraffic.sendUdp(receiver, "vb", "239.1.2.3", 5002, "out of vb"); // ours: PACKET_OUTGOING
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5003, "into vb"); // arriving: the kind to keep
                final List<List<Frame>> seen = PacketTraffic.lists(2);
                PacketTraffic.pollUntil(List.of(everything, filtered), seen,
                    "'into vb' on the filtered ring and 'out of vb' on the unfiltered one",
                    () -> PacketTraffic.has(seen.get(1), "into vb") && PacketTraffic.has(seen.get(0), "out of vb"));
                final List<Frame> all = seen.get(0);
                final List<Frame> kept = seen.get(1);
                assertTrue(all.stream().anyMatch(f -> f.protocol() == 6), "the unfiltered ring saw the TCP: " + all);
                assertTrue(PacketTraffic.has(all, "out of vb"), "the unfiltered ring saw our own UDP send");
                assertTrue(PacketTraffic.has(kept, "into vb"), "the filtered ring kept incoming UDP");
                assertTrue(kept.stream().allMatch(f -> f.isUdp() && f.port() != 5002),
                    "the filtered ring kept only incoming IPv4/UDP: " + kept);
            }
        }
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
}
