package io.mcrelay.linux.packet;

import static io.mcrelay.linux.packet.ClassicBpfInterpreter.PACKET_MULTICAST;
import static io.mcrelay.linux.packet.ClassicBpfInterpreter.PACKET_OUTGOING;
import static io.mcrelay.linux.packet.TestFrames.group;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The receive programs run through {@link ClassicBpfInterpreter} over crafted frames: the exact filter keeps
 * exactly the listed (address, port) pairs (IPv4 options and fragments included), the coarse filter all incoming
 * IPv4/UDP, and the fanout program returns {@link PacketPrograms#flowHash} wherever the kernel's data pointer is.
 */
class PacketProgramsTest {
    private static final int SOCKET_FILTER_DATA = 0; // SOCK_RAW filters see the Ethernet header at 0
    private static final int FANOUT_INGRESS_DATA = 14; // packet_rcv_fanout sees incoming frames from the IP header

    private static long filter(final ClassicBpf program, final byte[] frame) {
        return ClassicBpfInterpreter.run(program, frame, SOCKET_FILTER_DATA, PACKET_MULTICAST);
    }

    @Test
    void theCoarseFilterKeepsIncomingIpv4UdpOnly() {
        final ClassicBpf coarse = PacketPrograms.coarseUdpFilter();
        assertEquals(PacketPrograms.KEEP, filter(coarse, TestFrames.udp(group(1, 2, 3), 5000)));
        assertEquals(0, ClassicBpfInterpreter.run(coarse, TestFrames.udp(group(1, 2, 3), 5000), 0, PACKET_OUTGOING));
        assertEquals(0, filter(coarse, TestFrames.ipv4(group(1, 2, 3), 6, 5, 0, false, 0, 20)), "TCP");
        assertEquals(0, filter(coarse, TestFrames.other(TestFrames.ETH_P_IPV6, 60)), "IPv6");
        assertEquals(0, filter(coarse, TestFrames.other(TestFrames.ETH_P_ARP, 28)), "ARP");
    }

    @Test
    void theExactFilterKeepsOnlyListedAddressAndPortPairs() {
        final ClassicBpf exact = PacketPrograms.exactUdpFilter(List.of(
            UdpDestination.of("239.1.2.3", 5000), UdpDestination.of("239.1.2.3", 5002),
            UdpDestination.of("239.9.9.9", 6000)));
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.udp(group(1, 2, 3), 5000)));
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.udp(group(1, 2, 3), 5002)));
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.udp(group(9, 9, 9), 6000)));
        assertEquals(0, filter(exact, TestFrames.udp(group(1, 2, 3), 5001)), "listed group, other port");
        assertEquals(0, filter(exact, TestFrames.udp(group(1, 2, 3), 6000)), "port of another group");
        assertEquals(0, filter(exact, TestFrames.udp(group(9, 9, 9), 5000)), "group listed with another port");
        assertEquals(0, filter(exact, TestFrames.udp(group(1, 2, 4), 5000)), "other group, listed port");
        assertEquals(0, filter(exact, TestFrames.ipv4(group(1, 2, 3), 6, 5, 0, false, 0, 40)), "TCP to the group");
        assertEquals(0, filter(exact, TestFrames.other(TestFrames.ETH_P_IPV6, 60)));
        assertEquals(0, ClassicBpfInterpreter.run(exact, TestFrames.udp(group(1, 2, 3), 5000), 0, PACKET_OUTGOING),
            "our own send of a listed flow");
    }

    @Test
    void theExactFilterFindsTheUdpHeaderAfterIpOptions() {
        final ClassicBpf exact = PacketPrograms.exactUdpFilter(List.of(UdpDestination.of("239.1.2.3", 5000)));
        // 6 words of header: the port sits 4 bytes later than a fixed-offset filter would look.
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 6, 0, false, 5000, 8)));
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 15, 0, false, 5000, 8)));
        // With options, what sits at the fixed offset 36 is the option bytes (0x0101), not the port.
        final ClassicBpf atFixedOffset = PacketPrograms.exactUdpFilter(List.of(UdpDestination.of("239.1.2.3",
            0x0101)));
        assertEquals(0, filter(atFixedOffset, TestFrames.ipv4(group(1, 2, 3), 17, 6, 0, false, 5000, 8)));
        assertEquals(0, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 4, 0, false, 5000, 8)),
            "a header length under 20 bytes is malformed");
    }

    @Test
    void nonFirstFragmentsAreKeptForListedAddressesOnly() {
        final ClassicBpf exact = PacketPrograms.exactUdpFilter(List.of(UdpDestination.of("239.1.2.3", 5000)));
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 5, 185, false, 0, 100)),
            "the last fragment of a datagram to a listed group");
        assertEquals(0, filter(exact, TestFrames.ipv4(group(1, 2, 4), 17, 5, 185, true, 0, 100)),
            "a fragment to another group");
        assertEquals(PacketPrograms.KEEP, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 5, 0, true, 5000, 1472)),
            "a first fragment has its UDP header and matches on the port");
        assertEquals(0, filter(exact, TestFrames.ipv4(group(1, 2, 3), 17, 5, 0, true, 5001, 1472)));
    }

    @Test
    void aTruncatedFrameIsDropped() {
        final ClassicBpf exact = PacketPrograms.exactUdpFilter(List.of(UdpDestination.of("239.1.2.3", 5000)));
        final byte[] whole = TestFrames.udp(group(1, 2, 3), 5000);
        assertEquals(PacketPrograms.KEEP, filter(exact, whole));
        assertEquals(0, filter(exact, java.util.Arrays.copyOf(whole, 14 + 20 + 3)), "cut inside the port");
    }

    @Test
    void anEmptySetKeepsNothing() {
        final ClassicBpf none = PacketPrograms.exactUdpFilter(List.of());
        assertEquals(0, filter(none, TestFrames.udp(group(1, 2, 3), 5000)));
        assertEquals(0, filter(none, TestFrames.ipv4(group(1, 2, 3), 17, 5, 185, false, 0, 100)));
    }

    @Test
    void upToTheLimitTheFilterIsExactAboveItCoarse() {
        final List<UdpDestination> limit = new ArrayList<>();
        for (int i = 0; i < PacketPrograms.EXACT_ENTRIES_MAX; i++) {
            limit.add(new UdpDestination(group(1, i / 256, i % 256), 5000 + i % 3));
        }
        final PacketPrograms.ReceiveFilter exact = PacketPrograms.udpFilter(limit);
        assertTrue(exact.exact());
        assertEquals(PacketPrograms.EXACT_ENTRIES_MAX, exact.entries());
        assertTrue(exact.program().length() <= ClassicBpf.INSTRUCTIONS_MAX, "fits BPF_MAXINSNS");
        assertEquals(PacketPrograms.KEEP, filter(exact.program(), TestFrames.udp(group(1, 0, 255), 5000)));
        assertEquals(0, filter(exact.program(), TestFrames.udp(group(1, 0, 255), 5001)));

        final List<UdpDestination> over = new ArrayList<>(limit);
        over.add(new UdpDestination(group(2, 0, 0), 7000));
        over.add(new UdpDestination(group(2, 0, 0), 7000)); // a duplicate counts once
        final PacketPrograms.ReceiveFilter coarse = PacketPrograms.udpFilter(over);
        assertFalse(coarse.exact());
        assertEquals(PacketPrograms.EXACT_ENTRIES_MAX + 1, coarse.entries());
        assertEquals(PacketPrograms.coarseUdpFilter(), coarse.program());
        final IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
            () -> PacketPrograms.exactUdpFilter(over));
        assertEquals("the exact filter matches at most 256 (address, port) entries, not 257: use udpFilter() to fall"
            + " back", tooMany.getMessage());
    }

    @Test
    void theWorstCaseShapesStayUnderBpfMaxInsns() {
        final List<UdpDestination> distinctAddresses = new ArrayList<>();
        final List<UdpDestination> onePortEach = new ArrayList<>();
        for (int i = 0; i < PacketPrograms.EXACT_ENTRIES_MAX; i++) {
            distinctAddresses.add(new UdpDestination(group(3, i / 256, i % 256), 5000));
            onePortEach.add(new UdpDestination(group(4, 0, 1), 1000 + i));
        }
        final ClassicBpf spread = PacketPrograms.exactUdpFilter(distinctAddresses);
        final ClassicBpf deep = PacketPrograms.exactUdpFilter(onePortEach);
        assertTrue(spread.length() <= ClassicBpf.INSTRUCTIONS_MAX, spread.length() + " instructions");
        assertTrue(deep.length() <= ClassicBpf.INSTRUCTIONS_MAX, deep.length() + " instructions");
        // 256 ports on one address span four blocks: the last port is found after three misses.
        assertEquals(PacketPrograms.KEEP, filter(deep, TestFrames.udp(group(4, 0, 1), 1255)));
        assertEquals(PacketPrograms.KEEP, filter(deep, TestFrames.udp(group(4, 0, 1), 1000)));
        assertEquals(0, filter(deep, TestFrames.udp(group(4, 0, 1), 1256)));
        assertEquals(PacketPrograms.KEEP, filter(spread, TestFrames.udp(group(3, 0, 255), 5000)));
    }

    @Test
    void theFanoutProgramReturnsTheJavaFlowHash() {
        final ClassicBpf fanout = PacketPrograms.flowHashFanout();
        final int address = group(1, 2, 3);
        final long expected = Integer.toUnsignedLong(PacketPrograms.flowHash(address, 5000));
        final byte[] frame = TestFrames.udp(address, 5000);
        assertEquals(expected, ClassicBpfInterpreter.run(fanout, frame, FANOUT_INGRESS_DATA, PACKET_MULTICAST));
        assertEquals(expected, ClassicBpfInterpreter.run(fanout, frame, 0, PACKET_OUTGOING),
            "the same wherever skb->data points");
        assertEquals(expected, ClassicBpfInterpreter.run(fanout,
            TestFrames.ipv4(address, 17, 7, 0, false, 5000, 8), FANOUT_INGRESS_DATA, PACKET_MULTICAST),
            "IP options do not move the port");
        assertEquals(Integer.toUnsignedLong(PacketPrograms.flowHash(address, 0)), ClassicBpfInterpreter.run(fanout,
            TestFrames.ipv4(address, 17, 5, 185, false, 0, 100), FANOUT_INGRESS_DATA, PACKET_MULTICAST),
            "a non-first fragment hashes with port 0");
        assertEquals(0, ClassicBpfInterpreter.run(fanout, TestFrames.other(TestFrames.ETH_P_ARP, 28),
            FANOUT_INGRESS_DATA, PACKET_MULTICAST), "not IPv4: the first member");
        assertEquals(0, ClassicBpfInterpreter.run(fanout, TestFrames.ipv4(address, 6, 5, 0, false, 0, 20),
            FANOUT_INGRESS_DATA, PACKET_MULTICAST), "not UDP: the first member");
    }

    @Test
    void theFlowHashIsTheDocumentedFunction() {
        // The worked example in docs/reference/kernel.md: 239.1.2.3:5000.
        assertEquals(0x69c1553e, PacketPrograms.flowHash(0xEF010203, 5000));
        assertEquals(2, PacketPrograms.fanoutMember(0x69c1553e, 4));
        assertEquals(3, PacketPrograms.fanoutMember(-1, 4), "the remainder is unsigned: 0xffffffff % 4 = 3");
        assertThrows(IllegalArgumentException.class, () -> PacketPrograms.fanoutMember(1, 0));
    }

    @Test
    void theFlowHashSpreadsGroupsAndPortsEvenly() {
        // 4096 flows (64 consecutive groups x 64 consecutive ports) over 4 members: each within 10 % of a quarter.
        final int[] members = new int[4];
        for (int g = 0; g < 64; g++) {
            for (int p = 0; p < 64; p++) {
                members[PacketPrograms.fanoutMember(PacketPrograms.flowHash(group(1, 1, g), 5000 + p), 4)]++;
            }
        }
        for (final int count : members) {
            assertTrue(Math.abs(count - 1024) <= 102, java.util.Arrays.toString(members));
        }
        // And consecutive groups on one port, the common case, over 2 and 3 members.
        for (final int n : new int[] {2, 3}) {
            final int[] counts = new int[n];
            for (int g = 0; g < 600; g++) {
                counts[PacketPrograms.fanoutMember(PacketPrograms.flowHash(group(2, g / 256, g % 256), 5000), n)]++;
            }
            for (final int count : counts) {
                assertTrue(Math.abs(count - 600 / n) <= 60 / n * 2, java.util.Arrays.toString(counts));
            }
        }
    }

    @Test
    void theBuilderRefusesJumpsItCannotEncode() {
        final ClassicBpf.Builder far = ClassicBpf.builder();
        final ClassicBpf.Label end = far.label();
        far.jump(ClassicBpf.JMP | ClassicBpf.JEQ | ClassicBpf.K, 1, end, null);
        for (int i = 0; i < 256; i++) {
            far.statement(ClassicBpf.LD | ClassicBpf.IMM, i);
        }
        far.place(end);
        far.statement(ClassicBpf.RET | ClassicBpf.K, 0);
        final IllegalStateException tooFar = assertThrows(IllegalStateException.class, far::build);
        assertTrue(tooFar.getMessage().contains("256 instructions"), tooFar.getMessage());

        final ClassicBpf.Builder unplaced = ClassicBpf.builder();
        unplaced.jumpAlways(unplaced.label());
        assertThrows(IllegalStateException.class, unplaced::build);
        assertThrows(IllegalArgumentException.class,
            () -> ClassicBpf.builder().statement(ClassicBpf.JMP | ClassicBpf.JEQ, 0));
    }

    @Test
    void theModelOfTheKernelsCheckerRefusesAWordReadAfterAnEarlyReturn() {
        // The kernel walks a ret's fall-through as a path: M[0], stored after the jump to drop, is not "written"
        // at use, although no real path reaches use without the store. The kernel answers EINVAL.
        final ClassicBpf.Builder b = ClassicBpf.builder();
        final ClassicBpf.Label drop = b.label();
        final ClassicBpf.Label use = b.label();
        b.statement(ClassicBpf.LD | ClassicBpf.IMM, 1);
        b.jump(ClassicBpf.JMP | ClassicBpf.JEQ | ClassicBpf.K, 2, drop, null);
        b.statement(ClassicBpf.ST, 0);
        b.jumpAlways(use);
        b.place(drop);
        b.statement(ClassicBpf.RET | ClassicBpf.K, 0);
        b.place(use);
        b.statement(ClassicBpf.LD | ClassicBpf.MEM, 0);
        b.statement(ClassicBpf.RET | ClassicBpf.A, 0);
        final ClassicBpf program = b.build();
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> ClassicBpfInterpreter.checkLoadsAndStores(program));
        assertTrue(refused.getMessage().startsWith("M[0] read at 5"), refused.getMessage());
        ClassicBpfInterpreter.checkLoadsAndStores(PacketPrograms.flowHashFanout());
        ClassicBpfInterpreter.checkLoadsAndStores(PacketPrograms.exactUdpFilter(List.of(
            UdpDestination.of("239.1.2.3", 5000))));
    }
}
