package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Egress sockets send out of their interface with the configured TTL, and bad settings are refused by name. (Group
 * memberships: {@code KernelGroupMembershipsContractNetnsIT} and {@code MembershipsNetnsIT}.)
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
    void badEgressSettingsAreRefusedByName() {
        Netns.requireRoot();
        assertEquals("TTL must be 0 (the defaults) to 255, not 300",
            assertThrows(IllegalArgumentException.class, () -> MulticastSockets.openEgress("lo", 300, 0)).getMessage());
        assertEquals("if_nametoindex(mcr-none0) failed: ENODEV (no such device)",
            assertThrows(LinuxException.class, () -> MulticastSockets.openEgress("mcr-none0", 1, 0)).getMessage());
    }
}
