package io.mcrelay.sim.seams;

import io.mcrelay.seam.PacketIo;

/**
 * One link of a {@link SimNetwork}: its name, index and up/down state, and its egress queue, a ring of payload slots
 * that are allocated once and reused. The network's own state, read and written by it alone; single-threaded.
 */
final class NetworkLink {
    final String name;
    final int ifIndex;
    boolean up;
    int egressCapacityPackets;
    int drainPerStepPackets = SimNetwork.UNLIMITED_DRAIN_PER_STEP;
    int egressFullErrno = PacketIo.EAGAIN;
    byte[][] slots = new byte[0][];
    int[] lengths = new int[0];
    int[] ttls = new int[0];
    SimNetwork.Endpoint[] endpoints = new SimNetwork.Endpoint[0];
    int head;
    int depth;

    NetworkLink(final String name, final int ifIndex, final int egressCapacityPackets) {
        this.name = name;
        this.ifIndex = ifIndex;
        this.egressCapacityPackets = egressCapacityPackets;
    }

    /** Resizes the ring, keeping queued packets in order; a ring never shrinks below what it holds. */
    void resize(final int capacityPackets) {
        final int size = Math.max(capacityPackets, depth);
        final byte[][] newSlots = new byte[size][];
        final int[] newLengths = new int[size];
        final int[] newTtls = new int[size];
        final SimNetwork.Endpoint[] newEndpoints = new SimNetwork.Endpoint[size];
        for (int i = 0; i < depth; i++) {
            final int from = (head + i) % slots.length;
            newSlots[i] = slots[from];
            newLengths[i] = lengths[from];
            newTtls[i] = ttls[from];
            newEndpoints[i] = endpoints[from];
        }
        // Keep the spare payload arrays too, so a resize does not cost their allocation again.
        for (int i = depth, spare = depth; i < slots.length && spare < size; i++) {
            final byte[] slot = slots[(head + i) % slots.length];
            if (slot != null) {
                newSlots[spare++] = slot;
            }
        }
        slots = newSlots;
        lengths = newLengths;
        ttls = newTtls;
        endpoints = newEndpoints;
        head = 0;
    }
}
