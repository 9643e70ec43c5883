package io.mcrelay.linux.packet;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Syscalls;

/**
 * A plain {@code AF_PACKET} {@code SOCK_RAW} socket (no receive ring) bound to one interface: what sends a raw frame
 * onto a link (tests and benchmarks inject frames with it), and a descriptor that is a bound packet socket without
 * being a ring (the backends refuse it as an input, naming why). Stateless.
 */
public final class PlainPacketSocket {
    private PlainPacketSocket() {
    }

    /**
     * Opens the socket bound to {@code interfaceName}. It is made with protocol 0 and given {@code ETH_P_ALL} only by
     * the bind, so no frame of another interface is queued in between, and it carries the coarse receive filter
     * ({@link PacketPrograms#coarseUdpFilter()}: incoming IPv4/UDP only) from before the bind. Needs
     * {@code CAP_NET_RAW}.
     *
     * @throws LinuxException naming the call that failed (e.g. {@code if_nametoindex} of a missing interface)
     */
    public static int open(final String interfaceName) {
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final int fd = Syscalls.socket(PacketRxRing.AF_PACKET, PacketRxRing.SOCK_RAW | Syscalls.SOCK_CLOEXEC, 0,
            "socket(AF_PACKET, SOCK_RAW)");
        try {
            // Filtered before it is bound: no frame other than incoming IPv4/UDP is ever queued on it.
            PacketRxRing.attachFilter(fd, PacketPrograms.coarseUdpFilter());
            PacketRxRing.bindToInterface(fd, ifIndex, interfaceName);
            return fd;
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e;
        }
    }
}
