package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packetio.IoUringPacketIo;
import io.mcrelay.seam.PacketIo;

/**
 * The io_uring backend ({@link IoUringPacketIo}: a TPACKET_V3 ring whose readiness arrives as an io_uring poll
 * completion, sends as {@code IORING_OP_SEND}) passes the {@link io.mcrelay.seam.PacketIoContract} and the
 * real-kernel checks of {@link PacketIoNetnsContract} over veth.
 */
class IoUringPacketIoContractNetnsIT extends PacketIoNetnsContract {
    private static final String PREFIX = "mcrpu";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected String prefix() {
        return PREFIX;
    }

    @Override
    protected PacketIo openIo(final String inputInterface, final int sendBufferBytes) {
        final PacketRxRing ring = PacketRxRing.open(inputInterface, 1 << 16, 8, 2);
        try {
            return IoUringPacketIo.open(List.of(new IoUringPacketIo.Input(inputInterface, ring)),
                new IoUringPacketIo.Config(256, 9216, 1 << 20, sendBufferBytes));
        } catch (final RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /**
     * The ring is read only after its readiness arrived through the io_uring: before the first submit has armed the
     * poll, a waiting frame is not delivered; after it, it is, and later frames are too without arming again (the
     * poll is multishot on this kernel).
     */
    @Test
    void framesAreReadOnlyOnceTheRingsReadinessCameThroughTheIoUring() {
        try (VethHarness harness = createHarness()) {
            final IoUringPacketIo io = (IoUringPacketIo) harness.raw();
            harness.injectFrame(udpFrame(new byte[] {1}));
            sleepMillis(20); // the ring's block retires after 2 ms: the frame is there to read
            assertEquals(0, io.pollFrames((ifIndex, frame, offset, length) -> { }, 16), "no poll armed yet");
            assertEquals(1, io.submit(), "the first submit arms the readiness poll");
            assertEquals(1, pollUntilAFrame(io));
            assertEquals(0, io.submit(), "a multishot poll stays armed: nothing to submit");
            harness.injectFrame(udpFrame(new byte[] {2}));
            assertEquals(1, pollUntilAFrame(io));
            assertTrue(io.multishotPolls());
            assertEquals(0, io.stagingDrops());
        }
    }

    private static int pollUntilAFrame(final IoUringPacketIo io) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        int frames = 0;
        while (frames == 0 && System.nanoTime() < deadline) {
            frames = io.pollFrames((ifIndex, frame, offset, length) -> { }, 16);
            if (frames == 0) {
                sleepMillis(1);
            }
        }
        return frames;
    }
}
