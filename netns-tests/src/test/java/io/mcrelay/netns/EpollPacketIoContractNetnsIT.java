package io.mcrelay.netns;

import java.util.List;

import org.junit.jupiter.api.AfterAll;

import io.mcrelay.linux.EpollPacketIo;
import io.mcrelay.linux.UnixSockets;
import io.mcrelay.seam.PacketIo;

/**
 * The fallback backend ({@link EpollPacketIo}: epoll and {@code recvmmsg} on a plain packet socket,
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
    protected PacketIo openIo(final String inputInterface) {
        final int fd = EpollPacketIo.openInputSocket(inputInterface);
        try {
            return EpollPacketIo.open(List.of(new EpollPacketIo.Input(inputInterface, fd)),
                EpollPacketIo.Config.DEFAULT);
        } catch (final RuntimeException e) {
            UnixSockets.close(fd);
            throw e;
        }
    }
}
