package io.mcrelay.netns;

import static io.mcrelay.netns.PacketTraffic.has;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.ClassicBpf;
import io.mcrelay.linux.packet.PacketPrograms;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.UdpDestination;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.netns.PacketTraffic.Frame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The exact receive filter on a real packet socket: traffic sent from a peer namespace over veth reaches a filtered
 * ring only for the listed (group, port) pairs, while a second, unfiltered ring on the same link proves the rest
 * was on the wire. Replacing the filter changes what arrives on the same open socket; above the entry limit the
 * coarse filter is attached; a program the kernel refuses is named in the error.
 */
class PacketFilterNetnsIT {
    private static final String PREFIX = "mcrpf";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void theExactFilterKeepsOnlyTheListedGroupAndPort() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing filtered = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10));
                PacketRxRing everything = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                final PacketPrograms.ReceiveFilter attached = filtered.attachUdpFilter(List.of(
                    UdpDestination.of("239.1.2.3", 5000), UdpDestination.of("239.7.7.7", 7000)));
                assertTrue(attached.exact());
                PacketTraffic.discardQueued(filtered); // what came before the filter
                // The new link's IPv6 chatter may have filled the four blocks of the unread unfiltered ring by now
                // (the kernel then drops what the test sends): hand them back before sending.
                everything.poll((frame, offset, length, wire) -> { });
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5000, "match");
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5001, "same group, other port");
                PacketTraffic.sendUdp(sender, "va", "239.1.2.4", 5000, "other group, same port");
                PacketTraffic.sendUdp(sender, "va", "239.7.7.7", 5000, "listed group, port of another");
                PacketTraffic.tcpConnectAttempt(sender, "10.99.0.2");
                PacketTraffic.sendUdp(receiver, "vb", "239.1.2.3", 5000, "our own send");
                final List<List<Frame>> seen = PacketTraffic.lists(2);
                PacketTraffic.pollUntil(List.of(everything, filtered), seen, "'our own send' and 'listed group, port"
                    + " of another' on the unfiltered ring, 'match' on the filtered one", () -> has(seen.get(0),
                    "our own send") && has(seen.get(0), "listed group, port of another") && has(seen.get(1), "match"));
                final List<Frame> all = seen.get(0);
                for (final String sent : List.of("match", "same group, other port", "other group, same port",
                    "listed group, port of another", "our own send")) {
                    assertTrue(has(all, sent), "the unfiltered ring saw '" + sent + "': " + all);
                }
                assertTrue(all.stream().anyMatch(f -> f.protocol() == 6), "the unfiltered ring saw the TCP");
                final List<Frame> kept = seen.get(1);
                assertEquals(List.of(new Frame(17, "239.1.2.3", 5000, "match")), kept,
                    "only the incoming listed flow passed the filter");
            }
        }
    }

    @Test
    void replacingTheFilterChangesWhatArrivesOnTheSameSocket() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                final int fd = ring.fd();
                ring.attachUdpFilter(List.of(UdpDestination.of("239.1.2.3", 5000)));
                PacketTraffic.discardQueued(ring);
                final List<List<Frame>> first = PacketTraffic.lists(1);
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5000, "A1");
                PacketTraffic.sendUdp(sender, "va", "239.2.2.2", 6000, "B1");
                PacketTraffic.pollUntil(List.of(ring), first, "'A1' through the filter for 239.1.2.3:5000",
                    () -> has(first.get(0), "A1"));
                assertEquals(List.of("A1"), payloads(first.get(0)));

                ring.attachUdpFilter(List.of(UdpDestination.of("239.2.2.2", 6000)));
                PacketTraffic.discardQueued(ring); // anything the old filter let in meanwhile
                final List<List<Frame>> second = PacketTraffic.lists(1);
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5000, "A2");
                PacketTraffic.sendUdp(sender, "va", "239.2.2.2", 6000, "B2");
                PacketTraffic.pollUntil(List.of(ring), second, "'B2' through the filter for 239.2.2.2:6000",
                    () -> has(second.get(0), "B2"));
                assertEquals(List.of("B2"), payloads(second.get(0)));
                assertEquals(fd, ring.fd(), "the same socket throughout");
            }
        }
    }

    @Test
    void aboveTheEntryLimitTheCoarseFilterIsAttached() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("vb", 1 << 16, 4, 10))) {
                final List<UdpDestination> many = new ArrayList<>();
                for (int i = 0; i < PacketPrograms.EXACT_ENTRIES_MAX; i++) {
                    many.add(new UdpDestination(0xEF140000 + i, 9000)); // 239.20.x.y:9000, the costliest shape
                }
                assertTrue(ring.attachUdpFilter(many).exact(), "the kernel takes the largest exact filter");
                many.add(new UdpDestination(0xEF150000, 9000));
                final PacketPrograms.ReceiveFilter attached = ring.attachUdpFilter(many);
                assertFalse(attached.exact());
                assertEquals(PacketPrograms.EXACT_ENTRIES_MAX + 1, attached.entries());
                PacketTraffic.discardQueued(ring);
                final List<List<Frame>> seen = PacketTraffic.lists(1);
                PacketTraffic.tcpConnectAttempt(sender, "10.99.0.2");
                PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5001, "not listed, still UDP");
                PacketTraffic.pollUntil(List.of(ring), seen, "'not listed, still UDP' through the coarse filter",
                    () -> has(seen.get(0), "not listed, still UDP"));
                assertTrue(has(seen.get(0), "not listed, still UDP"), "coarse: any incoming UDP passes");
                assertTrue(seen.get(0).stream().allMatch(Frame::isUdp), "coarse: nothing else: " + seen.get(0));
            }
        }
    }

    @Test
    void withoutOptionMemoryForTheExactFilterTheCoarseOneIsAttached() throws Exception {
        Netns.requireRoot();
        try (Netns receiver = Netns.create(PREFIX)) {
            // net.core.optmem_max is per namespace here: starve this one only.
            receiver.execOrThrow("sh", "-c", "echo 2048 > /proc/sys/net/core/optmem_max");
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("lo", 1 << 16, 1, 10))) {
                final List<UdpDestination> many = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    many.add(new UdpDestination(0xEF160000 + i, 9000));
                }
                final LinuxException starved = assertThrows(LinuxException.class,
                    () -> ring.attachFilter(PacketPrograms.exactUdpFilter(many)));
                assertEquals("setsockopt(SO_ATTACH_FILTER) of 532 instructions failed: ENOMEM (out of memory): the"
                    + " filter exceeds the socket's option memory (sysctl net.core.optmem_max)", starved.getMessage());
                final PacketPrograms.ReceiveFilter attached = ring.attachUdpFilter(many);
                assertEquals(new PacketPrograms.ReceiveFilter(PacketPrograms.coarseUdpFilter(), false, 64), attached);
            }
        }
    }

    @Test
    void aProgramTheKernelRefusesIsNamedWithTheCause() throws Exception {
        Netns.requireRoot();
        try (Netns receiver = Netns.create(PREFIX)) {
            try (PacketRxRing ring = receiver.call(() -> PacketRxRing.open("lo", 1 << 16, 1, 10))) {
                final ClassicBpf.Builder builder = ClassicBpf.builder();
                for (int i = 0; i < ClassicBpf.INSTRUCTIONS_MAX; i++) {
                    builder.statement(0x00, i); // ld #i
                }
                builder.statement(0x06, 0); // ret #0: 4097 instructions in all
                final ClassicBpf tooLong = builder.build();
                final LinuxException refused = assertThrows(LinuxException.class, () -> ring.attachFilter(tooLong));
                assertEquals("setsockopt(SO_ATTACH_FILTER) of 4097 instructions failed: EINVAL (invalid argument):"
                    + " classic BPF takes at most 4096 instructions (BPF_MAXINSNS), forward jumps inside the program"
                    + " and a return at its end", refused.getMessage());
                ring.attachCoarseUdpFilter(); // the socket is still usable
            }
        }
    }

    private static List<String> payloads(final List<Frame> frames) {
        return frames.stream().filter(Frame::isUdp).map(Frame::payload).toList();
    }
}
