package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.PlainPacketSocket;
import io.mcrelay.linux.process.StreamWorkerChannel;
import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.netns.PacketTraffic.Frame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A TPACKET_V3 ring opened by one {@link PacketRxRing} (the supervisor's role) and passed with {@code SCM_RIGHTS}
 * to a second one that {@link PacketRxRing#adopt adopts} it (a worker's): the adopter maps the same ring, finds the
 * interface from the socket, and — after the first reader stopped in the middle of the stream, leaving blocks
 * handed to user space unread, at a position the adopter cannot know — resynchronises on the oldest ready block and
 * reads every frame in order, then keeps receiving.
 */
class PacketRxRingAdoptNetnsIT {
    private static final String PREFIX = "mcrpa";
    /** One page per block, retired after 10 ms: each send below, 30 ms apart, lands in a block of its own. */
    private static final int BLOCK_BYTES = 4096;
    private static final int BLOCKS = 8;
    private static final long APART_MS = 30;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void anAdoptedRingResumesAtTheOldestUnreadBlockAfterItsFirstReaderStoppedMidStream() throws Exception {
        Netns.requireRoot();
        try (Netns sender = Netns.create(PREFIX); Netns receiver = Netns.create(PREFIX)) {
            PacketTraffic.link(sender, receiver);
            final PacketRxRing first = receiver.call(() -> PacketRxRing.open("vb", BLOCK_BYTES, BLOCKS, 10));
            PacketRxRing adopter = null;
            try {
                first.attachCoarseUdpFilter();
                PacketTraffic.discardQueued(first);
                // The first reader reads three blocks' worth: its next block is no longer block 0.
                final List<Frame> firstSaw = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    sendApart(sender, "a" + i);
                }
                PacketTraffic.pollUntil(List.of(first), List.of(firstSaw), "'a2' on the first reader's ring",
                    () -> PacketTraffic.has(firstSaw, "a2"));
                assertEquals(List.of("a0", "a1", "a2"), payloads(firstSaw));
                // Then it stops mid-stream: three more blocks are handed over and never read or given back.
                for (int i = 0; i < 3; i++) {
                    sendApart(sender, "b" + i);
                }
                // A settle delay, not a wait: the last block retires (10 ms), and nothing may read it to see that.
                Thread.sleep(100);
                final int passed = pass(first.fd());
                first.close(); // the first reader is gone; the socket lives on in the passed descriptor
                final PacketRxRing adopted = receiver.call(() -> PacketRxRing.adopt(passed, BLOCK_BYTES, BLOCKS));
                adopter = adopted;
                assertEquals("vb", receiver.call(adopted::interfaceName));
                assertEquals((int) receiver.call(() -> java.net.NetworkInterface.getByName("vb").getIndex()),
                    adopted.ifIndex(), "the interface comes from the socket");
                // Block 0 was read and given back; the blocks left are further on: a reader that looks without
                // waiting for the kernel's readiness (the epoll backend) sees them.
                assertTrue(adopted.hasReadyBlock(), "the blocks the first reader left are seen as ready");
                for (int i = 0; i < 3; i++) {
                    sendApart(sender, "c" + i);
                }
                final List<Frame> adopterSaw = new ArrayList<>();
                PacketTraffic.pollUntil(List.of(adopted), List.of(adopterSaw), "'c2' on the adopted ring",
                    () -> PacketTraffic.has(adopterSaw, "c2"));
                assertEquals(List.of("b0", "b1", "b2", "c0", "c1", "c2"), payloads(adopterSaw),
                    "the blocks the first reader left are read first, in order, then the new ones");
                assertTrue(adopted.resyncs() >= 1, "reading restarted at another block than 0");
                assertEquals(0, adopted.statistics().drops(), "the kernel dropped nothing");
            } finally {
                first.close();
                if (adopter != null) {
                    adopter.close();
                }
            }
        }
    }

    @Test
    void descriptorsThatAreNotATpacketV3RingOfThatGeometryAreRefusedByName() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX)) {
            netns.call(() -> {
                final int udp = MulticastSockets.openEgress("lo", 1, 0);
                try {
                    assertEquals("getsockopt(PACKET_VERSION) on adopted descriptor " + udp
                        + " failed: EOPNOTSUPP (operation not supported): it is not a packet socket",
                        assertThrows(LinuxException.class, () -> PacketRxRing.adopt(udp, BLOCK_BYTES, BLOCKS))
                            .getMessage());
                } finally {
                    UnixSockets.close(udp);
                }
                final int plain = PlainPacketSocket.open("lo");
                try {
                    assertEquals("descriptor " + plain + " is a packet socket of ring version 0, not TPACKET_V3 (2)",
                        assertThrows(IllegalArgumentException.class,
                            () -> PacketRxRing.adopt(plain, BLOCK_BYTES, BLOCKS)).getMessage());
                } finally {
                    UnixSockets.close(plain);
                }
                try (PacketRxRing ring = PacketRxRing.open("lo", BLOCK_BYTES, BLOCKS, 10)) {
                    final String message = assertThrows(LinuxException.class,
                        () -> PacketRxRing.adopt(ring.fd(), BLOCK_BYTES, BLOCKS * 2)).getMessage();
                    assertEquals("mmap of the adopted AF_PACKET receive ring of 16 x 4096 bytes (descriptor "
                        + ring.fd() + ") failed: EINVAL (invalid argument): the geometry must be the one the ring"
                        + " was set up with, and the socket must have a ring", message);
                }
                return null;
            });
        }
    }

    private static void sendApart(final Netns sender, final String text) throws Exception {
        PacketTraffic.sendUdp(sender, "va", "239.1.2.3", 5000, text);
        Thread.sleep(APART_MS);
    }

    /** A copy of {@code fd} that went through {@code SCM_RIGHTS}, as a worker receives its rings. */
    private static int pass(final int fd) {
        final StreamWorkerChannel[] pair = StreamWorkerChannel.pair(1 << 16, 1 << 10);
        try {
            FdPassing.send(pair[0].fd(), new byte[] {'F'}, fd);
            final int received = FdPassing.receive(pair[1].fd(), new byte[1]).fd();
            assertTrue(received >= 0, "a descriptor arrived");
            return received;
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    private static List<String> payloads(final List<Frame> frames) {
        return frames.stream().filter(Frame::isUdp).map(Frame::payload).toList();
    }
}
