package io.mcrelay.seam;

/**
 * IPv4 group memberships (IGMP) on the input interfaces, so that a NIC's multicast filter and the IGMP-snooping
 * switches and routers in front of it deliver the groups the rules receive. The supervisor's core decides which
 * memberships exist and which socket holds each ({@code Memberships}); this seam only executes. Production: UDP
 * sockets joined with {@code IP_ADD_MEMBERSHIP} (any source) or {@code MCAST_JOIN_SOURCE_GROUP} (IGMPv3,
 * source-specific); simulation: a record that enforces the kernel's rules.
 *
 * <p>Contract (the kernel's, {@code net/ipv4/igmp.c}): sockets are numbered per interface by the caller; a socket
 * opens on its first join and closes when its last membership is left. On one socket a group is held at most once,
 * either from any source or from a set of sources, never both: an any-source join of a group held from sources is
 * refused ({@code EADDRINUSE}), and a source join of a group held from any source switches it to that source (the
 * kernel's mode switch of an empty filter), which the core never asks for; a socket holds at
 * most {@link Limits#groupsPerSocket} groups and, per group, at most {@link Limits#sourcesPerGroup} sources
 * ({@code ENOBUFS}); a join on an interface that does not exist fails ({@code ENODEV}). A refused join changes
 * nothing and returns the reason; it never throws for a refusal. Leaving what is not held is a no-op.
 */
public interface GroupMemberships {
    /**
     * One membership: IPv4 {@code group} from any source ({@code source} 0) or from {@code source} only (IGMPv3
     * INCLUDE). Addresses are 32-bit values, the first octet in the high byte. Ordered by group, then source, any
     * source first.
     */
    record Membership(int group, int source) implements Comparable<Membership> {
        public Membership {
            if ((group & 0xF000_0000) != 0xE000_0000) {
                throw new IllegalArgumentException("not a multicast group: " + dotted(group));
            }
        }

        /** True when any sender's packets to the group are wanted. */
        public boolean isAnySource() {
            return source == 0;
        }

        @Override
        public int compareTo(final Membership other) {
            final int byGroup = Integer.compareUnsigned(group, other.group);
            return byGroup != 0 ? byGroup : Integer.compareUnsigned(source, other.source);
        }

        @Override
        public String toString() {
            return isAnySource() ? dotted(group) + " (any source)" : "(" + dotted(source) + ", " + dotted(group) + ")";
        }

        /** {@code a.b.c.d} of a 32-bit address. */
        public static String dotted(final int address) {
            return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
                + (address & 0xFF);
        }
    }

    /**
     * The kernel's per-socket limits: {@code net.ipv4.igmp_max_memberships} groups per socket and
     * {@code net.ipv4.igmp_max_msf} sources per group per socket.
     */
    record Limits(int groupsPerSocket, int sourcesPerGroup) {
        public Limits {
            if (groupsPerSocket < 1 || sourcesPerGroup < 1) {
                throw new IllegalArgumentException("membership limits must be at least 1: " + groupsPerSocket
                    + " groups per socket, " + sourcesPerGroup + " sources per group");
            }
        }
    }

    /** The limits as they are now (read each time: an operator may raise them). */
    Limits limits();

    /**
     * Makes socket {@code socket} (0 or more) of {@code interfaceName} join {@code membership}, opening it when it
     * holds nothing yet.
     *
     * @return {@code null} when joined, otherwise the refusal: the call and the kernel's reason
     */
    String join(String interfaceName, int socket, Membership membership);

    /** Makes socket {@code socket} of {@code interfaceName} leave {@code membership}; closes it when it is empty. */
    void leave(String interfaceName, int socket, Membership membership);

    /**
     * Closes every socket of {@code interfaceName}: the interface went or was created anew, and the kernel dropped its
     * memberships with the old device.
     */
    void forget(String interfaceName);
}
