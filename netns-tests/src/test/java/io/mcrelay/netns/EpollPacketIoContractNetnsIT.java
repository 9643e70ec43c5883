package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.PlainPacketSocket;
import io.mcrelay.linux.packetio.EpollPacketIo;
import io.mcrelay.linux.packetio.RingInput;
import io.mcrelay.linux.packetio.RingIoConfig;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.seam.PacketIo;

/**
 * The fallback backend ({@link EpollPacketIo}: the same {@code TPACKET_V3} rings read in place, epoll for waiting,
 * {@code sendmmsg} on the egress sockets) passes the same {@link io.mcrelay.seam.PacketIoContract} and the same
 * real-kernel checks of {@link PacketIoNetnsContract} as the io_uring backend.
 */
class EpollPacketIoContractNetnsIT extends PacketIoNetnsContract {
    private static final String PREFIX = "mcrpe";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected String prefix() {
        return PREFIX;
    }

    @Override
    protected PacketIo openRingIo(final List<RingInput> inputs, final RingIoConfig config) {
        return EpollPacketIo.open(inputs, config);
    }

    /**
     * The fallback refuses what it cannot read, naming it and changing nothing: two inputs on one interface; a
     * passed descriptor that is a packet socket without a ring (what this backend read before it read rings), or a UDP
     * socket; after each refusal the I/O still has no input and still forwards what its rings get.
     */
    @Test
    void inputsItCannotUseAreRefusedByName() throws Exception {
        Netns.requireRoot();
        try (VethHarness harness = createHarness();
            PacketRxRing one = harness.relay.call(() -> PacketRxRing.open("lo", 4096, 2, 2));
            PacketRxRing two = harness.relay.call(() -> PacketRxRing.open("lo", 4096, 2, 2))) {
            assertEquals("two inputs on lo", assertThrows(IllegalArgumentException.class, () -> EpollPacketIo.open(
                List.of(new RingInput("lo", one), new RingInput("lo", two)), RingIoConfig.DEFAULT)).getMessage());
            final PacketIo io = harness.io();
            final int plain = harness.relay.call(() -> PlainPacketSocket.open("out0"));
            final String noRing = assertThrows(IllegalArgumentException.class,
                () -> io.attachInput("out0", new OwnedFd(plain))).getMessage();
            assertTrue(noRing.startsWith("the socket for input out0 is not a TPACKET_V3 packet socket with a ring of "
                + ATTACHED_BLOCKS + " x " + ATTACHED_BLOCK_BYTES + " bytes bound to an interface: "), noRing);
            final int udp = harness.relay.call(() -> MulticastSockets.openEgress("out0", 1, 0));
            final String notPacket = assertThrows(IllegalArgumentException.class,
                () -> io.attachInput("out0", new OwnedFd(udp))).getMessage();
            assertTrue(notPacket.startsWith("the socket for input out0 is not a TPACKET_V3 packet socket"), notPacket);
            assertEquals(0, io.interfaceIndex("out0"), "nothing attached");
            harness.injectFrame(udpFrame(new byte[] {9}));
            final int[] frames = {0};
            Waits.until(Waits.Pace.DELIVERY, "the frame on in0 after the refusals",
                () -> frames[0] += io.pollFrames((ifIndex, frame, offset, length) -> { }, 16), n -> n > 0);
            assertEquals(1, frames[0]);
        }
    }
}
