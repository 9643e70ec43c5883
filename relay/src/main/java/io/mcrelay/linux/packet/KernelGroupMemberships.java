package io.mcrelay.linux.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.GroupMemberships;

/**
 * The {@link GroupMemberships} seam on the kernel: one {@code AF_INET} datagram socket per (interface, socket
 * number), joined with {@code IP_ADD_MEMBERSHIP} ({@code struct ip_mreqn}, any source) or
 * {@code MCAST_JOIN_SOURCE_GROUP} ({@code struct group_source_req}, IGMPv3 INCLUDE) and left with their
 * counterparts; the kernel sends the membership reports. Limits come from {@code /proc/sys/net/ipv4}
 * ({@code igmp_max_memberships}, {@code igmp_max_msf}) of the caller's network namespace. A refused join is logged
 * at WARN with the interface, the membership and the kernel's reason, and returned. Not thread-safe.
 */
public final class KernelGroupMemberships implements GroupMemberships, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelGroupMemberships.class);

    /** Socket per "interface/number", with how many memberships it holds. */
    private final Map<String, Map<Integer, Held>> sockets = new TreeMap<>();

    private static final class Held {
        final int fd;
        int memberships;

        Held(final int fd) {
            this.fd = fd;
        }
    }

    @Override
    public Limits limits() {
        return new Limits(MulticastSockets.igmpMaxMemberships(), MulticastSockets.igmpMaxMsf());
    }

    @Override
    public String join(final String interfaceName, final int socket, final Membership membership) {
        final Map<Integer, Held> ofInterface = sockets.computeIfAbsent(interfaceName, n -> new TreeMap<>());
        Held held = ofInterface.get(socket);
        final boolean opened = held == null;
        try {
            final int ifIndex = Syscalls.ifIndex(interfaceName);
            if (opened) {
                held = new Held(MulticastSockets.socket());
            }
            set(held.fd, interfaceName, ifIndex, membership, true);
            held.memberships++;
            if (opened) {
                ofInterface.put(socket, held);
            }
            if (membership.isAnySource() && (membership.group() >>> 24) == 232) {
                LOG.warn("input {}: joined {} from any source, but it is in the source-specific range "
                    + "232.0.0.0/8, where routers ignore any-source reports (RFC 4607): name the sender with "
                    + "input_source", interfaceName, Membership.dotted(membership.group()));
            }
            return null;
        } catch (final LinuxException e) {
            if (opened && held != null) {
                Syscalls.close(held.fd);
            }
            if (ofInterface.isEmpty()) {
                sockets.remove(interfaceName);
            }
            LOG.warn("input {}: the kernel refused to join {}, retried when the interface changes: {}",
                interfaceName, membership, e.getMessage());
            return e.getMessage();
        }
    }

    @Override
    public void leave(final String interfaceName, final int socket, final Membership membership) {
        final Map<Integer, Held> ofInterface = sockets.get(interfaceName);
        final Held held = ofInterface == null ? null : ofInterface.get(socket);
        if (held == null) {
            return;
        }
        try {
            set(held.fd, interfaceName, Syscalls.ifIndex(interfaceName), membership, false);
            held.memberships--;
        } catch (final LinuxException e) {
            // The interface went between the decision and now: its memberships went with it.
            LOG.debug("input {}: leaving {}: {}", interfaceName, membership, e.getMessage());
            held.memberships = 0;
        }
        if (held.memberships <= 0) {
            Syscalls.close(held.fd);
            ofInterface.remove(socket);
            if (ofInterface.isEmpty()) {
                sockets.remove(interfaceName);
            }
        }
    }

    @Override
    public void forget(final String interfaceName) {
        final Map<Integer, Held> ofInterface = sockets.remove(interfaceName);
        if (ofInterface != null) {
            ofInterface.values().forEach(held -> Syscalls.close(held.fd));
        }
    }

    /** Closes every socket, leaving every group. */
    @Override
    public void close() {
        sockets.values().forEach(ofInterface -> ofInterface.values().forEach(held -> Syscalls.close(held.fd)));
        sockets.clear();
    }

    private static void set(final int fd, final String interfaceName, final int ifIndex, final Membership membership,
                            final boolean join) {
        try (Arena arena = Arena.ofConfined()) {
            if (membership.isAnySource()) {
                final String call = (join ? "setsockopt(IP_ADD_MEMBERSHIP, " : "setsockopt(IP_DROP_MEMBERSHIP, ")
                    + membership + " on " + interfaceName + ")";
                Syscalls.setsockopt(fd, MulticastSockets.IPPROTO_IP, join ? MulticastSockets.IP_ADD_MEMBERSHIP
                    : MulticastSockets.IP_DROP_MEMBERSHIP,
                    MulticastSockets.membershipRequest(arena, membership.group(), ifIndex), call);
            } else {
                final MemorySegment request = arena.allocate(MulticastSockets.GROUP_SOURCE_REQ_BYTES, 8);
                request.set(ValueLayout.JAVA_INT, 0, ifIndex);
                address(request, 8, membership.group());
                address(request, 136, membership.source());
                final String call = (join ? "setsockopt(MCAST_JOIN_SOURCE_GROUP, "
                    : "setsockopt(MCAST_LEAVE_SOURCE_GROUP, ") + membership + " on " + interfaceName + ")";
                Syscalls.setsockopt(fd, MulticastSockets.IPPROTO_IP, join ? MulticastSockets.MCAST_JOIN_SOURCE_GROUP
                    : MulticastSockets.MCAST_LEAVE_SOURCE_GROUP, request, call);
            }
        }
    }

    /** A {@code sockaddr_in} at {@code offset}: family, port 0, the address in network order. */
    private static void address(final MemorySegment into, final long offset, final int address) {
        into.set(ValueLayout.JAVA_SHORT, offset, (short) MulticastSockets.AF_INET);
        into.set(ValueLayout.JAVA_INT_UNALIGNED, offset + 4, Integer.reverseBytes(address));
    }
}
