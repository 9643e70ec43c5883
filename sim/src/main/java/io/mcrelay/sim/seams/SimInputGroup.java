package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.support.FlowHash;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The simulated packet sockets of one input link, as a {@code PACKET_FANOUT} group of them: each member a bounded
 * receive ring, handed out as a {@link SharedDescriptor} ({@link #join}) that a {@link SimPacketIo} reads once it is
 * {@link SimPacketIo#attachInput attached}. A frame on the link that the group's socket filter keeps
 * ({@link #setFilter}, {@link SimInputFilter}; a refused one is {@link SimNetwork.Drop#FILTERED}, counted by no
 * member, as the kernel runs the filter before {@code tp_packets} counts) goes to one member, the one
 * {@link FlowHash#member}({@link FlowHash#ofFrame}) picks, as the production fanout program does; a member's full
 * ring refuses it ({@link SimNetwork.Drop#RX_RING_FULL}, the kernel's {@code tp_drops}).
 *
 * <p>Members are numbered as the kernel keeps them ({@code fanout_add}, {@code __fanout_unlink} in
 * {@code net/packet/af_packet.c}): a joining member is appended; a member leaves when the last handle on it closes,
 * and the last member takes its place; when the link comes back up ({@link #relink}), {@code packet_notifier}
 * unlinks every member at the link's going down and links them again in the order their sockets were created (the
 * namespace's socket list, which {@code packet_create} appends to), so a group reordered by leaves is in joining
 * order again. Frames still in a leaving member's ring are lost
 * ({@link SimNetwork.Drop#RX_CLOSED}), and so are its counts not yet read.
 *
 * <p>Each member counts as {@code PACKET_STATISTICS} does: frames offered to it and those its full ring refused,
 * since they were last read, whoever read them (a reading resets them). So a worker that
 * adopts a member its predecessor held reads what came since its predecessor's last reading.
 *
 * <p>The group belongs to the link as it was when the group opened: a link deleted and created again under its name
 * has a new index, and frames on it do not reach the old group's members. Every {@link SimNetwork#openInput} opens a
 * new group (as sockets joining with {@code PACKET_FANOUT_FLAG_UNIQUEID} do): each group on a link gets its own copy
 * of a frame. Single-threaded; receiving allocates nothing once a member's slots have grown to its frames.
 */
public final class SimInputGroup {
    /** Ring size of a member by default: frames held between reads before the kernel drops them. */
    public static final int DEFAULT_RING_FRAMES = 1024;

    /** One member socket: its receive ring and its counts since they were last read. */
    static final class Member {
        final SimInputGroup group;
        /** When it joined, among its group's members: its socket's place in the namespace's socket list. */
        private final long joinOrder;
        private final SharedDescriptor handle;
        private byte[][] slots;
        private final int[] lengths;
        private int head;
        private int depth;
        /** {@code tp_packets} and {@code tp_drops}: since the last reading. */
        private long packets;
        private long ringFull;

        Member(final SimInputGroup group, final int rxRingFrames, final long joinOrder) {
            this.group = group;
            this.joinOrder = joinOrder;
            slots = new byte[rxRingFrames][];
            lengths = new int[rxRingFrames];
            handle = SharedDescriptor.of(this);
        }

        /** Frames waiting in the ring. */
        int depth() {
            return depth;
        }

        /** True while some handle on the member is open: it is in its group. */
        boolean open() {
            return handle.openHandles() > 0;
        }

        /**
         * Reads and resets the counts, as {@code getsockopt(PACKET_STATISTICS)} does: {@code into[0]} gets the frames
         * offered since the last reading, {@code into[1]} those of them the full ring refused.
         */
        void readStatistics(final long[] into) {
            into[0] = packets;
            into[1] = ringFull;
            packets = 0;
            ringFull = 0;
        }

        /** The member left its group: its frames and unread counts go with it. */
        private void leave() {
            depth = 0;
            packets = 0;
            ringFull = 0;
            slots = new byte[0][];
        }

        private boolean offer(final DirectBuffer frame, final int offset, final int length) {
            packets++;
            if (depth == slots.length) {
                ringFull++;
                return false;
            }
            final int slot = (head + depth) % slots.length;
            if (slots[slot] == null || slots[slot].length < length) {
                slots[slot] = new byte[Math.max(length, SimPacketIo.INITIAL_SLOT_BYTES)];
            }
            frame.getBytes(offset, slots[slot], 0, length);
            lengths[slot] = length;
            depth++;
            return true;
        }

        /** The oldest frame's bytes (valid until {@link #remove}). */
        byte[] peekFrame() {
            return slots[head];
        }

        int peekLength() {
            return lengths[head];
        }

        /** Frees the oldest frame's slot; with {@code scribble}, its bytes first, as a reused ring slot's would be. */
        void remove(final boolean scribble) {
            assert depth > 0;
            if (scribble) {
                Arrays.fill(slots[head], 0, lengths[head], (byte) 0xA5);
            }
            head = (head + 1) % slots.length;
            depth--;
        }

        @Override
        public String toString() {
            return "input socket on " + group.linkName + " (ifIndex " + group.ifIndex + ")";
        }
    }

    private final SimNetwork network;
    final String linkName;
    final int ifIndex;
    /** In the kernel's order; see the class comment. */
    private final ArrayList<Member> members = new ArrayList<>();
    private SimInputFilter filter = SimInputFilter.COARSE;
    private boolean joined;
    private long joins;

    SimInputGroup(final SimNetwork network, final String linkName, final int ifIndex) {
        this.network = network;
        this.linkName = linkName;
        this.ifIndex = ifIndex;
    }

    /** True when the group is of {@code network}. */
    boolean belongsTo(final SimNetwork other) {
        return network == other;
    }

    /** A new member with a ring of {@link #DEFAULT_RING_FRAMES}; see {@link #join(int)}. */
    public SharedDescriptor join() {
        return join(DEFAULT_RING_FRAMES);
    }

    /**
     * A new member, appended to the group, its ring holding {@code rxRingFrames} frames; returns the only handle on
     * it, which the caller owns (the member leaves the group when its last handle closes).
     */
    public SharedDescriptor join(final int rxRingFrames) {
        if (rxRingFrames <= 0) {
            throw new IllegalArgumentException("ring size must be positive: " + rxRingFrames);
        }
        final Member member = new Member(this, rxRingFrames, joins++);
        members.add(member);
        joined = true;
        return member.handle;
    }

    /**
     * Replaces the socket filter of every member (the coarse one until the first call), at once: frames from now on
     * meet the new one, as an attached filter is replaced atomically.
     */
    public void setFilter(final SimInputFilter newFilter) {
        filter = Objects.requireNonNull(newFilter, "newFilter");
    }

    /** The members' socket filter now. */
    public SimInputFilter filter() {
        return filter;
    }

    /**
     * The link came back up: the members are linked again in the order they joined (see the class comment). Called
     * by the network.
     */
    void relink() {
        prune();
        members.sort(java.util.Comparator.comparingLong(member -> member.joinOrder));
    }

    /** True once every member that ever joined has left: the group is gone (sockets are never joined again). */
    boolean ended() {
        prune();
        return joined && members.isEmpty();
    }

    /** Adds the members' unread counts and waiting frames to {@code into}: [packets, ringFull, frames waiting]. */
    void addUnread(final long[] into) {
        prune();
        for (final Member member : members) {
            into[0] += member.packets;
            into[1] += member.ringFull;
            into[2] += member.depth;
        }
    }

    /** The members in the group now (those whose handles are all closed have left). */
    public int members() {
        prune();
        return members.size();
    }

    /** The position of the member {@code descriptor} refers to in the group now, or -1 when it is not in it. */
    public int memberIndex(final SharedDescriptor descriptor) {
        prune();
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i) == descriptor.referent()) {
                return i;
            }
        }
        return -1;
    }

    /** Frames waiting in the ring of the member at {@code index}. */
    public int depth(final int index) {
        return members.get(index).depth();
    }

    /**
     * Called by the network: gives a frame of the link to the member the flow hash picks, if the filter keeps it;
     * false when the group has no member (the frame was not offered to it). Counted by the network.
     */
    boolean receive(final DirectBuffer frame, final int offset, final int length) {
        prune();
        if (members.isEmpty()) {
            return false;
        }
        if (!filter.accepts(frame, offset, length)) {
            network.countGroupFrames(SimNetwork.Drop.FILTERED, 1);
            return true;
        }
        final int chosen = FlowHash.member(FlowHash.ofFrame(frame, offset, length), members.size());
        network.countGroupFrames(members.get(chosen).offer(frame, offset, length) ? null
            : SimNetwork.Drop.RX_RING_FULL, 1);
        return true;
    }

    /** Takes out the members whose last handle closed: the last member takes a leaving one's place. */
    void prune() {
        for (int i = 0; i < members.size(); ) {
            final Member member = members.get(i);
            if (member.open()) {
                i++;
                continue;
            }
            network.countGroupFrames(SimNetwork.Drop.RX_CLOSED, member.depth());
            network.countStatisticsNeverRead(member.packets, member.ringFull);
            member.leave();
            final Member last = members.removeLast();
            if (last != member) {
                members.set(i, last);
            }
        }
    }
}
