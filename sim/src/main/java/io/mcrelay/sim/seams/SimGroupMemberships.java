package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.seam.GroupMemberships;

/**
 * {@link GroupMemberships} over a {@link SimNetwork}, with the kernel's rules ({@code net/ipv4/igmp.c}) and its
 * errors: per socket, a group at most once, from any source or from sources (a source join on a group held from any
 * source switches it to that source, as the kernel allows for an empty filter; an any-source join on a group held
 * from sources, or a repeated join: {@code EADDRINUSE}); at most
 * {@link Limits#groupsPerSocket} groups and {@link Limits#sourcesPerGroup} sources per group ({@code ENOBUFS}); a join
 * on an interface that does not exist: {@code ENODEV}. A membership remembers the interface index it was made on, as
 * the kernel's does: once the link is deleted (or created anew) it no longer counts on the interface, though it stays
 * on its socket until left or forgotten.
 *
 * <p>A fault may refuse joins ({@link #refuseJoins}): each join is then refused with {@code ENOBUFS} as if the kernel
 * were out of memory. The last refusal of each (interface, membership) is kept until it is joined, for the membership
 * checker. One instance is one supervisor process's sockets: its death ({@link #close()}) leaves everything.
 * Single-threaded.
 */
public final class SimGroupMemberships implements GroupMemberships, AutoCloseable {
    /** One membership on a socket, with the index of the interface it was made on. */
    private record Held(int ifIndex, TreeSet<Integer> sources) {
    }

    private final SimNetwork network;
    private final Limits limits;
    /** interface → socket → group → membership (sources empty: any source). */
    private final TreeMap<String, TreeMap<Integer, TreeMap<Integer, Held>>> sockets = new TreeMap<>();
    private final TreeMap<String, TreeMap<Membership, String>> refusals = new TreeMap<>();
    private boolean refuseJoins;
    private long joins;
    private long refused;

    public SimGroupMemberships(final SimNetwork network, final Limits limits) {
        this.network = Objects.requireNonNull(network, "network");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** While on, every join is refused ({@code ENOBUFS}), as a kernel out of memory would. */
    public void refuseJoins(final boolean refuse) {
        this.refuseJoins = refuse;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    @Override
    public String join(final String interfaceName, final int socket, final Membership membership) {
        final String call = (membership.isAnySource() ? "setsockopt(IP_ADD_MEMBERSHIP, "
            : "setsockopt(MCAST_JOIN_SOURCE_GROUP, ") + membership + " on " + interfaceName + ")";
        final int ifIndex = network.interfaceIndex(interfaceName);
        final String refusal = refusal(interfaceName, ifIndex, socket, membership);
        if (refusal != null) {
            refused++;
            final String reason = call + " failed: " + refusal;
            refusals.computeIfAbsent(interfaceName, n -> new TreeMap<>()).put(membership, reason);
            return reason;
        }
        joins++;
        final TreeMap<Integer, Held> groups = sockets.computeIfAbsent(interfaceName, n -> new TreeMap<>())
            .computeIfAbsent(socket, s -> new TreeMap<>());
        Held held = groups.get(membership.group());
        if (held == null || held.ifIndex() != ifIndex) {
            held = new Held(ifIndex, new TreeSet<>()); // a stale one (made on a gone device) is replaced
            groups.put(membership.group(), held);
        }
        if (!membership.isAnySource()) {
            held.sources().add(membership.source());
        }
        final TreeMap<Membership, String> here = refusals.get(interfaceName);
        if (here != null && here.remove(membership) != null && here.isEmpty()) {
            refusals.remove(interfaceName);
        }
        return null;
    }

    private String refusal(final String interfaceName, final int ifIndex, final int socket,
                           final Membership membership) {
        if (ifIndex == 0) {
            return "ENODEV (no such device)";
        }
        if (refuseJoins) {
            return "ENOBUFS (no buffer space)";
        }
        final TreeMap<Integer, Held> groups = sockets.getOrDefault(interfaceName, new TreeMap<>())
            .getOrDefault(socket, new TreeMap<>());
        final Held held = groups.get(membership.group());
        if (held != null && held.ifIndex() == ifIndex) {
            if (membership.isAnySource() || held.sources().contains(membership.source())) {
                return "EADDRINUSE (address already in use)";
            }
            if (held.sources().isEmpty()) {
                return null; // an any-source membership switches to this source
            }
            return held.sources().size() >= limits.sourcesPerGroup() ? "ENOBUFS (no buffer space)" : null;
        }
        return groups.size() >= limits.groupsPerSocket() ? "ENOBUFS (no buffer space)" : null;
    }

    @Override
    public void leave(final String interfaceName, final int socket, final Membership membership) {
        final TreeMap<Integer, TreeMap<Integer, Held>> ofInterface = sockets.get(interfaceName);
        final TreeMap<Integer, Held> groups = ofInterface == null ? null : ofInterface.get(socket);
        final Held held = groups == null ? null : groups.get(membership.group());
        if (held == null || held.ifIndex() != network.interfaceIndex(interfaceName)) {
            return; // not held, or made on a device that is gone (the kernel finds no such membership)
        }
        if (!membership.isAnySource() && !held.sources().contains(membership.source())) {
            return; // (an any-source leave drops the group whatever its sources, as IP_DROP_MEMBERSHIP does)
        }
        held.sources().remove(membership.source());
        if (membership.isAnySource() || held.sources().isEmpty()) {
            groups.remove(membership.group());
        }
        if (groups.isEmpty()) {
            ofInterface.remove(socket);
            if (ofInterface.isEmpty()) {
                sockets.remove(interfaceName);
            }
        }
    }

    @Override
    public void forget(final String interfaceName) {
        sockets.remove(interfaceName);
    }

    /** The supervisor process died: its sockets close, leaving every group. */
    @Override
    public void close() {
        sockets.clear();
        refusals.clear();
    }

    /**
     * What {@code interfaceName} has joined now (memberships made on its current index): each group, with the
     * sources some socket includes it from (empty when only any-source memberships hold it).
     */
    public SortedMap<Integer, SortedSet<Integer>> joined(final String interfaceName) {
        final int ifIndex = network.interfaceIndex(interfaceName);
        final TreeMap<Integer, SortedSet<Integer>> out = new TreeMap<>(Integer::compareUnsigned);
        sockets.getOrDefault(interfaceName, new TreeMap<>()).values().forEach(groups -> groups.forEach((group, held) -> {
            if (held.ifIndex() == ifIndex && ifIndex != 0) {
                out.computeIfAbsent(group, g -> new TreeSet<>(Integer::compareUnsigned)).addAll(held.sources());
            }
        }));
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * The sockets holding each membership on {@code interfaceName}'s current index: one each is what the rules
     * need.
     */
    public SortedMap<Membership, List<Integer>> holders(final String interfaceName) {
        final int ifIndex = network.interfaceIndex(interfaceName);
        final TreeMap<Membership, List<Integer>> out = new TreeMap<>();
        sockets.getOrDefault(interfaceName, new TreeMap<>()).forEach((socket, groups) -> groups.forEach((group, held) -> {
            if (held.ifIndex() != ifIndex || ifIndex == 0) {
                return;
            }
            if (held.sources().isEmpty()) {
                out.computeIfAbsent(new Membership(group, 0), m -> new ArrayList<>()).add(socket);
            }
            held.sources().forEach(source -> out.computeIfAbsent(new Membership(group, source),
                m -> new ArrayList<>()).add(socket));
        }));
        return Collections.unmodifiableSortedMap(out);
    }

    /** The joins refused on {@code interfaceName} and not made since, with their reasons. */
    public SortedMap<Membership, String> refusals(final String interfaceName) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(refusals.getOrDefault(interfaceName, new TreeMap<>())));
    }

    /** Joins made and refused so far. */
    public long joins() {
        return joins;
    }

    public long refused() {
        return refused;
    }
}
