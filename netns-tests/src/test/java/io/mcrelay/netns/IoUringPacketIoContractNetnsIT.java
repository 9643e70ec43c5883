package io.mcrelay.netns;

import java.util.List;

import org.junit.jupiter.api.AfterAll;

import io.mcrelay.linux.IoUringPacketIo;
import io.mcrelay.linux.PacketRxRing;
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
}
