package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;

/**
 * What the production {@link PacketIo} backends share: their input interfaces by name, attached at launch or while
 * running ({@link #attachInput}: the handle's descriptor is taken and its {@code TPACKET_V3} ring adopted with the
 * configured geometry, {@link PacketRxRing#adopt}) and given back ({@link #releaseInput}: the backend closes the
 * ring once nothing waits in it), the reading of a ring in place ({@link #readRing}: a frame is lent as an
 * {@link UnsafeBuffer} over the ring's memory for the callback only; frames of a started block beyond the poll's
 * limit go to the {@link FrameStaging staging area}, delivered first by the next polls, and those that do not fit it
 * are dropped and counted per input), the send slots
 * ({@link SendSlots}) and the destinations ({@link EgressDestinations}), and with them {@link #send},
 * {@link #sendCapacity}, the destination handles and the delivery of completions; the input counts
 * ({@link #inputCounts}); the reading of an egress socket's error queue ({@link #drainErrors}). A backend adds how
 * it learns that a ring has frames ({@link #pollFrames}), how queued sends reach the kernel ({@link #submit},
 * {@link #reap}), how it waits, and how it learns which error queues hold reports ({@link #pollSendErrors}). Single-threaded; nothing here allocates per
 * packet.
 *
 * <p><b>Input counts.</b> The kernel counts per packet socket and resets its counts when they are read
 * ({@link PacketRxRing#statistics(int)}); the I/O adds each reading to its own cumulative counts. A socket the I/O
 * adopted (a ring the supervisor opened, or a previous worker read) may hold counts from before: the first reading
 * includes them, as the frames still in the ring will be delivered by this I/O. An input's counts are read one last
 * time before its socket closes at its release, and kept under its name: a later attach of the name continues them.
 */
abstract sealed class LinuxPacketIo implements PacketIo permits IoUringPacketIo, EpollPacketIo {
    /** {@code EMSGSIZE} from {@code asm-generic/errno.h}: a payload longer than a send slot. */
    static final int EMSGSIZE = 90;

    /** Native memory of the I/O, closed with it; shared so that any thread may close it. */
    final Arena arena = Arena.ofShared();
    /** Per input slot: its ring (null while none is attached) and the reader that reads it. */
    PacketRxRing[] inputRings = new PacketRxRing[0];
    private RingReader[] readers = new RingReader[0];
    /** Frames read beyond a poll's limit, delivered first by the next polls. */
    final FrameStaging staging;
    private final UnsafeBuffer lent = new UnsafeBuffer(0L, 0);
    private final int blockBytes;
    private final int blocks;
    /**
     * Inputs by slot: one slot per interface name ever attached, kept after its release for the name's cumulative
     * counts (a later attach of the name takes the same slot). Slots {@code [0, inputSlots)} are in use; the arrays
     * grow at an attach (control path), never on the packet path.
     */
    String[] inputNames = new String[0];
    /** The index of each input's interface while its socket is attached, else 0. */
    int[] inputIfIndex = new int[0];
    int inputSlots;
    final SendSlots slots;
    final EgressDestinations destinations;
    /** The sends per egress socket, in order, held while a socket buffer is full. */
    final DestinationSends sends;
    private final DestinationSends.Backend sendBackend = new DestinationSends.Backend() {
        @Override
        public void complete(final int slot, final int result) {
            LinuxPacketIo.this.complete(slot, result);
        }

        @Override
        public void watchWritable(final int socket, final int fd) {
            LinuxPacketIo.this.watchWritable(socket, fd);
        }
    };
    /** Per input: {@code tp_packets} and {@code tp_drops} summed over every reading, and the staging drops. */
    private long[] inputPackets = new long[0];
    private long[] inputRingFull = new long[0];
    long[] inputStagingFull = new long[0];
    /** Moves at every attach and every completed release: part of {@link #interfacesVersion()}. */
    private long inputsVersion;
    private final ErrorQueueReader errorQueue;
    /** Whether the last {@link #drainErrors} took the queue to its end (false: it stopped at its limit). */
    boolean errorsDrained;
    boolean closed;

    LinuxPacketIo(final RingIoConfig config) {
        final int sendSlots = config.sendSlots();
        blockBytes = config.blockBytes();
        blocks = config.blocks();
        try {
            slots = new SendSlots(arena, sendSlots, config.slotBytes());
            destinations = new EgressDestinations(arena, config.sendBufferBytes());
            // While some output has room: half the slots for one blocked output, three quarters for all of them.
            sends = new DestinationSends(arena, slots, destinations, Math.max(1, sendSlots / 2),
                Math.max(1, sendSlots * 3 / 4));
            errorQueue = new ErrorQueueReader(arena);
            staging = new FrameStaging(arena, config.stagingBytes(), lent);
        } catch (final RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Refuses two inputs on one interface among {@code names}, before anything is adopted. */
    static void checkDistinct(final List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            if (names.indexOf(names.get(i)) != i) {
                throw new IllegalArgumentException("two inputs on " + names.get(i));
            }
        }
    }

    /** Takes the kernel's completions into the send slots and the backend's receive state. */
    abstract void reap();

    /** The packet socket of input slot {@code input}, for its kernel counts; -1 while none is attached. */
    final int inputFd(final int input) {
        return inputRings[input] == null ? -1 : inputRings[input].fd();
    }

    /** Hook: the input slots grew to {@code capacity}; the backend grows its per-input state to match. */
    abstract void inputSlotsGrown(int capacity);

    /** Inputs attached at once at most. */
    abstract int inputsMax();

    /**
     * Hook: input slot {@code input} has a ring now ({@link #inputRings}), attached while running; the backend starts
     * watching it. If it throws, the ring is closed and the attach fails.
     */
    abstract void ringAttached(int input);

    /**
     * Adopts the ring of packet socket {@code fd} (owned from now on; closed before throwing) with the configured
     * geometry ({@link PacketRxRing#adopt}) as the input of slot {@code input}, named {@code interfaceName}; returns
     * the index of the interface it is bound to.
     *
     * @throws IllegalArgumentException naming what the descriptor is not
     */
    private int adoptInput(final int input, final String interfaceName, final int fd) {
        if (attachedInputs() >= inputsMax()) {
            Syscalls.close(fd);
            throw new IllegalStateException("input " + interfaceName + " would be one more than " + inputsMax());
        }
        final PacketRxRing adopted;
        try {
            adopted = PacketRxRing.adopt(fd, blockBytes, blocks);
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw new IllegalArgumentException("the socket for input " + interfaceName + " is not a TPACKET_V3"
                + " packet socket with a ring of " + blocks + " x " + blockBytes + " bytes bound to an interface: "
                + e.getMessage(), e);
        }
        try {
            final String bound = adopted.interfaceName();
            if (!bound.equals(interfaceName)) {
                throw new IllegalArgumentException("the socket for input " + interfaceName + " is bound to "
                    + bound);
            }
        } catch (final RuntimeException e) {
            adopted.close();
            throw e instanceof IllegalArgumentException ? e : new IllegalArgumentException("the socket for input "
                + interfaceName + " is bound to an interface that is gone: " + e.getMessage(), e);
        }
        installRing(input, adopted);
        try {
            ringAttached(input);
        } catch (final RuntimeException e) {
            inputRings[input] = null;
            readers[input] = null;
            adopted.close();
            throw e instanceof LinuxException ? new IllegalStateException("input " + interfaceName
                + " could not be watched: " + e.getMessage(), e) : e;
        }
        return adopted.ifIndex();
    }

    /** Makes {@code ring} the input of slot {@code input} (owned from now on). */
    final void installRing(final int input, final PacketRxRing ring) {
        inputRings[input] = ring;
        inputIfIndex[input] = ring.ifIndex();
        readers[input] = new RingReader(input, ring.ifIndex());
    }

    /**
     * Reads input {@code input}'s ring in place: delivers up to {@code budget} frames to {@code handler} and stages
     * the rest of the last block it started; returns how many were delivered.
     */
    final int readRing(final int input, final FrameHandler handler, final int budget) {
        final RingReader reader = readers[input];
        reader.handler = handler;
        reader.budget = budget;
        reader.delivered = 0;
        inputRings[input].poll(reader, budget);
        reader.handler = null;
        return reader.delivered;
    }

    /** Takes input {@code input}'s last kernel counts and closes its ring; the slot keeps its name and counts. */
    final void closeRing(final int input) {
        inputClosing(input);
        inputRings[input].close();
        inputRings[input] = null;
        readers[input] = null;
    }

    /** Closes every ring still attached (at close, without their last counts). */
    final void closeRings() {
        for (final PacketRxRing input : inputRings) {
            if (input != null) {
                input.close();
            }
        }
    }

    /** Frames read from a ring beyond a poll's limit and dropped because the staging area was full, all inputs. */
    public final long stagingDrops() {
        long drops = 0;
        for (final long inputDrops : inputStagingFull) {
            drops += inputDrops;
        }
        return drops;
    }

    /**
     * One step of giving input slot {@code input} back: true once its socket is closed (after {@link #inputClosing}),
     * false while frames or a kernel request still hold it.
     */
    abstract boolean releaseStep(int input);

    /** The slot of input {@code interfaceName}, or -1 when it never was attached. */
    final int inputSlot(final String interfaceName) {
        for (int i = 0; i < inputSlots; i++) {
            if (inputNames[i].equals(interfaceName)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public final int attachInput(final String interfaceName, final PassedDescriptor socket) {
        Objects.requireNonNull(socket, "socket");
        final int fd;
        try {
            Objects.requireNonNull(interfaceName, "interfaceName");
            ensureOpen();
            final int existing = inputSlot(interfaceName);
            if (existing >= 0 && inputFd(existing) >= 0) {
                throw new IllegalStateException("an input on " + interfaceName + " is attached already");
            }
            if (!(socket instanceof OwnedFd owned) || !owned.isOpen()) {
                throw new IllegalArgumentException("the socket for input " + interfaceName
                    + " is not an open descriptor of this process: " + socket);
            }
            fd = owned.take();
        } catch (final RuntimeException e) {
            socket.close();
            throw e;
        }
        final boolean known = inputSlot(interfaceName) >= 0;
        final int input;
        try {
            input = known ? inputSlot(interfaceName) : newInputSlot(interfaceName);
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e;
        }
        final int ifIndex;
        try {
            ifIndex = adoptInput(input, interfaceName, fd);
        } catch (final RuntimeException e) {
            if (!known) {
                inputSlots--; // a name never attached has no counts to keep
                assert input == inputSlots;
            }
            throw e;
        }
        inputIfIndex[input] = ifIndex;
        inputsVersion++;
        assert inputFd(input) >= 0 && ifIndex > 0;
        return ifIndex;
    }

    @Override
    public final boolean releaseInput(final String interfaceName) {
        if (closed) {
            return true; // closing released everything
        }
        final int input = inputSlot(interfaceName);
        if (input < 0 || inputFd(input) < 0) {
            return true;
        }
        if (!releaseStep(input)) {
            return false;
        }
        assert inputFd(input) < 0 : "a released input holds no socket";
        inputIfIndex[input] = 0;
        inputsVersion++;
        return true;
    }

    /** Called by a backend just before it closes input {@code input}'s socket: takes its last kernel counts. */
    final void inputClosing(final int input) {
        final PacketRxRing.Statistics reading = PacketRxRing.statistics(inputFd(input));
        inputPackets[input] += reading.packets();
        inputRingFull[input] += reading.drops();
    }

    /** The number of inputs whose socket is attached (or still being released). */
    final int attachedInputs() {
        int attached = 0;
        for (int i = 0; i < inputSlots; i++) {
            if (inputFd(i) >= 0) {
                attached++;
            }
        }
        return attached;
    }

    /** A slot for input {@code interfaceName}, which has none yet. */
    final int newInputSlot(final String interfaceName) {
        if (inputSlots == inputNames.length) {
            final int capacity = Math.max(4, inputNames.length * 2);
            inputSlotsGrown(capacity);
            inputRings = Arrays.copyOf(inputRings, capacity);
            readers = Arrays.copyOf(readers, capacity);
            inputNames = Arrays.copyOf(inputNames, capacity);
            inputIfIndex = Arrays.copyOf(inputIfIndex, capacity);
            inputPackets = Arrays.copyOf(inputPackets, capacity);
            inputRingFull = Arrays.copyOf(inputRingFull, capacity);
            inputStagingFull = Arrays.copyOf(inputStagingFull, capacity);
        }
        inputNames[inputSlots] = interfaceName;
        inputsVersion++;
        return inputSlots++;
    }

    @Override
    public final int interfaceIndex(final String interfaceName) {
        final int input = inputSlot(interfaceName);
        return input < 0 ? 0 : inputIfIndex[input];
    }

    @Override
    public final long interfacesVersion() {
        // Both only grow, so the sum moves whenever either does.
        return destinations.version() + inputsVersion;
    }

    @Override
    public final int openDestination(final String interfaceName, final byte[] groupAddress, final int port,
        final int ttl) {
        ensureOpen();
        final int handle = destinations.open(interfaceName, groupAddress, port, ttl);
        destinationOpened(handle);
        return handle;
    }

    /** A destination handle was handed out: the send state of its socket is sized. */
    private void destinationOpened(final int handle) {
        sends.socketOpened(destinations.socket(handle));
    }

    /**
     * Egress socket {@code socket} (descriptor {@code fd}) has a full buffer: the backend calls
     * {@code sends.writable(socket)} once it may be tried again.
     */
    abstract void watchWritable(int socket, int fd);

    /**
     * Sends what is queued: each egress socket's sends with one {@code sendmmsg} ({@link DestinationSends}); returns
     * how many messages went to the kernel. Everything completes within the call, except sends held for a full
     * socket buffer.
     */
    final int sendQueued() {
        for (int slot = nextQueuedForKernel(); slot >= 0; slot = nextQueuedForKernel()) {
            sends.queue(slot, sendBackend);
        }
        return sends.flush(sendBackend);
    }

    /** Sends held for full socket buffers and sent again later, since the I/O opened (for tests). */
    public final long sendsHeld() {
        return sends.held();
    }

    /** Sends refused with {@code EAGAIN} because their socket held as many as it may (for tests). */
    public final long heldDrops() {
        return sends.heldDrops();
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
            for (int i = 0; i < inputSlots; i++) {
                if (inputFd(i) >= 0) {
                    final PacketRxRing.Statistics reading = PacketRxRing.statistics(inputFd(i));
                    inputPackets[i] += reading.packets();
                    inputRingFull[i] += reading.drops();
                }
            }
        }
        final List<InputCounts> counts = new ArrayList<>(inputSlots);
        for (int i = 0; i < inputSlots; i++) {
            // A frame the kernel counted before this I/O adopted the socket, and a previous reader read the counts,
            // may still be staged and dropped here: never report fewer frames than were dropped.
            final long packets = Math.max(inputPackets[i], inputRingFull[i] + inputStagingFull[i]);
            counts.add(new InputCounts(inputNames[i], packets, inputRingFull[i], inputStagingFull[i]));
        }
        counts.sort(Comparator.comparing(InputCounts::interfaceName));
        return List.copyOf(counts);
    }

    /**
     * Reports what egress socket {@code socket} holds on its error queue, taking up to {@code limit} reports off it,
     * one {@code recvmsg} each, each for the destination whose address and port it names; sets
     * {@link #errorsDrained} when the queue was read to its end. When the first read finds the queue empty, the
     * socket's pending error ({@code SO_ERROR}) is taken instead and not reported (it names no destination), so that
     * an error whose report the queue could not hold does not leave the socket ready for ever. Each read is of the
     * socket as it is then: once it was let go, reading stops. A report for a destination released since (no open
     * destination has its address) is taken off and not reported, as the handle is no longer the caller's.
     * Allocates nothing.
     */
    final int drainErrors(final int socket, final SendErrorHandler handler, final int limit) {
        errorsDrained = false;
        int reported = 0;
        int taken = 0;
        while (taken < limit) {
            final int fd = destinations.socketFd(socket);
            if (fd < 0) {
                errorsDrained = true; // the socket is gone, and its queue with it
                break;
            }
            int errno = errorQueue.next(fd);
            int handle = -1;
            if (errno == ErrorQueueReader.EMPTY) {
                if (taken == 0) {
                    errorQueue.takePendingError(fd);
                }
                errno = 0;
                errorsDrained = true;
            } else if (errno > 0) {
                handle = destinations.handleOf(socket, errorQueue.address(), errorQueue.port());
            }
            taken++;
            if (errno > 0 && handle >= 0) {
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

    /** The number of egress sockets in use: one per (interface, TTL) of the destinations (for tests). */
    public final int egressSockets() {
        return destinations.socketCount();
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

    /** Reads one ring: delivers frames within the budget and stages the rest. One per input, reused. */
    private final class RingReader implements PacketRxRing.FrameHandler {
        final int input;
        final int ifIndex;
        FrameHandler handler;
        int budget;
        int delivered;

        RingReader(final int input, final int ifIndex) {
            this.input = input;
            this.ifIndex = ifIndex;
        }

        @Override
        public void onFrame(final MemorySegment frame, final long offset, final int length, final int wireLength) {
            if (delivered < budget) {
                lent.wrap(frame.address() + offset, length);
                delivered++;
                handler.onFrame(ifIndex, lent, 0, length);
            } else if (!staging.stage(ifIndex, frame, offset, length)) {
                inputStagingFull[input]++;
            }
        }
    }
}
