package io.mcrelay.core.worker;

import java.util.List;

import io.mcrelay.protocol.WorkerMessage;

/**
 * A worker's bounded record of trace events, in primitive arrays so that recording allocates nothing; when full, the
 * oldest events are overwritten (and counted as lost). Drained into each heartbeat. Not thread-safe.
 */
final class TraceRing {
    private final int[] slots;
    private final long[] packets;
    private final byte[] steps;
    private final int[] outputs;
    private final int[] values;
    private int head;
    private int size;
    private long lost;

    TraceRing(final int capacity) {
        slots = new int[capacity];
        packets = new long[capacity];
        steps = new byte[capacity];
        outputs = new int[capacity];
        values = new int[capacity];
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

    /** Moves every recorded event into {@code out}, oldest first, naming rules through {@code statsBySlot}. */
    void drainTo(final List<WorkerMessage.TraceEvent> out, final RuleStats[] statsBySlot) {
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
