package io.mcrelay.core.worker;

import java.util.List;

import io.mcrelay.protocol.WorkerMessage;

/**
 * A worker's bounded record of trace events, in primitive arrays so that recording allocates nothing; when full, the
 * oldest events are overwritten (and counted as lost). Drained into each heartbeat. It also numbers the traced packets
 * and samples at most {@code samplesPerInterval} of them per heartbeat interval, so that tracing a busy rule stays
 * cheap and bounded. Not thread-safe.
 */
final class TraceRing {
    /** Traced packets are numbered in 23 bits: they ride in a send's user data. */
    static final long PACKET_MASK = (1L << 23) - 1;

    private final int samplesPerInterval;
    private int samplesLeft;
    private long packetSequence;
    private final int[] slots;
    private final long[] packets;
    private final byte[] steps;
    private final int[] outputs;
    private final int[] values;
    private int head;
    private int size;
    private long lost;

    TraceRing(final int capacity, final int samplesPerInterval) {
        this.samplesPerInterval = samplesPerInterval;
        this.samplesLeft = samplesPerInterval;
        slots = new int[capacity];
        packets = new long[capacity];
        steps = new byte[capacity];
        outputs = new int[capacity];
        values = new int[capacity];
    }

    /**
     * A packet of the traced rule in {@code slot} was received and matched: records both steps and returns its number,
     * or -1 when this interval's samples are used up (the packet goes untraced). The packet path: no allocation.
     */
    long sample(final int slot, final int frameLength, final int payloadLength) {
        if (samplesLeft == 0) {
            return -1;
        }
        samplesLeft--;
        final long packet = packetSequence++ & PACKET_MASK;
        record(slot, packet, WorkerMessage.TraceEvent.RECEIVED, -1, frameLength);
        record(slot, packet, WorkerMessage.TraceEvent.MATCHED, -1, payloadLength);
        return packet;
    }

    void record(final int slot, final long packet, final int step, final int output, final int value) {
        final int index = (head + size) % slots.length;
        if (size == slots.length) {
            head = (head + 1) % slots.length;
            lost++;
        } else {
            size++;
        }
        slots[index] = slot;
        packets[index] = packet;
        steps[index] = (byte) step;
        outputs[index] = output;
        values[index] = value;
    }

    /**
     * Moves every recorded event into {@code out}, oldest first, naming rules through {@code statsBySlot}; a new
     * interval's samples begin.
     */
    void drainTo(final List<WorkerMessage.TraceEvent> out, final RuleStats[] statsBySlot) {
        samplesLeft = samplesPerInterval;
        for (int i = 0; i < size; i++) {
            final int index = (head + i) % slots.length;
            final RuleStats stats = statsBySlot[slots[index]];
            if (stats != null) { // the rule's slot may have been reused or freed since: drop its events
                out.add(new WorkerMessage.TraceEvent(stats.id, packets[index], steps[index], outputs[index],
                    values[index]));
            }
        }
        head = 0;
        size = 0;
    }

    long lost() {
        return lost;
    }
}
