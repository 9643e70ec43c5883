package io.mcrelay.linux.packet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;

/**
 * IPv4 UDP sockets for multicast ({@code ip(7)}, {@code socket(7)}): egress sockets pinned to an output interface, and
 * the options, structures and sysctls that {@link KernelGroupMemberships} joins input groups with. Failures throw a
 * {@link LinuxException} naming the call and the interface. Option numbers from {@code linux/in.h} and
 * {@code asm-generic/socket.h}; {@code struct ip_mreqn} is 12 bytes, {@code struct sockaddr_in} 16.
 */
public final class MulticastSockets {
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int IPPROTO_IP = 0;
    /** {@code linux/in.h}: queue errors of sent packets on the socket's error queue, and report local ones. */
    public static final int IP_RECVERR = 11;
    /** {@code IP_TTL}: the TTL of unicast datagrams. */
    static final int IP_TTL = 2;
    static final int IP_MULTICAST_IF = 32;
    static final int IP_MULTICAST_TTL = 33;
    static final int IP_MULTICAST_LOOP = 34;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int IP_DROP_MEMBERSHIP = 36;
    static final int MCAST_JOIN_SOURCE_GROUP = 46;
    static final int MCAST_LEAVE_SOURCE_GROUP = 47;
    /** {@code struct group_source_req}: interface index at 0, then two {@code sockaddr_storage} at 8 and 136. */
    static final long GROUP_SOURCE_REQ_BYTES = 264;
    static final int SO_SNDBUF = 7;
    public static final int SO_BINDTODEVICE = 25;
    private static final Path IGMP_MAX_MEMBERSHIPS = Path.of("/proc/sys/net/ipv4/igmp_max_memberships");
    private static final Path IGMP_MAX_MSF = Path.of("/proc/sys/net/ipv4/igmp_max_msf");


    private MulticastSockets() {
    }

    /**
     * A UDP socket that sends out of {@code interfaceName} only ({@code SO_BINDTODEVICE}, {@code IP_MULTICAST_IF}),
     * with TTL {@code ttl} (1 to 255) for multicast and unicast datagrams alike ({@code IP_MULTICAST_TTL} and
     * {@code IP_TTL}: a rule's TTL applies to each of its outputs, whatever their kind), or the kernel's defaults for
     * 0 (1 for multicast, {@code net.ipv4.ip_default_ttl}, 64, for unicast), multicast loopback off and a send buffer
     * of {@code sendBufferBytes} (0: the system default). Needs {@code CAP_NET_RAW} for the device binding.
     *
     * <p>It has {@code IP_RECVERR} on, for two reasons: a send that the device's queue refuses (a qdisc drop) fails
     * with {@code ENOBUFS}, where without it Linux's {@code udp_send_skb} reports success for a packet it dropped; and
     * the errors the network reports later for packets already sent (an ICMP port unreachable after a send to a
     * unicast address: {@code ECONNREFUSED}) are queued on the socket's error queue ({@code MSG_ERRQUEUE}, one
     * {@code struct sock_extended_err} each), where the owner reads them. The queue is charged to the receive buffer,
     * so an owner that never reads it loses reports, not memory.
     */
    public static int openEgress(final String interfaceName, final int ttl, final int sendBufferBytes) {
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("TTL must be 0 (the defaults) to 255, not " + ttl);
        }
        if (sendBufferBytes < 0) {
            throw new IllegalArgumentException("send buffer size must not be negative: " + sendBufferBytes);
        }
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final int fd = socket();
        try (Arena arena = Arena.ofConfined()) {
            Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_BINDTODEVICE, arena.allocateFrom(interfaceName),
                "setsockopt(SO_BINDTODEVICE, " + interfaceName + ")");
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, membershipRequest(arena, 0, ifIndex),
                "setsockopt(IP_MULTICAST_IF, " + interfaceName + ")");
            if (ttl > 0) {
                Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, arena.allocateFrom(ValueLayout.JAVA_INT, ttl),
                    "setsockopt(IP_MULTICAST_TTL, " + ttl + ")");
                Syscalls.setsockopt(fd, IPPROTO_IP, IP_TTL, arena.allocateFrom(ValueLayout.JAVA_INT, ttl),
                    "setsockopt(IP_TTL, " + ttl + ")");
            }
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, arena.allocateFrom(ValueLayout.JAVA_INT, 0),
                "setsockopt(IP_MULTICAST_LOOP, 0)");
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_RECVERR, arena.allocateFrom(ValueLayout.JAVA_INT, 1),
                "setsockopt(IP_RECVERR, 1)");
            if (sendBufferBytes > 0) {
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_SNDBUF,
                    arena.allocateFrom(ValueLayout.JAVA_INT, sendBufferBytes),
                    "setsockopt(SO_SNDBUF, " + sendBufferBytes + ")");
            }
            return fd;
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e;
        }
    }

    /** Sets the default destination of a UDP socket, so that {@code SEND} needs no address. */
    public static void connect(final int fd, final Inet4Address address, final int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1 to 65535, not " + port);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment sockaddr = arena.allocate(16, 4);
            sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            sockaddr.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) port));
            MemorySegment.copy(address.getAddress(), 0, sockaddr, ValueLayout.JAVA_BYTE, 4, 4);
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            if ((int) SocketCalls.connect().invokeExact(capture, fd, sockaddr, 16) != 0) {
                throw new LinuxException("connect to " + address.getHostAddress() + ":" + port,
                    Syscalls.errno(capture));
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("connect could not be called", t);
        }
    }

    /** The per-socket IGMP membership limit of this network namespace ({@code net.ipv4.igmp_max_memberships}). */
    public static int igmpMaxMemberships() {
        return sysctl(IGMP_MAX_MEMBERSHIPS, 20); // the kernel's default
    }

    /** The per-socket, per-group source limit of this network namespace ({@code net.ipv4.igmp_max_msf}). */
    public static int igmpMaxMsf() {
        return sysctl(IGMP_MAX_MSF, 10); // the kernel's default
    }

    private static int sysctl(final Path path, final int kernelDefault) {
        try {
            // Line-wise: procfs reports a size of 0, and whole-file reads sized by it are not reliable here.
            return Math.max(1, Integer.parseInt(Files.readAllLines(path).getFirst().trim()));
        } catch (final IOException | RuntimeException e) {
            return kernelDefault;
        }
    }

    /** {@code struct ip_mreqn}: the group (network order), no local address, the interface index. */
    static MemorySegment membershipRequest(final Arena arena, final int groupBigEndian, final int ifIndex) {
        final MemorySegment request = arena.allocate(12, 4);
        request.set(ValueLayout.JAVA_INT, 0, Integer.reverseBytes(groupBigEndian));
        request.set(ValueLayout.JAVA_INT, 8, ifIndex);
        return request;
    }

    static int socket() {
        return Syscalls.socket(AF_INET, SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0, "socket(AF_INET, SOCK_DGRAM)");
    }
}
