package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.util.List;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.PacketIo;

/**
 * What the production {@link PacketIo} backends share: their input interfaces by name, the send slots
 * ({@link SendSlots}) and the destinations ({@link EgressDestinations}), and with them {@link #send},
 * {@link #sendCapacity}, the destination handles and the delivery of completions. A backend adds how frames are
 * received and how queued sends reach the kernel ({@link #submit}, {@link #pollFrames}, {@link #reap}).
 * Single-threaded; nothing here allocates per packet.
 */
abstract sealed class LinuxPacketIo implements PacketIo permits IoUringPacketIo, EpollPacketIo {
    /** {@code EMSGSIZE} from {@code asm-generic/errno.h}: a payload longer than a send slot. */
    static final int EMSGSIZE = 90;

    /** Native memory of the I/O, closed with it; shared so that any thread may close it. */
    final Arena arena = Arena.ofShared();
    final String[] inputNames;
    /** The index of each input's interface, filled in by the backend. */
    final int[] inputIfIndex;
    final SendSlots slots;
    final EgressDestinations destinations;
    boolean closed;

    LinuxPacketIo(final List<String> inputNames, final int sendSlots, final int slotBytes,
        final int sendBufferBytes) {
        for (int i = 0; i < inputNames.size(); i++) {
            if (inputNames.indexOf(inputNames.get(i)) != i) {
                arena.close();
                throw new IllegalArgumentException("two inputs on " + inputNames.get(i));
            }
        }
        this.inputNames = inputNames.toArray(String[]::new);
        inputIfIndex = new int[inputNames.size()];
        try {
            slots = new SendSlots(arena, sendSlots, slotBytes);
            destinations = new EgressDestinations(arena, sendBufferBytes);
        } catch (final RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Takes the kernel's completions into the send slots and the backend's receive state. */
    abstract void reap();

    @Override
    public final int interfaceIndex(final String interfaceName) {
        for (int i = 0; i < inputNames.length; i++) {
            if (inputNames[i].equals(interfaceName)) {
                return inputIfIndex[i];
            }
        }
        return 0;
    }

    @Override
    public final long interfacesVersion() {
        return destinations.version();
    }

    @Override
    public final int openDestination(final String interfaceName, final byte[] groupAddress, final int port,
        final int ttl) {
        ensureOpen();
        final int handle = destinations.open(interfaceName, groupAddress, port, ttl);
        destinationOpened(handle);
        return handle;
    }

    /** Hook: a destination handle was handed out (a backend may size per-destination state). */
    void destinationOpened(final int handle) {
    }

    @Override
    public final void closeDestination(final int destination) {
        ensureOpen();
        destinations.close(destination);
    }

    @Override
    public final int send(final int destination, final DirectBuffer payload, final int offset, final int length,
        final long userData) {
        ensureOpen();
        destinations.check(destination);
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        if (slots.free() == 0) {
            return SEND_QUEUE_FULL;
        }
        slots.take(destination, payload, offset, length, userData);
        destinations.sendQueued(destination);
        return 0;
    }

    @Override
    public java.util.List<InputCounts> inputCounts() {
        throw new UnsupportedOperationException("input counts: not yet implemented in this backend");
    }

    @Override
    public int pollSendErrors(final SendErrorHandler handler, final int limit) {
        return 0;
    }

    @Override
    public final int sendCapacity() {
        return closed ? 0 : slots.free();
    }

    @Override
    public final int pollCompletions(final CompletionHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        reap();
        return slots.pollCompletions(handler, limit);
    }

    /**
     * The next queued send that needs the kernel, or -1 when none is left. Sends that cannot go are completed on
     * the way, without a system call: too long for a slot ({@code -EMSGSIZE}), or to a destination without a socket
     * (the errno its opening failed with).
     */
    final int nextQueuedForKernel() {
        while (slots.queuedCount() > 0) {
            final int slot = slots.nextQueued();
            final int destination = slots.destination(slot);
            if (slots.length(slot) < 0) {
                complete(slot, -EMSGSIZE);
            } else if (destinations.fd(destination) < 0) {
                complete(slot, -destinations.errno(destination));
            } else {
                return slot;
            }
        }
        return -1;
    }

    /** Records the outcome of one send. */
    final void complete(final int slot, final int result) {
        destinations.sendCompleted(slots.destination(slot), result);
        slots.complete(slot, result);
    }

    /** The number of destinations open. */
    public final int openDestinations() {
        return destinations.openCount();
    }

    /** Closes the egress sockets and frees the native memory; the backend has stopped its kernel I/O first. */
    final void closeSendSide() {
        try {
            destinations.close();
        } finally {
            arena.close();
        }
    }

    final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("packet I/O is closed");
        }
    }
}
