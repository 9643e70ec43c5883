package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.PacketIo;

/**
 * The simulated world that {@link SimPacketIo} and {@link SimLinkMonitor} see: named links, each with an
 * {@code ifIndex}, an up/down state and a bounded egress queue that drains a configurable number of packets per
 * {@link #step()}. A frame put on a link's wire with {@link #injectFrame} reaches the packet sockets open on the link:
 * each {@link #openInput input group} on it (in the order they opened) whose filter keeps it gives it to one member's
 * ring; a link with no socket open delivers to nobody ({@link Drop#INGRESS_NO_RECEIVER}), as on Linux. Sends submitted
 * by an I/O move onto their output link's egress queue at the next step, and from there to the destination, where
 * they are recorded for {@link #delivered} and handed to an optional {@link DeliveryListener}.
 *
 * <p>Everything is deterministic: no clock, thread or randomness (faults are decorators), links are visited in name
 * order, groups in opening order and I/Os in attach order. The steady-state path (inject, step, deliver without
 * recording) allocates nothing.
 * Single-threaded: the simulator's one thread drives the network and every I/O and monitor attached to it.
 */
public final class SimNetwork {
    /** Egress queue depth of a new link: Linux's default {@code txqueuelen}. */
    public static final int DEFAULT_EGRESS_CAPACITY_PACKETS = 1000;
    /** Drain rate of a link that is not slowed: everything queued leaves in one step. */
    public static final int UNLIMITED_DRAIN_PER_STEP = Integer.MAX_VALUE;
    /** Largest UDP payload over IPv4 (65,535 − 20 − 8); a longer send completes with {@code -EMSGSIZE}. */
    public static final int UDP_PAYLOAD_BYTES_MAX = 65_507;
    /** Largest frame the wire carries: a maximal IPv4 packet behind a 14-byte Ethernet header. */
    public static final int FRAME_BYTES_MAX = 14 + 65_535;
    /** {@code EMSGSIZE} from {@code asm-generic/errno.h}: what the kernel answers a datagram that cannot fit. */
    public static final int EMSGSIZE = 90;
    /** Payloads {@link #delivered} keeps by default before it only counts. */
    public static final int DEFAULT_RECORD_LIMIT_PACKETS = 1 << 16;
    /** Events a monitor holds before the simulation is declared broken (netlink would overflow). */
    public static final int DEFAULT_MONITOR_CAPACITY_EVENTS = 1 << 16;
    /** Bound on {@link #settle()}: a network that still moves packets after this many steps is stuck in a loop. */
    public static final int SETTLE_STEP_LIMIT = 1_000_000;

    /** Why a frame or a packet did not arrive; each loss is counted under exactly one reason. */
    public enum Drop {
        /** A frame injected on a link that does not exist. */
        INGRESS_NO_LINK,
        /** A frame injected on a link that is down: a down interface receives nothing. */
        INGRESS_LINK_DOWN,
        /** A frame on a link with no input group that has a member: no packet socket is open on the link. */
        INGRESS_NO_RECEIVER,
        /**
         * A frame an input group's socket filter refused (not IPv4/UDP to one of its (group, port) pairs; see
         * {@link SimInputFilter}): counted once per group that refused it, never as a member's packet.
         */
        FILTERED,
        /** An I/O's receive ring was full (the kernel's {@code tp_drops}). */
        RX_RING_FULL,
        /** Frames still in a group member's ring when it left its group (its last handle closed). */
        RX_CLOSED,
        /** A send to a link that does not exist ({@code -ENETUNREACH}, as Linux 6.x answers for a deleted one). */
        EGRESS_NO_LINK,
        /** A send to a link that is down ({@code -ENETUNREACH}, as Linux 6.x answers). */
        EGRESS_LINK_DOWN,
        /** A send to a link whose egress queue was full, answered {@code -EAGAIN} (a full socket buffer). */
        EGRESS_FULL,
        /**
         * A send to a link whose egress queue was full, answered {@code -ENOBUFS} (a full device queue; see
         * {@link #setEgressFullErrno}).
         */
        EGRESS_NO_BUFFER_SPACE,
        /** A packet queued on a link that went down or was deleted before it left. */
        EGRESS_FLUSHED,
        /** A payload longer than {@link #UDP_PAYLOAD_BYTES_MAX} ({@code -EMSGSIZE}). */
        TOO_LARGE,
        /** A send submitted by an I/O that closed before the network took it. */
        IO_CLOSED
    }

    private static final Drop[] DROPS = Drop.values();
    private static final byte[] EMPTY = new byte[0];

    /** Where a payload goes: an output interface, a group (or unicast address) as text, and a UDP port. */
    public record Endpoint(String interfaceName, String group, int port) implements Comparable<Endpoint> {
        @Override
        public int compareTo(final Endpoint other) {
            int order = interfaceName.compareTo(other.interfaceName);
            if (order == 0) {
                order = group.compareTo(other.group);
            }
            return order != 0 ? order : Integer.compare(port, other.port);
        }
    }

    /** Sees every packet that reaches its destination, in delivery order. The payload is lent for the call. */
    @FunctionalInterface
    public interface DeliveryListener {
        void onDelivered(Endpoint endpoint, int ttl, DirectBuffer payload, int offset, int length);
    }

    // Sorted by name: the order in which links drain, so that it never depends on creation or hash order.
    private final TreeMap<String, NetworkLink> links = new TreeMap<>();
    // The same links as a list, rebuilt on create/delete, so that step() iterates without allocating an iterator.
    private final ArrayList<NetworkLink> linksByName = new ArrayList<>();
    // The same links for lookup by name (every send looks its link up): never iterated, rebuilt with linksByName.
    private final HashMap<String, NetworkLink> linksLookup = new HashMap<>();
    private final ArrayList<SimPacketIo> ios = new ArrayList<>();
    private final InputGroups inputGroups = new InputGroups();
    private final ArrayList<SimLinkMonitor> monitors = new ArrayList<>();
    private final TreeMap<Endpoint, List<byte[]>> recorded = new TreeMap<>();
    private final UnsafeBuffer injected = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer lent = new UnsafeBuffer(new byte[0]);
    private final int defaultEgressCapacityPackets;
    private final long[] drops = new long[DROPS.length];
    private int nextIfIndex = 1;
    private int recordLimitPackets = DEFAULT_RECORD_LIMIT_PACKETS;
    private long recordedPackets;
    private DeliveryListener deliveryListener;
    private long framesInjected;
    private long framesReceived;
    private long packetsAccepted;
    private long packetsDelivered;
    private long steps;

    private long linksVersion;

    /** A network with no links, whose links queue up to {@link #DEFAULT_EGRESS_CAPACITY_PACKETS} each. */
    public SimNetwork() {
        this(DEFAULT_EGRESS_CAPACITY_PACKETS);
    }

    /** A network with no links, whose new links queue up to {@code defaultEgressCapacityPackets} each. */
    public SimNetwork(final int defaultEgressCapacityPackets) {
        if (defaultEgressCapacityPackets < 0) {
            throw new IllegalArgumentException("egress capacity must not be negative: " + defaultEgressCapacityPackets);
        }
        this.defaultEgressCapacityPackets = defaultEgressCapacityPackets;
    }

    // ----- the world's verbs -----

    /** Creates a link, down, with the next free index (as {@code ip link add} does); returns the index. */
    public int createLink(final String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a link needs a name");
        }
        if (links.containsKey(name)) {
            throw new IllegalArgumentException("link " + name + " already exists");
        }
        if (nextIfIndex == Integer.MAX_VALUE) {
            throw new IllegalStateException("interface indices exhausted");
        }
        final NetworkLink link = new NetworkLink(name, nextIfIndex++, defaultEgressCapacityPackets);
        link.resize(link.egressCapacityPackets);
        links.put(name, link);
        linksVersion++;
        rebuildLinkList();
        assert link.ifIndex > 0 && linksByName.size() == links.size();
        publish(LinkMonitor.LinkEvent.Kind.ADDED, link);
        return link.ifIndex;
    }

    /** Creates a link and brings it up; returns its index. */
    public int createLinkUp(final String name) {
        final int ifIndex = createLink(name);
        setUp(name, true);
        return ifIndex;
    }

    /**
     * Deletes a link: packets still in its egress queue are dropped ({@link Drop#EGRESS_FLUSHED}); an up link is
     * first reported down, as the kernel closes a device before unregistering it. A link created later under the same
     * name gets a new index.
     */
    public void deleteLink(final String name) {
        final NetworkLink link = require(name);
        if (link.up) {
            setUp(name, false);
        }
        assert !link.up && link.depth == 0 : "a down link holds no egress packets";
        links.remove(name);
        linksVersion++;
        rebuildLinkList();
        publish(LinkMonitor.LinkEvent.Kind.REMOVED, link);
    }

    /**
     * Brings a link up or down; setting the state it already has changes nothing and reports nothing. Going down drops
     * the packets in its egress queue ({@link Drop#EGRESS_FLUSHED}), as deactivating a device flushes its qdisc.
     */
    public void setUp(final String name, final boolean up) {
        final NetworkLink link = require(name);
        if (link.up == up) {
            return;
        }
        link.up = up;
        if (up) {
            inputGroups.relink(name, link.ifIndex); // NETDEV_UP links the bound packet sockets again
        } else {
            drops[Drop.EGRESS_FLUSHED.ordinal()] += link.depth;
            while (link.depth > 0) {
                link.endpoints[link.head] = null;
                link.head = (link.head + 1) % link.slots.length;
                link.depth--;
            }
        }
        publish(up ? LinkMonitor.LinkEvent.Kind.UP : LinkMonitor.LinkEvent.Kind.DOWN, link);
    }

    /** Sets how many packets a link's egress queue holds; a smaller value than its depth takes effect as it drains. */
    public void setEgressCapacity(final String name, final int capacityPackets) {
        if (capacityPackets < 0) {
            throw new IllegalArgumentException("egress capacity must not be negative: " + capacityPackets);
        }
        final NetworkLink link = require(name);
        link.egressCapacityPackets = capacityPackets;
        if (capacityPackets > link.slots.length) {
            link.resize(capacityPackets);
        }
        assert link.slots.length >= link.depth;
    }

    /** Slows a link's output: at most {@code drainPerStepPackets} leave its egress queue per step (0 stalls it). */
    public void setDrainPerStep(final String name, final int drainPerStepPackets) {
        if (drainPerStepPackets < 0) {
            throw new IllegalArgumentException("drain rate must not be negative: " + drainPerStepPackets);
        }
        require(name).drainPerStepPackets = drainPerStepPackets;
    }

    /**
     * Which errno a send to this link's full egress queue completes with: {@link PacketIo#EAGAIN} (the default, a
     * full socket buffer; counted as {@link Drop#EGRESS_FULL}) or {@link PacketIo#ENOBUFS} (a full device queue;
     * counted as {@link Drop#EGRESS_NO_BUFFER_SPACE}).
     */
    public void setEgressFullErrno(final String name, final int errno) {
        if (errno != PacketIo.EAGAIN && errno != PacketIo.ENOBUFS) {
            throw new IllegalArgumentException("a full egress queue answers EAGAIN or ENOBUFS, not " + errno);
        }
        require(name).egressFullErrno = errno;
    }

    /** Sees every delivered packet from now on; null for none. */
    public void setDeliveryListener(final DeliveryListener listener) {
        this.deliveryListener = listener;
    }

    /** Keeps at most {@code limitPackets} delivered payloads for {@link #delivered} (0 keeps none); counts the rest. */
    public void setRecordLimit(final int limitPackets) {
        if (limitPackets < 0) {
            throw new IllegalArgumentException("record limit must not be negative: " + limitPackets);
        }
        recordLimitPackets = limitPackets;
    }

    /** Forgets the recorded payloads (counters are kept). */
    public void clearDelivered() {
        recorded.clear();
        recordedPackets = 0;
    }

    /** Puts a whole Ethernet frame on the wire of {@code linkName}, where the input groups open on it receive it. */
    public void injectFrame(final String linkName, final byte[] frame) {
        injected.wrap(frame);
        injectFrame(linkName, injected, 0, frame.length);
        injected.wrap(EMPTY);
    }

    /** Puts {@code length} bytes of {@code frame} on the wire of {@code linkName}; the bytes are copied. */
    public void injectFrame(final String linkName, final DirectBuffer frame, final int offset, final int length) {
        if (length <= 0 || length > FRAME_BYTES_MAX) {
            throw new IllegalArgumentException("a frame is 1.." + FRAME_BYTES_MAX + " bytes, not " + length);
        }
        framesInjected++;
        final NetworkLink link = link(linkName);
        if (link == null) {
            drops[Drop.INGRESS_NO_LINK.ordinal()]++;
            return;
        }
        if (!link.up) {
            drops[Drop.INGRESS_LINK_DOWN.ordinal()]++;
            return;
        }
        // Counted by each group that had a member: taken, refused by a full ring, or filtered.
        final boolean offered = inputGroups.offer(linkName, link.ifIndex, frame, offset, length);
        if (!offered) {
            drops[Drop.INGRESS_NO_RECEIVER.ordinal()]++;
        }
    }

    /**
     * Moves packets one step: every I/O's submitted sends go onto their output links (or complete with an error), in
     * attach then submission order; then every link, in name order, delivers up to its drain rate. Returns how many
     * packets moved.
     */
    public int step() {
        int moved = 0;
        for (int i = 0; i < ios.size(); i++) {
            moved += ios.get(i).transmitSubmitted();
        }
        for (int i = 0; i < linksByName.size(); i++) {
            moved += drain(linksByName.get(i));
        }
        steps++;
        assert moved >= 0;
        return moved;
    }

    /** Steps until nothing moves (a stalled link stays stalled); returns the number of steps taken. */
    public int settle() {
        int taken = 0;
        while (taken < SETTLE_STEP_LIMIT) {
            taken++;
            if (step() == 0) {
                return taken;
            }
        }
        throw new IllegalStateException("network still moving packets after " + SETTLE_STEP_LIMIT + " steps");
    }

    // ----- what the world looks like -----

    /** Changes whenever a link is created or deleted (so every index it had may have changed). */
    public long linksVersion() {
        return linksVersion;
    }

    /** The index of a link now, or 0 when there is none by that name. */
    public int interfaceIndex(final String name) {
        final NetworkLink link = link(name);
        return link == null ? 0 : link.ifIndex;
    }

    /** True when the link exists and is up. */
    public boolean isUp(final String name) {
        final NetworkLink link = link(name);
        return link != null && link.up;
    }

    /** Every link now, sorted by name. */
    public List<LinkMonitor.LinkState> links() {
        final List<LinkMonitor.LinkState> states = new ArrayList<>(linksByName.size());
        for (final NetworkLink link : linksByName) {
            states.add(new LinkMonitor.LinkState(link.name, link.ifIndex, link.up));
        }
        return Collections.unmodifiableList(states);
    }

    /** Packets waiting in a link's egress queue. */
    public int egressDepth(final String name) {
        return require(name).depth;
    }

    /** Copies of the payloads recorded at {@code group}:{@code port} out of {@code interfaceName}, in arrival order. */
    public List<byte[]> delivered(final String interfaceName, final byte[] group, final int port) {
        final List<byte[]> payloads = recorded.get(new Endpoint(interfaceName, groupText(group), port));
        if (payloads == null) {
            return List.of();
        }
        final List<byte[]> copies = new ArrayList<>(payloads.size());
        for (final byte[] payload : payloads) {
            copies.add(payload.clone());
        }
        return copies;
    }

    /** Frames put on any wire with {@link #injectFrame}. */
    public long framesInjected() {
        return framesInjected;
    }

    /** Frames taken into an input group member's ring (one injected frame counts once per group that took it). */
    public long framesReceived() {
        return framesReceived;
    }

    /** Sends that a link accepted into its egress queue (completed with their byte count). */
    public long packetsAccepted() {
        return packetsAccepted;
    }

    /** Packets that left an egress queue and reached their destination. */
    public long packetsDelivered() {
        return packetsDelivered;
    }

    /** Frames or packets lost for {@code reason}. */
    public long dropped(final Drop reason) {
        return drops[reason.ordinal()];
    }

    /** Steps taken so far. */
    public long steps() {
        return steps;
    }

    // ----- attachment -----

    /**
     * Opens a new input group on link {@code linkName}, with no member yet and the coarse filter (see
     * {@link SimInputGroup}): the packet sockets of one fanout group, bound to the link as it is now. From then on
     * every frame on the link that the group's filter keeps goes to one of its members, beside any other group's copy.
     * The group ends when every member that joined it has left.
     */
    public SimInputGroup openInput(final String linkName) {
        final NetworkLink link = require(linkName);
        final SimInputGroup group = new SimInputGroup(this, linkName, link.ifIndex);
        inputGroups.add(linkName, group);
        return group;
    }

    /** Counts {@code count} frames lost for {@code reason} in an input group, or (null) taken into a member's ring. */
    void countGroupFrames(final Drop reason, final int count) {
        if (reason == null) {
            framesReceived += count;
        } else {
            drops[reason.ordinal()] += count;
        }
    }

    /** A member left its group with these counts unread: nobody will read them now. */
    void countStatisticsNeverRead(final long packets, final long ringFull) {
        inputGroups.countNeverRead(packets, ringFull);
    }

    /**
     * What the input groups' members counted and nobody read (yet, in members still open; or ever, in members that
     * left first), and the frames waiting in their rings: {@code [packets, ringFull, frames waiting]}. With what every
     * I/O read, the counts add up to the frames the groups were offered ({@link #framesReceived()} plus
     * {@link Drop#RX_RING_FULL}). For checkers: allocates.
     */
    public long[] inputsUnread() {
        return inputGroups.unread();
    }

    /**
     * A new I/O with a submission queue of {@link SimPacketIo#DEFAULT_SUBMISSION_ENTRIES}: it sends on any link, and
     * receives only from the input group members handed to it ({@link SimPacketIo#attachInput}).
     */
    public SimPacketIo attach() {
        return attach(SimPacketIo.DEFAULT_SUBMISSION_ENTRIES);
    }

    /** A new I/O whose submission queue holds {@code submissionEntries} sends; see {@link #attach()}. */
    public SimPacketIo attach(final int submissionEntries) {
        final SimPacketIo io = new SimPacketIo(this, submissionEntries);
        ios.add(io);
        return io;
    }

    /** A new monitor that reports every link change from now on. */
    public SimLinkMonitor monitor() {
        return monitor(DEFAULT_MONITOR_CAPACITY_EVENTS);
    }

    /** A new monitor holding at most {@code capacityEvents} unpolled events. */
    public SimLinkMonitor monitor(final int capacityEvents) {
        final SimLinkMonitor monitor = new SimLinkMonitor(this, capacityEvents);
        monitors.add(monitor);
        return monitor;
    }

    void detach(final SimPacketIo io, final int submittedSends) {
        final boolean removed = ios.remove(io);
        assert removed : "an I/O detaches once";
        drops[Drop.IO_CLOSED.ordinal()] += submittedSends;
    }

    void detach(final SimLinkMonitor monitor) {
        final boolean removed = monitors.remove(monitor);
        assert removed : "a monitor detaches once";
    }

    /**
     * Takes one submitted send onto its output link; returns what its completion carries: the byte count when queued,
     * else a negative errno, each failure counted under its reason.
     */
    int transmit(final Endpoint endpoint, final int ttl, final byte[] payload, final int length) {
        assert length >= 0 && endpoint != null;
        if (length > UDP_PAYLOAD_BYTES_MAX) {
            drops[Drop.TOO_LARGE.ordinal()]++;
            return -EMSGSIZE;
        }
        final NetworkLink link = link(endpoint.interfaceName());
        if (link == null) {
            drops[Drop.EGRESS_NO_LINK.ordinal()]++;
            return -PacketIo.ENETUNREACH;
        }
        if (!link.up) {
            drops[Drop.EGRESS_LINK_DOWN.ordinal()]++;
            return -PacketIo.ENETUNREACH;
        }
        if (link.depth >= link.egressCapacityPackets || link.depth >= link.slots.length) {
            drops[(link.egressFullErrno == PacketIo.ENOBUFS ? Drop.EGRESS_NO_BUFFER_SPACE : Drop.EGRESS_FULL)
                .ordinal()]++;
            return -link.egressFullErrno;
        }
        final int tail = (link.head + link.depth) % link.slots.length;
        if (link.slots[tail] == null || link.slots[tail].length < length) {
            // Grows a slot only for a longer payload than it held before: no allocation in steady state.
            link.slots[tail] = new byte[Math.max(length, SimPacketIo.INITIAL_SLOT_BYTES)];
        }
        System.arraycopy(payload, 0, link.slots[tail], 0, length);
        link.lengths[tail] = length;
        link.ttls[tail] = ttl;
        link.endpoints[tail] = endpoint;
        link.depth++;
        packetsAccepted++;
        assert link.depth <= link.slots.length;
        return length;
    }

    private int drain(final NetworkLink link) {
        int drained = 0;
        while (link.depth > 0 && drained < link.drainPerStepPackets) {
            final int at = link.head;
            final Endpoint endpoint = link.endpoints[at];
            link.endpoints[at] = null;
            link.head = (at + 1) % link.slots.length;
            link.depth--;
            drained++;
            packetsDelivered++;
            deliver(endpoint, link.ttls[at], link.slots[at], link.lengths[at]);
        }
        assert link.depth >= 0;
        return drained;
    }

    private void deliver(final Endpoint endpoint, final int ttl, final byte[] payload, final int length) {
        if (recordedPackets < recordLimitPackets) {
            recorded.computeIfAbsent(endpoint, ignored -> new ArrayList<>()).add(Arrays.copyOf(payload, length));
            recordedPackets++;
        }
        if (deliveryListener != null) {
            lent.wrap(payload, 0, length);
            deliveryListener.onDelivered(endpoint, ttl, lent, 0, length);
            lent.wrap(EMPTY);
        }
    }

    private void publish(final LinkMonitor.LinkEvent.Kind kind, final NetworkLink link) {
        final LinkMonitor.LinkEvent event = new LinkMonitor.LinkEvent(kind, link.name, link.ifIndex);
        for (int i = 0; i < monitors.size(); i++) {
            monitors.get(i).offer(event);
        }
    }

    private NetworkLink require(final String name) {
        final NetworkLink link = link(name);
        if (link == null) {
            throw new IllegalArgumentException("no link named " + name);
        }
        return link;
    }

    private void rebuildLinkList() {
        linksByName.clear();
        linksByName.addAll(links.values());
        linksLookup.clear();
        linksLookup.putAll(links);
    }

    /** The link named {@code name}, or {@code null}. */
    private NetworkLink link(final String name) {
        return linksLookup.get(Objects.requireNonNull(name, "name"));
    }

    /** A group or unicast address as text: dotted quad for IPv4, eight full hex groups for IPv6. */
    static String groupText(final byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xFF) + "." + (address[1] & 0xFF) + "." + (address[2] & 0xFF) + "."
                + (address[3] & 0xFF);
        }
        if (address.length == 16) {
            final StringBuilder text = new StringBuilder(39);
            for (int i = 0; i < 16; i += 2) {
                if (i > 0) {
                    text.append(':');
                }
                text.append(Integer.toHexString((address[i] & 0xFF) << 8 | (address[i + 1] & 0xFF)));
            }
            return text.toString();
        }
        throw new IllegalArgumentException("an address is 4 or 16 bytes, not " + address.length);
    }
}
