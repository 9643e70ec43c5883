package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import org.agrona.DirectBuffer;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.seam.PacketIo;

/**
 * What the production {@link PacketIo} backends share: their input interfaces by name, the send slots
 * ({@link SendSlots}) and the destinations ({@link EgressDestinations}), and with them {@link #send},
 * {@link #sendCapacity}, the destination handles and the delivery of completions; the input counts
 * ({@link #inputCounts}); the reading of an egress socket's error queue ({@link #drainErrors}). A backend adds how
 * frames are received, how queued sends reach the kernel ({@link #submit}, {@link #pollFrames}, {@link #reap}) and
 * how it learns which error queues hold reports ({@link #pollSendErrors}). Single-threaded; nothing here allocates per
 * packet.
 *
 * <p><b>Input counts.</b> The kernel counts per packet socket and resets its counts when they are read
 * ({@link PacketRxRing#statistics(int)}); the I/O adds each reading to its own cumulative counts. A socket the I/O
 * adopted (a ring the supervisor opened, or a previous worker read) may hold counts from before: the first reading
 * includes them, as the frames still in the ring will be delivered by this I/O.
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
    /** Per input: {@code tp_packets} and {@code tp_drops} summed over every reading, and the staging drops. */
    private final long[] inputPackets;
    private final long[] inputRingFull;
    final long[] inputStagingFull;
    /** Input indices in name order, for {@link #inputCounts}. */
    private final int[] inputsByName;
    private final ErrorQueueReader errorQueue;
    /** Whether the last {@link #drainErrors} took the queue to its end (false: it stopped at its limit). */
    boolean errorsDrained;
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
        inputPackets = new long[inputNames.size()];
        inputRingFull = new long[inputNames.size()];
        inputStagingFull = new long[inputNames.size()];
        inputsByName = IntStream.range(0, inputNames.size()).boxed()
            .sorted(Comparator.comparing(inputNames::get)).mapToInt(Integer::intValue).toArray();
        try {
            slots = new SendSlots(arena, sendSlots, slotBytes);
            destinations = new EgressDestinations(arena, sendBufferBytes);
            errorQueue = new ErrorQueueReader(arena);
        } catch (final RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Takes the kernel's completions into the send slots and the backend's receive state. */
    abstract void reap();

    /** The packet socket of input {@code input}, for its kernel counts. */
    abstract int inputFd(int input);

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

    /**
     * Reads every input's kernel counts (one {@code getsockopt} each, which resets them) into the cumulative counts
     * and returns those, sorted by name; after {@link #close()}, the counts as last read. Control path: allocates.
     */
    @Override
    public final List<InputCounts> inputCounts() {
        if (!closed) {
            for (int i = 0; i < inputNames.length; i++) {
                final PacketRxRing.Statistics reading = PacketRxRing.statistics(inputFd(i));
                inputPackets[i] += reading.packets();
                inputRingFull[i] += reading.drops();
            }
        }
        final List<InputCounts> counts = new ArrayList<>(inputNames.length);
        for (final int i : inputsByName) {
            // A frame the kernel counted before this I/O adopted the socket, and a previous reader read the counts,
            // may still be staged and dropped here: never report fewer frames than were dropped.
            final long packets = Math.max(inputPackets[i], inputRingFull[i] + inputStagingFull[i]);
            counts.add(new InputCounts(inputNames[i], packets, inputRingFull[i], inputStagingFull[i]));
        }
        return List.copyOf(counts);
    }

    /**
     * Reports what destination {@code handle}'s socket holds on its error queue, taking up to {@code limit} reports
     * off it, one {@code recvmsg} each; sets {@link #errorsDrained} when the queue was read to its end. When the first
     * read finds the queue empty, the socket's pending error ({@code SO_ERROR}) is taken instead, so that an error
     * whose report the queue could not hold does not leave the socket ready for ever. Each read is of the
     * destination's socket as it is then: once the handler closed it, reading stops. A destination released while
     * sends to it were in flight keeps its socket until they complete: what its queue holds is taken off and not
     * reported, as the handle is no longer the caller's. Allocates nothing.
     */
    final int drainErrors(final int handle, final SendErrorHandler handler, final int limit) {
        errorsDrained = false;
        int reported = 0;
        int taken = 0;
        while (taken < limit) {
            final int fd = destinations.fd(handle);
            if (fd < 0) {
                errorsDrained = true; // the socket is gone, and its queue with it
                break;
            }
            int errno = errorQueue.next(fd);
            if (errno == ErrorQueueReader.EMPTY) {
                errno = taken == 0 ? errorQueue.takePendingError(fd) : 0;
                errorsDrained = true;
            }
            taken++;
            if (errno > 0 && destinations.isOpen(handle)) {
                reported++;
                handler.onSendError(handle, errno);
            }
            if (errorsDrained) {
                break;
            }
        }
        assert reported <= taken && taken <= limit;
        return reported;
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
