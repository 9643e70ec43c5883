package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;

/**
 * IPv4 UDP sockets that send to one destination out of one interface ({@code ip(7)}, {@code socket(7)}), for the
 * traffic generator: {@link #openConnected} gives a socket ready for {@link SendBatch#send}. Option numbers from
 * {@code linux/in.h} and {@code asm-generic/socket.h}; {@code struct ip_mreqn} (multiaddr, address, ifindex: 12
 * bytes) from {@code linux/in.h}; {@code struct sockaddr_in} (family, port, address, zero: 16 bytes) from
 * {@code linux/in.h}. Set-up only: each call may allocate; failures throw a {@link LinuxException} naming the call.
 * Thread-safe (stateless).
 */
public final class UdpSockets {
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int IPPROTO_IP = 0;
    static final int IP_MULTICAST_IF = 32;
    static final int IP_MULTICAST_TTL = 33;
    static final int SO_REUSEADDR = 2;
    static final int SO_BINDTODEVICE = 25;
    static final int IP_MREQN_BYTES = 12;
    static final int SOCKADDR_IN_BYTES = 16;

    private UdpSockets() {
    }

    /**
     * A UDP socket connected to {@code destination:port} that sends out of {@code interfaceName}.
     *
     * <p>{@code SO_BINDTODEVICE} pins every packet, unicast or multicast, to the interface (Linux 5.7+ allows it
     * without {@code CAP_NET_RAW}); where the kernel refuses it with {@code EPERM} and the destination is a group,
     * {@code IP_MULTICAST_IF} (by interface index) alone chooses the interface, which is all multicast needs; for a
     * unicast destination the refusal is an error. {@code IP_MULTICAST_TTL} is {@code multicastTtl};
     * {@code IP_MULTICAST_LOOP} keeps the kernel's default (on), so a receiver on this host sees the packets.
     *
     * @param sourcePort the local port to bind (with {@code SO_REUSEADDR}, so several sockets may share it), or 0
     *     for one the kernel picks
     * @return the socket's descriptor; the caller closes it with {@link Syscalls#close}
     */
    public static int openConnected(final Inet4Address destination, final int port, final String interfaceName,
        final int sourcePort, final int multicastTtl) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("destination port must be 1 to 65535, not " + port);
        }
        if (sourcePort < 0 || sourcePort > 65_535) {
            throw new IllegalArgumentException("source port must be 0 to 65535, not " + sourcePort);
        }
        if (multicastTtl < 0 || multicastTtl > 255) {
            throw new IllegalArgumentException("multicast TTL must be 0 to 255, not " + multicastTtl);
        }
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final int fd = Syscalls.socket(AF_INET, SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0, "socket(AF_INET, SOCK_DGRAM)");
        try (Arena arena = Arena.ofConfined()) {
            try {
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_BINDTODEVICE, arena.allocateFrom(interfaceName),
                    "setsockopt(SO_BINDTODEVICE, " + interfaceName + ")");
            } catch (final LinuxException e) {
                if (e.errno() != Errno.EPERM || !destination.isMulticastAddress()) {
                    throw e;
                }
            }
            final MemorySegment request = arena.allocate(IP_MREQN_BYTES, 4);
            request.set(ValueLayout.JAVA_INT, 8, ifIndex); // imr_multiaddr and imr_address 0: the index decides
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, request,
                "setsockopt(IP_MULTICAST_IF, " + interfaceName + ")");
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, arena.allocateFrom(ValueLayout.JAVA_INT,
                multicastTtl), "setsockopt(IP_MULTICAST_TTL, " + multicastTtl + ")");
            if (sourcePort != 0) {
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_REUSEADDR, arena.allocateFrom(ValueLayout.JAVA_INT, 1),
                    "setsockopt(SO_REUSEADDR)");
                final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
                if ((int) SocketCalls.bind().invokeExact(capture, fd, socketAddress(arena, null, sourcePort),
                    SOCKADDR_IN_BYTES) != 0) {
                    throw new LinuxException("bind to source port " + sourcePort, Syscalls.errno(capture));
                }
            }
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            if ((int) SocketCalls.connect().invokeExact(capture, fd, socketAddress(arena, destination, port),
                SOCKADDR_IN_BYTES) != 0) {
                throw new LinuxException("connect to " + destination.getHostAddress() + ":" + port,
                    Syscalls.errno(capture));
            }
            return fd;
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e;
        } catch (final Throwable t) {
            Syscalls.close(fd);
            throw new IllegalStateException("bind or connect could not be called", t);
        }
    }

    /** A {@code sockaddr_in}: family, port (network order), address (null: {@code INADDR_ANY}). */
    private static MemorySegment socketAddress(final Arena arena, final Inet4Address address, final int port) {
        final MemorySegment sockaddr = arena.allocate(SOCKADDR_IN_BYTES, 4);
        sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        sockaddr.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) port));
        if (address != null) {
            MemorySegment.copy(address.getAddress(), 0, sockaddr, ValueLayout.JAVA_BYTE, 4, 4);
        }
        return sockaddr;
    }
}
