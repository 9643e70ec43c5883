package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.packetio.EpollPacketIo;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The fallback backend ({@link EpollPacketIo}: epoll and {@code recvmmsg} on a plain packet socket,
 * {@code sendmmsg} on the egress sockets) passes the same {@link io.mcrelay.seam.PacketIoContract} and the same
 * real-kernel checks of {@link PacketIoNetnsContract} as the io_uring backend.
 */
class EpollPacketIoContractNetnsIT extends PacketIoNetnsContract {
    private static final String PREFIX = "mcrpe";
    /** {@code asm-generic/socket.h}. */
    private static final int SO_RCVBUF = 8;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected String prefix() {
        return PREFIX;
    }

    @Override
    protected PassedDescriptor openInputSocket(final String inputInterface) {
        return new OwnedFd(EpollPacketIo.openInputSocket(inputInterface));
    }

    @Override
    protected PacketIo openIo(final String inputInterface, final int sendBufferBytes, final boolean smallReceive) {
        final int fd = EpollPacketIo.openInputSocket(inputInterface);
        try {
            if (smallReceive) {
                // The smallest receive buffer Linux grants (SOCK_MIN_RCVBUF): a few frames.
                try (Arena arena = Arena.ofConfined()) {
                    Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RCVBUF, arena.allocateFrom(ValueLayout.JAVA_INT, 1),
                        "setsockopt(SO_RCVBUF, 1)");
                }
            }
            return EpollPacketIo.open(List.of(new EpollPacketIo.Input(inputInterface, fd)),
                new EpollPacketIo.Config(64, 9216 + 18, 256, 9216, sendBufferBytes));
        } catch (final RuntimeException e) {
            UnixSockets.close(fd);
            throw e;
        }
    }

    /**
     * The fallback's own setup refuses what it cannot use, naming the call and the cause: a missing interface, a
     * descriptor that is not a socket, a socket that is not a bound packet socket.
     */
    @Test
    void inputsItCannotUseAreRefusedByName() throws Exception {
        Netns.requireRoot();
        assertEquals("if_nametoindex(mcr-none0) failed: ENODEV (no such device)",
            assertThrows(LinuxException.class, () -> EpollPacketIo.openInputSocket("mcr-none0")).getMessage());
        assertEquals("getsockname of the input socket for in0 failed: EBADF (bad file descriptor)",
            assertThrows(LinuxException.class, () -> EpollPacketIo.open(
                List.of(new EpollPacketIo.Input("in0", 1_000_000)), EpollPacketIo.Config.DEFAULT)).getMessage());
        final int udp = MulticastSockets.openEgress("lo", 1, 0);
        try {
            assertEquals("descriptor " + udp + " for lo is not an AF_PACKET socket bound to an interface",
                assertThrows(IllegalArgumentException.class, () -> EpollPacketIo.open(
                    List.of(new EpollPacketIo.Input("lo", udp)), EpollPacketIo.Config.DEFAULT)).getMessage());
        } finally {
            UnixSockets.close(udp);
        }
        assertEquals("two inputs on lo", assertThrows(IllegalArgumentException.class, () -> EpollPacketIo.open(
            List.of(new EpollPacketIo.Input("lo", 5), new EpollPacketIo.Input("lo", 6)),
            EpollPacketIo.Config.DEFAULT)).getMessage());
    }
}
