package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.FanoutFlag;
import io.mcrelay.linux.packet.FanoutMode;
import io.mcrelay.linux.packet.PacketPrograms;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.UdpDestination;
import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.netns.PacketTraffic.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code PACKET_FANOUT} on a real veth: four packet sockets in one {@code PACKET_FANOUT_CBPF} group with the flow
 * hash program receive 20 flows sent from a peer namespace; every flow's packets all land on one socket, the one
 * {@link PacketPrograms#flowHash} predicts for the join order (the kernel numbers members in join order and picks
 * {@code result % members}), and more than one socket gets flows. Other modes join and read back; the kernel's
 * refusals name the call and the cause.
 */
class PacketFanoutNetnsIT {
    private static final String PREFIX = "mcrpo";
    private static final int MEMBERS = 4;
    private static final int FLOWS = 20;
    private static final int PACKETS_PER_FLOW = 5;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void theFlowHashKeepsEachGroupAndPortOnThePredictedSocket() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            final List<PacketRxRing> rings = new ArrayList<>();
            try {
                for (int i = 0; i < MEMBERS; i++) {
                    final PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 16, 10));
                    rings.add(ring);
                    ring.joinFanout(7, FanoutMode.CBPF, FanoutFlag.DEFRAG); // member i: joined i-th
                }
                rings.get(2).setFanoutProgram(PacketPrograms.flowHashFanout()); // any member sets the group's
                for (final PacketRxRing ring : rings) {
                    assertEquals(Optional.of(new PacketRxRing.FanoutGroup(7, FanoutMode.CBPF,
                        Set.of(FanoutFlag.DEFRAG))), ring.fanoutGroup());
                    PacketTraffic.discardQueued(ring);
                }
                final Map<String, UdpDestination> flows = new TreeMap<>();
                for (int f = 0; f < FLOWS; f++) {
                    final String group = "239.5." + (f % 4) + "." + (10 + f);
                    flows.put("flow" + f, UdpDestination.of(group, 5000 + f % 3));
                }
                final List<PacketTraffic.Datagram> datagrams = new ArrayList<>();
                for (int p = 0; p < PACKETS_PER_FLOW; p++) {
                    for (final Map.Entry<String, UdpDestination> flow : flows.entrySet()) {
                        final UdpDestination d = flow.getValue();
                        datagrams.add(new PacketTraffic.Datagram(d.toString().split(":")[0], d.port(),
                            flow.getKey() + "/" + p));
                    }
                }
                PacketTraffic.sendUdp(sender, "va", datagrams);
                final List<List<Frame>> seen = PacketTraffic.lists(MEMBERS);
                PacketTraffic.pollUntil(rings, seen, "the " + FLOWS * PACKETS_PER_FLOW + " datagrams of " + FLOWS
                    + " flows on the fanout members", () -> seen.stream().mapToLong(l -> l.stream()
                    .filter(f -> f.payload().startsWith("flow")).count()).sum() >= (long) FLOWS * PACKETS_PER_FLOW);

                final List<String> missing = new ArrayList<>();
                for (final String flow : flows.keySet()) {
                    for (int p = 0; p < PACKETS_PER_FLOW; p++) {
                        final String payload = flow + "/" + p;
                        if (seen.stream().noneMatch(l -> PacketTraffic.has(l, payload))) {
                            missing.add(payload);
                        }
                    }
                }
                final List<PacketRxRing.Statistics> stats = rings.stream().map(PacketRxRing::statistics).toList();
                assertEquals(List.of(), missing, "every datagram reached a member; kernel counts: " + stats);
                final Set<Integer> socketsWithFlows = new HashSet<>();
                for (final Map.Entry<String, UdpDestination> flow : flows.entrySet()) {
                    final Map<Integer, Integer> perSocket = new HashMap<>();
                    for (int s = 0; s < MEMBERS; s++) {
                        final String prefix = flow.getKey() + "/";
                        final int count = (int) seen.get(s).stream().filter(f -> f.payload().startsWith(prefix))
                            .count();
                        if (count > 0) {
                            perSocket.put(s, count);
                        }
                    }
                    final UdpDestination d = flow.getValue();
                    final int predicted = PacketPrograms.fanoutMember(PacketPrograms.flowHash(d.address(), d.port()),
                        MEMBERS);
                    assertEquals(Map.of(predicted, PACKETS_PER_FLOW), perSocket,
                        flow.getKey() + " " + d + ": all its packets on the socket the hash predicts");
                    socketsWithFlows.add(predicted);
                }
                assertTrue(socketsWithFlows.size() > 1, "flows spread over more than one socket: " + socketsWithFlows);
            } finally {
                rings.forEach(PacketRxRing::close);
            }
        }
    }

    @Test
    void loadBalancingAndHashGroupsJoinAndReadBack() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing first = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10));
                PacketRxRing second = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10));
                PacketRxRing hashed = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                assertEquals(Optional.empty(), first.fanoutGroup(), "in no group before joining");
                first.joinFanout(9, FanoutMode.LB);
                second.joinFanout(9, FanoutMode.LB);
                hashed.joinFanout(10, FanoutMode.HASH, FanoutFlag.ROLLOVER);
                assertEquals(Optional.of(new PacketRxRing.FanoutGroup(9, FanoutMode.LB, Set.of())),
                    second.fanoutGroup());
                assertEquals(Optional.of(new PacketRxRing.FanoutGroup(10, FanoutMode.HASH,
                    Set.of(FanoutFlag.ROLLOVER))), hashed.fanoutGroup());
                first.attachUdpFilter(List.of(UdpDestination.of("239.6.6.6", 6000)));
                second.attachUdpFilter(List.of(UdpDestination.of("239.6.6.6", 6000)));
                PacketTraffic.discardQueued(first);
                PacketTraffic.discardQueued(second);
                final List<PacketTraffic.Datagram> datagrams = new ArrayList<>();
                for (int p = 0; p < 10; p++) {
                    datagrams.add(new PacketTraffic.Datagram("239.6.6.6", 6000, "lb/" + p));
                }
                PacketTraffic.sendUdp(sender, "va", datagrams);
                final List<List<Frame>> seen = PacketTraffic.lists(2);
                PacketTraffic.pollUntil(List.of(first, second), seen,
                    "the 10 datagrams to 239.6.6.6:6000 on the two round-robin members",
                    () -> seen.get(0).size() + seen.get(1).size() >= 10);
                // Round robin counts every frame on the link (IPv6 chatter too) before the members' filters drop
                // some, so the split of our 10 is not exactly 5/5; one flow on both sockets shows it is not a hash.
                assertEquals(10, seen.get(0).size() + seen.get(1).size(), "every datagram arrived once: " + seen);
                assertTrue(!seen.get(0).isEmpty() && !seen.get(1).isEmpty(), "round robin used both: " + seen);
            }
        }
    }

    @Test
    void theKernelsRefusalsNameTheCallAndTheCause() throws Exception {
        Netns.requireRoot();
        try (Netns receiver = Netns.create(PREFIX)) {
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("lo", 1 << 16, 1, 10));
                PacketRxRing other = receiver.call(() -> PacketRxRing.open("lo", 1 << 16, 1, 10))) {
                final LinuxException doubleRollover = assertThrows(LinuxException.class,
                    () -> ring.joinFanout(11, FanoutMode.ROLLOVER, FanoutFlag.ROLLOVER));
                assertEquals("setsockopt(PACKET_FANOUT) joining group 11 as ROLLOVER [ROLLOVER] failed: EINVAL"
                    + " (invalid argument): a group's members share one mode, one set of flags and one interface,"
                    + " the ROLLOVER mode takes no ROLLOVER flag, and the socket must be bound first",
                    doubleRollover.getMessage());

                final LinuxException noGroup = assertThrows(LinuxException.class,
                    () -> ring.setFanoutProgram(PacketPrograms.flowHashFanout()));
                assertEquals(Errno.EINVAL, noGroup.errno());
                assertTrue(noGroup.getMessage().startsWith("setsockopt(PACKET_FANOUT_DATA) of "), noGroup.getMessage());

                ring.joinFanout(12, FanoutMode.HASH);
                final LinuxException twice = assertThrows(LinuxException.class,
                    () -> ring.joinFanout(13, FanoutMode.HASH));
                assertEquals("setsockopt(PACKET_FANOUT) joining group 13 as HASH failed: EALREADY (operation already"
                    + " in progress): the socket is in a fanout group already (it leaves only by closing)",
                    twice.getMessage());

                final LinuxException otherMode = assertThrows(LinuxException.class,
                    () -> other.joinFanout(12, FanoutMode.LB));
                assertEquals(Errno.EINVAL, otherMode.errno(), otherMode.getMessage());

                final LinuxException notCbpf = assertThrows(LinuxException.class,
                    () -> ring.setFanoutProgram(PacketPrograms.flowHashFanout()));
                assertEquals(Errno.EINVAL, notCbpf.errno(), "a HASH group takes no program");

                final IllegalArgumentException badId = assertThrows(IllegalArgumentException.class,
                    () -> other.joinFanout(70000, FanoutMode.HASH));
                assertEquals("a fanout group id is 0 to 65535, not 70000", badId.getMessage());
            }
        }
    }
}
