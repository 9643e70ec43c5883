package io.mcrelay.linux.packet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;

/**
 * IPv4 UDP sockets for multicast ({@code ip(7)}, {@code socket(7)}): egress sockets pinned to an output interface,
 * and IGMP group memberships on an input interface so that real NICs and snooping switches deliver the groups.
 * {@code net.ipv4.igmp_max_memberships} limits memberships <em>per socket</em> (20 by default), so a
 * {@link Memberships} spreads its groups over as many sockets as the limit requires. Failures throw a
 * {@link LinuxException} naming the call, the interface and the group. Option numbers from {@code linux/in.h} and
 * {@code asm-generic/socket.h}; {@code struct ip_mreqn} is 12 bytes, {@code struct sockaddr_in} 16.
 */
public final class MulticastSockets {
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int IPPROTO_IP = 0;
    /** {@code linux/in.h}: queue errors of sent packets on the socket's error queue, and report local ones. */
    public static final int IP_RECVERR = 11;
    static final int IP_MULTICAST_IF = 32;
    static final int IP_MULTICAST_TTL = 33;
    static final int IP_MULTICAST_LOOP = 34;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int MCAST_JOIN_SOURCE_GROUP = 46;
    /** {@code struct group_source_req}: interface index at 0, then two {@code sockaddr_storage} at 8 and 136. */
    private static final long GROUP_SOURCE_REQ_BYTES = 264;
    static final int SO_SNDBUF = 7;
    public static final int SO_BINDTODEVICE = 25;
    private static final Path IGMP_MAX_MEMBERSHIPS = Path.of("/proc/sys/net/ipv4/igmp_max_memberships");

    private static final MethodHandle CONNECT = SocketCalls.CONNECT;

    private MulticastSockets() {
    }

    /**
     * A UDP socket that sends out of {@code interfaceName} only ({@code SO_BINDTODEVICE}, {@code IP_MULTICAST_IF}),
     * with multicast TTL {@code ttl}, multicast loopback off and a send buffer of {@code sendBufferBytes} (0: the
     * system default). Needs {@code CAP_NET_RAW} for the device binding.
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
            throw new IllegalArgumentException("multicast TTL must be 0 to 255, not " + ttl);
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
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, arena.allocateFrom(ValueLayout.JAVA_INT, ttl),
                "setsockopt(IP_MULTICAST_TTL, " + ttl + ")");
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
            if ((int) CONNECT.invokeExact(capture, fd, sockaddr, 16) != 0) {
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
        try {
            // Line-wise: procfs reports a size of 0, and whole-file reads sized by it are not reliable here.
            return Integer.parseInt(Files.readAllLines(IGMP_MAX_MEMBERSHIPS).getFirst().trim());
        } catch (final IOException | RuntimeException e) {
            return 20; // the kernel's default
        }
    }

    /** One membership: a group, from any source ({@code source} null) or from one source only (SSM, IGMPv3). */
    public record Membership(Inet4Address group, Inet4Address source) {
        public Membership {
            if (!group.isMulticastAddress()) {
                throw new IllegalArgumentException("not a multicast group: " + group.getHostAddress());
            }
            if (source != null && (source.isMulticastAddress() || source.isAnyLocalAddress())) {
                throw new IllegalArgumentException("not a unicast source: " + source.getHostAddress());
            }
        }

        @Override
        public String toString() {
            return source == null ? group.getHostAddress() : "(" + source.getHostAddress() + ", "
                + group.getHostAddress() + ")";
        }
    }

    /** Joins every group in {@code groups} from any source; see {@link #joinAll}. */
    public static Memberships join(final String interfaceName, final List<Inet4Address> groups, final int perSocket) {
        return joinAll(interfaceName, groups.stream().map(g -> new Membership(g, null)).toList(), perSocket);
    }

    /**
     * Joins every membership on {@code interfaceName}, at most {@code perSocket} per socket: any-source ones with
     * {@code IP_ADD_MEMBERSHIP}, source-specific ones with {@code MCAST_JOIN_SOURCE_GROUP}. They last until
     * {@link Memberships#close()}; if one join fails, those made so far are left again and the error names it.
     */
    public static Memberships joinAll(final String interfaceName, final List<Membership> memberships,
        final int perSocket) {
        if (perSocket < 1) {
            throw new IllegalArgumentException("memberships per socket must be at least 1, not " + perSocket);
        }
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final List<Integer> sockets = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < memberships.size(); i++) {
                if (i % perSocket == 0) {
                    sockets.add(socket());
                }
                final Membership membership = memberships.get(i);
                if (membership.source() == null) {
                    final byte[] bytes = membership.group().getAddress();
                    final int groupBigEndian = ((bytes[0] & 0xFF) << 24) | ((bytes[1] & 0xFF) << 16)
                        | ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
                    Syscalls.setsockopt(sockets.getLast(), IPPROTO_IP, IP_ADD_MEMBERSHIP,
                        membershipRequest(arena, groupBigEndian, ifIndex),
                        "setsockopt(IP_ADD_MEMBERSHIP, " + membership + " on " + interfaceName + ")");
                } else {
                    final MemorySegment request = arena.allocate(GROUP_SOURCE_REQ_BYTES, 8);
                    request.set(ValueLayout.JAVA_INT, 0, ifIndex);
                    socketAddress(request, 8, membership.group());
                    socketAddress(request, 136, membership.source());
                    Syscalls.setsockopt(sockets.getLast(), IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, request,
                        "setsockopt(MCAST_JOIN_SOURCE_GROUP, " + membership + " on " + interfaceName + ")");
                }
            }
            return new Memberships(sockets);
        } catch (final RuntimeException e) {
            sockets.forEach(Syscalls::close);
            throw e;
        }
    }

    /** A {@code sockaddr_in} (family, port 0, address) at {@code offset}. */
    private static void socketAddress(final MemorySegment into, final long offset, final Inet4Address address) {
        into.set(ValueLayout.JAVA_SHORT, offset, (short) AF_INET);
        MemorySegment.copy(address.getAddress(), 0, into, ValueLayout.JAVA_BYTE, offset + 4, 4);
    }

    /** Group memberships held by a set of sockets; closing them leaves the groups. */
    public static final class Memberships implements AutoCloseable {
        private final List<Integer> sockets;
        private boolean closed;

        private Memberships(final List<Integer> sockets) {
            this.sockets = List.copyOf(sockets);
        }

        /** How many sockets hold the memberships. */
        public int sockets() {
            return sockets.size();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                sockets.forEach(Syscalls::close);
            }
        }
    }

    /** {@code struct ip_mreqn}: the group (network order), no local address, the interface index. */
    private static MemorySegment membershipRequest(final Arena arena, final int groupBigEndian, final int ifIndex) {
        final MemorySegment request = arena.allocate(12, 4);
        request.set(ValueLayout.JAVA_INT, 0, Integer.reverseBytes(groupBigEndian));
        request.set(ValueLayout.JAVA_INT, 8, ifIndex);
        return request;
    }

    private static int socket() {
        return Syscalls.socket(AF_INET, SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0, "socket(AF_INET, SOCK_DGRAM)");
    }
}
