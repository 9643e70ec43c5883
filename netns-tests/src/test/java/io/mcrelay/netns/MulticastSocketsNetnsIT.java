package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Egress sockets send out of their interface with the configured TTL; IGMP memberships for many groups are spread
 * over sockets within {@code igmp_max_memberships} and the kernel holds every one of them until closed.
 */
class MulticastSocketsNetnsIT {
    private static final String PREFIX = "mcrmc";
    private static final ValueLayout.OfShort BIG_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.BIG_ENDIAN);

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void fiftyGroupsAreJoinedOnOneInterfaceAcrossSocketsAndLeftOnClose() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX); Netns peer = Netns.create(PREFIX)) {
            Netns.vethPair(netns, "vb", peer, "va");
            final List<Inet4Address> groups = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                groups.add((Inet4Address) InetAddress.getByName("239.10.0." + i));
            }
            final int limit = netns.call(MulticastSockets::igmpMaxMemberships);
            assertEquals(20, limit, "this machine's net.ipv4.igmp_max_memberships (DESIGN: environment facts)");
            try (MulticastSockets.Memberships memberships =
                netns.call(() -> MulticastSockets.join("vb", groups, limit))) {
                assertEquals(3, memberships.sockets(), "50 groups at 20 per socket");
                final List<String> joined = joinedGroups(netns);
                for (final Inet4Address group : groups) {
                    assertTrue(joined.contains(group.getHostAddress()), group + " not joined: " + joined);
                }
            }
            final List<String> after = joinedGroups(netns);
            assertFalse(after.stream().anyMatch(g -> g.startsWith("239.10.0.")), "still joined after close: " + after);
            assertTrue(after.contains("224.0.0.1"), "the all-hosts group stays: " + after);
        }
    }

    /** The IPv4 groups {@code ip maddr show dev vb} lists ({@code inet  239.10.0.1} lines). */
    private static List<String> joinedGroups(final Netns netns) {
        final List<String> groups = new ArrayList<>();
        for (final String line : netns.execOrThrow("ip", "maddr", "show", "dev", "vb").stdout().split("\n")) {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[0].equals("inet")) {
                groups.add(fields[1]);
            }
        }
        return groups;
    }

    @Test
    void anEgressSocketSendsOutOfItsInterfaceWithItsTtl() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            Netns.vethPair(sender, "va", receiver, "vb");
            Netns.addAddress(sender, "va", "10.98.0.1/24");
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                final int egress = sender.call(() -> MulticastSockets.openEgress("va", 7, 1 << 20));
                try (IoUring uring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
                    MulticastSockets.connect(egress, (Inet4Address) InetAddress.getByName("239.1.2.3"), 5001);
                    final MemorySegment payload = arena.allocateFrom("ttl seven");
                    assertTrue(uring.prepareSend(egress, payload, 9, 0, 1));
                    uring.submit(1);
                    final int[] result = {Integer.MIN_VALUE};
                    while (uring.pollCompletions((u, r, f) -> result[0] = r, 1) == 0) {
                        uring.submit(1);
                    }
                    assertEquals(9, result[0], "SEND on the egress socket");
                } finally {
                    io.mcrelay.linux.sys.UnixSockets.close(egress);
                }
                final List<int[]> seen = new ArrayList<>(); // {ttl, port}
                Waits.until(Waits.Pace.DELIVERY, "the datagram to port 5001 on vb", () -> {
                    ring.poll((frame, offset, length, wire) -> {
                        if (length >= 42 && (frame.get(BIG_SHORT, offset + 12) & 0xFFFF) == 0x0800
                            && frame.get(ValueLayout.JAVA_BYTE, offset + 14 + 9) == 17) {
                            final int ihl = (frame.get(ValueLayout.JAVA_BYTE, offset + 14) & 0xF) * 4;
                            seen.add(new int[] {frame.get(ValueLayout.JAVA_BYTE, offset + 14 + 8) & 0xFF,
                                frame.get(BIG_SHORT, offset + 14 + ihl + 2) & 0xFFFF});
                        }
                    });
                    return seen.stream().anyMatch(s -> s[1] == 5001);
                }, () -> "UDP ports seen: " + seen.stream().map(s -> s[1]).toList());
                final int[] datagram = seen.stream().filter(s -> s[1] == 5001).findFirst()
                    .orElseThrow(() -> new AssertionError("the datagram did not arrive on vb"));
                assertEquals(7, datagram[0], "IP TTL of the sent datagram");
            }
        }
    }

    @Test
    void aSourceSpecificMembershipNamesItsSource() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX); Netns peer = Netns.create(PREFIX)) {
            Netns.vethPair(netns, "vb", peer, "va");
            final Inet4Address group = (Inet4Address) InetAddress.getByName("232.1.1.1");
            final Inet4Address source = (Inet4Address) InetAddress.getByName("10.97.0.1");
            try (MulticastSockets.Memberships memberships = netns.call(() -> MulticastSockets.joinAll("vb",
                    List.of(new MulticastSockets.Membership(group, source)), 20))) {
                assertEquals(1, memberships.sockets());
                assertTrue(joinedGroups(netns).contains("232.1.1.1"), joinedGroups(netns).toString());
                // /proc/net/mcfilter: "Idx Device MCA SRC INC EXC", addresses as hex of the network-order value.
                final String filters = netns.execOrThrow("cat", "/proc/net/mcfilter").stdout();
                assertTrue(filters.contains("0xe8010101 0x0a610001") || filters.contains("0xE8010101 0x0A610001"),
                    "no (10.97.0.1, 232.1.1.1) source filter on vb:\n" + filters);
            }
            assertThrows(IllegalArgumentException.class, () -> new MulticastSockets.Membership(group, group));
        }
    }

    @Test
    void badEgressSettingsAreRefusedByName() {
        Netns.requireRoot();
        assertEquals("multicast TTL must be 0 to 255, not 300",
            assertThrows(IllegalArgumentException.class, () -> MulticastSockets.openEgress("lo", 300, 0)).getMessage());
        assertEquals("if_nametoindex(mcr-none0) failed: ENODEV (no such device)",
            assertThrows(LinuxException.class, () -> MulticastSockets.openEgress("mcr-none0", 1, 0)).getMessage());
    }
}
