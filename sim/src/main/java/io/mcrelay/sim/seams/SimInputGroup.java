package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.Arrays;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.support.FlowHash;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The simulated packet sockets of one input link, as a {@code PACKET_FANOUT} group of them: each member a bounded
 * receive ring, handed out as a {@link SharedDescriptor} ({@link #join}) that a {@link SimPacketIo} reads once it is
 * {@link SimPacketIo#attachInput attached}. A frame on the link goes to one member, the one
 * {@link FlowHash#member}({@link FlowHash#ofFrame}) picks, as the production fanout program does; a member's full
 * ring refuses it ({@link SimNetwork.Drop#RX_RING_FULL}, the kernel's {@code tp_drops}).
 *
 * <p>Members are numbered as the kernel keeps them ({@code fanout_add}, {@code __fanout_unlink} in
 * {@code net/packet/af_packet.c}): a joining member is appended; a member leaves when the last handle on it closes,
 * and the last member takes its place. Frames still in a leaving member's ring are lost
 * ({@link SimNetwork.Drop#RX_CLOSED}).
 *
 * <p>The group belongs to the link as it was when the group opened: a link deleted and created again under its name
 * has a new index, and frames on it do not reach the old group's members ({@link SimNetwork#openInput} opens a new
 * one). Single-threaded; receiving allocates nothing once a member's slots have grown to its frames.
 */
public final class SimInputGroup {
    /** One member socket: its receive ring and its counts, cumulative since it joined. */
    static final class Member {
        final SimInputGroup group;
        private final SharedDescriptor handle;
        private final byte[][] slots;
        private final int[] lengths;
        private int head;
        private int depth;
        long packets;
        long ringFull;

        Member(final SimInputGroup group, final int rxRingFrames) {
            this.group = group;
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

    SimInputGroup(final SimNetwork network, final String linkName, final int ifIndex) {
        this.network = network;
        this.linkName = linkName;
        this.ifIndex = ifIndex;
    }

    /** True when the group is of {@code network}. */
    boolean belongsTo(final SimNetwork other) {
        return network == other;
    }

    /** A new member with a ring of {@link SimPacketIo#DEFAULT_RX_RING_FRAMES}; see {@link #join(int)}. */
    public SharedDescriptor join() {
        return join(SimPacketIo.DEFAULT_RX_RING_FRAMES);
    }

    /**
     * A new member, appended to the group, its ring holding {@code rxRingFrames} frames; returns the only handle on
     * it, which the caller owns (the member leaves the group when its last handle closes).
     */
    public SharedDescriptor join(final int rxRingFrames) {
        if (rxRingFrames <= 0) {
            throw new IllegalArgumentException("ring size must be positive: " + rxRingFrames);
        }
        final Member member = new Member(this, rxRingFrames);
        members.add(member);
        return member.handle;
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
     * Called by the network: gives a frame of the link to the member the flow hash picks; false when no member is
     * left. Counted by the network.
     */
    boolean receive(final DirectBuffer frame, final int offset, final int length) {
        prune();
        if (members.isEmpty()) {
            network.countGroupFrames(SimNetwork.Drop.INGRESS_NO_RECEIVER, 1);
            return false;
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
            final Member last = members.removeLast();
            if (last != member) {
                members.set(i, last);
            }
        }
    }
}
