package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The send side shared by the production {@link PacketIo} backends: a fixed number of slots, each a preallocated
 * native buffer that holds one UDP payload from {@link PacketIo#send} until the kernel has taken it, and the
 * bookkeeping of where each slot is in its life:
 *
 * <pre>
 *   free --take--> queued --next queued (at submit)--> in the kernel --complete--> done --poll--> free
 * </pre>
 *
 * A slot stays taken from {@code send} until its completion is polled, so {@link #free()} is exactly
 * {@link PacketIo#sendCapacity()}. Every array is sized once at construction: nothing here allocates per packet.
 * Single-threaded.
 */
final class SendSlots {
    private final int slotBytes;
    private final MemorySegment memory;
    private final MemorySegment[] segments;
    private final UnsafeBuffer[] buffers;
    private final int[] lengths;
    private final long[] userData;
    private final int[] destinations;
    private final int[] results;
    // Free slots, a stack.
    private final int[] freeStack;
    private int freeCount;
    // Queued by send, not yet handed to the kernel: a FIFO ring.
    private final int[] queued;
    private int queuedHead;
    private int queuedCount;
    // Completed, waiting for pollCompletions: a FIFO ring, in completion order.
    private final int[] done;
    private int doneHead;
    private int doneCount;

    SendSlots(final Arena arena, final int slots, final int slotBytes) {
        if (slots < 1 || slots > 1 << 16) {
            throw new IllegalArgumentException("send slots must be 1 to 65536, not " + slots);
        }
        if (slotBytes < 64 || slotBytes > 65_536) {
            throw new IllegalArgumentException("send slot size must be 64 to 65536 bytes, not " + slotBytes);
        }
        this.slotBytes = slotBytes;
        // Mapped, not allocated: an allocation is zero-filled and so resident at once (9 MiB at the default 1,024
        // slots of 9,216 bytes); a mapping's pages become resident as slots are first written. Free slots are taken
        // lowest first, so a worker's resident slots are those its busiest moment needed.
        memory = Syscalls.mmapAnonymous((long) slots * slotBytes, arena, "send slots");
        segments = new MemorySegment[slots];
        buffers = new UnsafeBuffer[slots];
        lengths = new int[slots];
        userData = new long[slots];
        destinations = new int[slots];
        results = new int[slots];
        freeStack = new int[slots];
        queued = new int[slots];
        done = new int[slots];
        for (int slot = 0; slot < slots; slot++) {
            segments[slot] = memory.asSlice((long) slot * slotBytes, slotBytes);
            buffers[slot] = new UnsafeBuffer(segments[slot].address(), slotBytes);
            freeStack[slot] = slots - 1 - slot; // slot 0 on top: low slots are reused first
        }
        freeCount = slots;
    }

    int capacity() {
        return segments.length;
    }

    int slotBytes() {
        return slotBytes;
    }

    /** Slots free for {@link #take}: the send capacity. */
    int free() {
        return freeCount;
    }

    /**
     * Takes a free slot for a send of {@code length} bytes of {@code payload} and queues it; the caller has checked
     * {@link #free()}. A payload longer than a slot is not copied and gets {@code length} -1: the backend completes
     * it with {@code -EMSGSIZE}, as the kernel does for a datagram too long to send.
     */
    int take(final int destination, final DirectBuffer payload, final int offset, final int length,
        final long sendUserData) {
        assert freeCount > 0 : "take without capacity";
        final int slot = freeStack[--freeCount];
        if (length <= slotBytes) {
            buffers[slot].putBytes(0, payload, offset, length);
            lengths[slot] = length;
        } else {
            lengths[slot] = -1;
        }
        userData[slot] = sendUserData;
        destinations[slot] = destination;
        queued[(queuedHead + queuedCount) % queued.length] = slot;
        queuedCount++;
        assert queuedCount + doneCount <= segments.length;
        return slot;
    }

    int queuedCount() {
        return queuedCount;
    }

    /** The oldest queued slot, taken off the queue (it is in the kernel now); the caller has checked the count. */
    int nextQueued() {
        assert queuedCount > 0;
        final int slot = queued[queuedHead];
        queuedHead = (queuedHead + 1) % queued.length;
        queuedCount--;
        return slot;
    }

    /** Records the outcome of a slot's send: bytes sent or {@code -errno}. */
    void complete(final int slot, final int result) {
        assert doneCount < done.length : "more completions than slots";
        results[slot] = result;
        done[(doneHead + doneCount) % done.length] = slot;
        doneCount++;
    }

    /** Delivers up to {@code limit} completions in the order they completed, freeing each slot before its call. */
    int pollCompletions(final PacketIo.CompletionHandler handler, final int limit) {
        int delivered = 0;
        while (delivered < limit && doneCount > 0) {
            final int slot = done[doneHead];
            doneHead = (doneHead + 1) % done.length;
            doneCount--;
            freeStack[freeCount++] = slot; // freed before the call: the handler may send again at once
            delivered++;
            handler.onSendComplete(userData[slot], results[slot]);
        }
        assert freeCount <= segments.length;
        return delivered;
    }

    /** The slot's payload, for {@code IORING_OP_SEND}. */
    MemorySegment segment(final int slot) {
        return segments[slot];
    }

    long address(final int slot) {
        return segments[slot].address();
    }

    /** The payload length, or -1 for one too long for a slot. */
    int length(final int slot) {
        return lengths[slot];
    }

    int destination(final int slot) {
        return destinations[slot];
    }
}
