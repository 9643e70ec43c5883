package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.FanoutMode;
import io.mcrelay.linux.packet.PacketInputSockets;
import io.mcrelay.linux.packet.PacketPrograms;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.UdpDestination;
import io.mcrelay.netns.PacketTraffic.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's {@link PacketInputSockets} on a real veth: one fanout group per wanted interface with a member per
 * worker; each flow reaches the worker the flow hash names (read through that worker's descriptor), the filter
 * follows the destinations in use, unwanted interfaces close, and a re-created interface works again after
 * {@code reopen}.
 */
class PacketInputSocketsNetnsIT {
    private static final String PREFIX = "mcrin";
    private static final int WORKERS = 3;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** Reads what worker {@code worker} would read on {@code ifName} (the same ring, through the supervisor's map). */
    private static void readAs(final PacketInputSockets sockets, final int worker, final String ifName,
        final List<Frame> into) {
        PacketTraffic.drain(sockets.ring(ifName, worker), into);
    }

    @Test
    void eachFlowReachesTheWorkerTheHashNamesAndTheFilterFollowsTheRules() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns relay = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, relay);
            final PacketInputSockets sockets = relay.call(() -> new PacketInputSockets(
                PacketInputSockets.Config.defaults(WORKERS)));
            try {
                relay.call(() -> {
                    sockets.setWanted(new TreeSet<>(Set.of("vb")));
                    return null;
                });
                assertEquals(List.of("vb"), sockets.openInterfaces());
                assertEquals(WORKERS, sockets.descriptors(0).length + sockets.descriptors(1).length
                    + sockets.descriptors(2).length);
                final int groupId = sockets.fanoutGroupId("vb");
                assertTrue(groupId >= 0 && groupId <= 0xFFFF, "a kernel-chosen group id: " + groupId);
                for (int w = 0; w < WORKERS; w++) {
                    assertEquals(Optional.of(new PacketRxRing.FanoutGroup(groupId, FanoutMode.CBPF, Set.of())),
                        sockets.ring("vb", w).fanoutGroup(), "worker " + w + "'s socket is in the group");
                }
                final long opened = sockets.version();

                final List<UdpDestination> flows = new ArrayList<>();
                for (int f = 0; f < 12; f++) {
                    flows.add(UdpDestination.of("239.7." + f + ".1", 5000 + f));
                }
                // Only the first eight flows are in use: the other four must not reach any worker.
                sockets.setDestinations("vb", flows.subList(0, 8));
                final List<PacketTraffic.Datagram> datagrams = new ArrayList<>();
                for (int p = 0; p < 3; p++) {
                    for (int f = 0; f < flows.size(); f++) {
                        final String[] parts = flows.get(f).toString().split(":");
                        datagrams.add(new PacketTraffic.Datagram(parts[0], flows.get(f).port(), "f" + f + "/" + p));
                    }
                }
                PacketTraffic.sendUdp(sender, "va", datagrams);

                final List<List<Frame>> seen = PacketTraffic.lists(WORKERS);
                Waits.until(Waits.Pace.DELIVERY, "the 24 datagrams of the eight flows in use on the workers' rings",
                    () -> {
                        for (int w = 0; w < WORKERS; w++) {
                            readAs(sockets, w, "vb", seen.get(w));
                        }
                        return seen.stream().mapToInt(List::size).sum();
                    }, frames -> frames >= 24, () -> "frames so far, per worker: " + seen);
                // A settle delay, not a wait: anything the filter should have dropped would have arrived by now.
                Thread.sleep(50);
                for (int w = 0; w < WORKERS; w++) {
                    readAs(sockets, w, "vb", seen.get(w));
                }
                final Set<Integer> workersWithFlows = new TreeSet<>();
                for (int f = 0; f < flows.size(); f++) {
                    final String prefix = "f" + f + "/";
                    final List<Integer> counts = new ArrayList<>();
                    for (int w = 0; w < WORKERS; w++) {
                        counts.add((int) seen.get(w).stream().filter(x -> x.payload().startsWith(prefix)).count());
                    }
                    final List<Integer> expected = new ArrayList<>(List.of(0, 0, 0));
                    if (f < 8) {
                        final UdpDestination d = flows.get(f);
                        final int worker = PacketPrograms.fanoutMember(PacketPrograms.flowHash(d.address(),
                            d.port()), WORKERS);
                        expected.set(worker, 3);
                        workersWithFlows.add(worker);
                    }
                    assertEquals(expected, counts, "flow " + f + " " + flows.get(f) + " per worker");
                }
                assertTrue(workersWithFlows.size() > 1, "flows spread over workers: " + workersWithFlows);

                // Nobody receives on vb any more: its sockets close and the workers' descriptors go.
                sockets.setWanted(new TreeSet<>());
                assertEquals(List.of(), sockets.openInterfaces());
                assertEquals(0, sockets.descriptors(0).length);
                assertNotEquals(opened, sockets.version());
            } finally {
                sockets.close();
            }
        }
    }

    @Test
    void aRecreatedInterfaceIsReceivedAgainAfterReopen() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns relay = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, relay);
            final PacketInputSockets sockets = relay.call(() -> new PacketInputSockets(
                PacketInputSockets.Config.defaults(1)));
            try {
                relay.call(() -> {
                    sockets.setWanted(new TreeSet<>(Set.of("vb", "missing0")));
                    return null;
                });
                assertEquals(List.of("vb"), sockets.openInterfaces());
                assertEquals(Set.of("missing0"), sockets.failed(), "an interface that does not exist stays closed");
                final long before = sockets.version();

                relay.execOrThrow("ip", "link", "del", "vb");
                PacketTraffic.link(sender, relay); // the same names, a new interface index
                relay.call(() -> {
                    sockets.reopen("vb");
                    return null;
                });
                assertEquals(List.of("vb"), sockets.openInterfaces());
                final List<Frame> frames = new ArrayList<>();
                PacketTraffic.sendUdp(sender, "va", "239.8.8.8", 5008, "after re-creation");
                Waits.until(Waits.Pace.DELIVERY, "'after re-creation' on the re-created vb", () -> {
                    readAs(sockets, 0, "vb", frames);
                    return PacketTraffic.has(frames, "after re-creation");
                }, () -> "frames seen: " + frames);
                assertTrue(PacketTraffic.has(frames, "after re-creation"), "frames seen: " + frames.size());
                assertNotEquals(before, sockets.version(), "new descriptors for the workers");
            } finally {
                sockets.close();
            }
        }
    }
}
