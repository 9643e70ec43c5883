package io.mcrelay.linux.packetio;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.seam.PacketIo;

/**
 * The production {@link PacketIo}: frames from {@link PacketRxRing}s (one per input interface the worker was handed),
 * sends with {@code sendmmsg} through egress UDP sockets shared per interface and TTL, and one {@link IoUring}
 * through which every readiness and send passes (DESIGN, "Processes").
 *
 * <p><b>Receive.</b> Each ring's socket has a {@code POLL_ADD} armed for {@code POLLIN} (multishot where the kernel
 * has it, 5.13+; otherwise one-shot, re-armed at every {@link #submit()} after it fired). A ring is read only after
 * its readiness completion arrived, in place, without a system call; the frame is lent as an {@code UnsafeBuffer}
 * over the ring's memory for the callback only. A ring hands over whole blocks, and a poll starts no block once its
 * limit is reached, but the block it started may hold more frames than the limit: those are copied to a
 * preallocated staging area (one block's worth suffices) and delivered first by the next
 * calls, and the rings are not read again until it is empty (so order is kept). Frames that do not fit it are
 * dropped and counted per input ({@link #inputCounts()}'s {@code stagingFull}, {@link #stagingDrops()} in all); size
 * it to a ring block.
 *
 * <p><b>Inputs while running.</b> {@link #attachInput} adopts a passed socket's ring with the geometry of the
 * {@link RingIoConfig} ({@link PacketRxRing#adopt}) and arms its poll at the next submit; up to {@link #INPUTS_MAX} at
 * once. {@link #releaseInput} stops arming it, lets {@link #pollFrames} read it (staged frames first) until no block
 * is ready, then removes its poll ({@code POLL_REMOVE}: the kernel must hold no poll on a closed, maybe reused,
 * descriptor) and closes the ring at the poll's last completion. Inputs live in arrays grown at an attach.
 *
 * <p><b>Send.</b> {@link #send} copies the payload into a free slot of a preallocated native buffer (capacity =
 * free slots, a slot held until its completion is polled); {@link #submit()} sends each egress socket's queued slots
 * (one socket per interface and TTL, {@link EgressDestinations}) with one {@code sendmmsg(MSG_DONTWAIT)}, each
 * message naming its destination ({@link DestinationSends}: in order; held while the socket buffer is full, with a
 * one-shot {@code POLL_ADD} for {@code POLLOUT} in this ring saying when to try again; the caller sees
 * {@code -EAGAIN} only for a send beyond what a blocked socket may hold) and enters the kernel once for the
 * polls. Unlike one {@code SEND} entry per datagram, this keeps a destination's order after a full buffer and needs
 * no completion entry per datagram; linked entries, which would keep the order too, cost about a third more CPU per
 * packet in one end-to-end run (benchmarks/RESULTS.md). A send to a destination without a
 * socket (its interface is missing) completes with that errno at submit, without a system call. Completions carry the
 * caller's user data and the kernel's result.
 *
 * <p><b>Error queues.</b> Every egress socket has {@code IP_RECVERR} (so a full device queue fails a send with
 * {@code -ENOBUFS} rather than passing for sent) and a {@code POLL_ADD} for {@code POLLERR} in the same ring
 * ({@link IoUringErrorPolls}: multishot, or one-shot armed again after the queue was read), armed by the next
 * {@link #submit()} after the socket opened. {@link #pollSendErrors} reads, with {@code recvmsg(MSG_ERRQUEUE)}, only
 * the sockets whose readiness arrived, so it makes no system call while no report waits. A socket given up while its
 * poll is in the kernel gets a {@code POLL_REMOVE} and is closed at the poll's last completion.
 *
 * <p><b>Waiting.</b> A worker's loop waits in this same ring ({@link #await}): the descriptor it
 * {@link #watchReadable watches} (its channel to the supervisor) has a multishot {@code POLL_ADD} of its own, the
 * next deadline is an {@code IORING_OP_TIMEOUT}, and one {@code io_uring_enter(min_complete = 1)} returns at the
 * first completion of any kind: a ring's readiness, a send, the channel, the timeout. User data carries the kind in
 * its top byte (send, ring poll, watch poll, timeout, error-queue poll and its removal).
 *
 * <p><b>Ownership and threads.</b> The I/O owns its ring, the {@link PacketRxRing}s handed to it and its egress
 * sockets, and closes them all. Egress sockets are opened in the network namespace of the thread that calls
 * {@link #openDestination}. Single-threaded: one worker thread drives it. Nothing allocates per packet.
 */
public final class IoUringPacketIo extends LinuxPacketIo {
    /**
     * Inputs attached at once at most: the submission queue is sized for a readiness poll and its removal for each,
     * so that a send always finds room.
     */
    public static final int INPUTS_MAX = 64;

    // user_data of our SQEs: the kind in the top byte, the input, socket or watch index below.
    private static final long KIND_WRITABLE = 1L << 56;
    private static final long KIND_POLL = 2L << 56;
    private static final long KIND_WATCH = 3L << 56;
    private static final long KIND_TIMEOUT = 4L << 56;
    private static final long KIND_ERROR_POLL = 5L << 56;
    private static final long KIND_ERROR_REMOVE = 6L << 56;
    private static final long KIND_INPUT_REMOVE = 7L << 56;
    /**
     * Error-queue polls and removals in the submission queue at most: the queue is sized for them besides every
     * slot, input poll, watch and timeout, so a send always finds room.
     */
    private static final int ERROR_ENTRIES_MAX = 16;
    /** Timeouts in flight at most: a later deadline's timeout stays armed while an earlier one is added. */
    private static final int TIMEOUTS_MAX = 8;
    private static final long TIMESPEC_BYTES = 16;
    private static final long KIND_MASK = 0xFFL << 56;
    private static final int EINVAL = Errno.EINVAL;

    private final IoUring ring;
    // Per input slot (LinuxPacketIo's), grown at an attach: its readiness, whether its poll is prepared or in the
    // kernel, whether it is being given back and whether the removal of its poll is prepared or in the kernel.
    private boolean[] ready = new boolean[0];
    private boolean[] armed = new boolean[0];
    private boolean[] releasing = new boolean[0];
    private boolean[] removing = new boolean[0];
    private boolean multishot = true;
    private int watchedFd = -1;
    private boolean watchArmed;
    /** One {@code __kernel_timespec} per timeout, sliced once (a slice per wait would allocate). */
    private final MemorySegment[] timespecs = new MemorySegment[TIMEOUTS_MAX];
    private final long[] timeoutDeadline = new long[TIMEOUTS_MAX];
    private final boolean[] timeoutArmed = new boolean[TIMEOUTS_MAX];
    private long waits;
    /** Entries prepared but not yet taken by the kernel. */
    private int unsubmitted;
    private final IoUringErrorPolls errorPolls;
    /** At least as many error-queue entries as are among the unsubmitted ones (the kernel takes them in order). */
    private int errorEntriesUnsubmitted;

    private final IoUring.CompletionHandler onCqe = this::onCqe;

    private IoUringPacketIo(final IoUring ring, final RingIoConfig config) {
        super(config);
        this.ring = ring;
        try {
            final MemorySegment times = arena.allocate(TIMESPEC_BYTES * TIMEOUTS_MAX, 8);
            for (int t = 0; t < TIMEOUTS_MAX; t++) {
                timespecs[t] = times.asSlice(t * TIMESPEC_BYTES, TIMESPEC_BYTES);
            }
        } catch (final RuntimeException e) {
            closeSendSide();
            throw e;
        }
        errorPolls = new IoUringErrorPolls(this, KIND_ERROR_POLL, KIND_ERROR_REMOVE);
        destinations.watch(errorPolls);
    }

    /**
     * An I/O over {@code inputs} (it takes ownership of their rings once it is made; if this throws, they are
     * still the caller's) with a new io_uring sized for its sends and
     * polls. The readiness polls are armed by the first {@link #submit()}.
     *
     * @throws LinuxException if io_uring cannot be set up (see {@link PacketBackend} for the fallback)
     */
    public static IoUringPacketIo open(final List<RingInput> inputs, final RingIoConfig config) {
        Objects.requireNonNull(config, "config");
        final List<RingInput> copy = List.copyOf(inputs);
        checkDistinct(copy.stream().map(RingInput::interfaceName).toList());
        if (copy.size() > INPUTS_MAX) {
            throw new IllegalArgumentException(copy.size() + " inputs, more than " + INPUTS_MAX);
        }
        // A writability poll per blocked socket (at most one per slot), every input poll and its removal, the
        // timeouts and the error-queue entries may be in the submission queue at once: it never fills.
        final int entries = Integer.highestOneBit(Math.max(8, config.sendSlots() + 2 * INPUTS_MAX + 1 + TIMEOUTS_MAX
            + ERROR_ENTRIES_MAX + 8) * 2 - 1);
        final IoUring ring = IoUring.open(Math.min(entries, 32_768));
        final IoUringPacketIo io;
        try {
            io = new IoUringPacketIo(ring, config);
        } catch (final RuntimeException e) {
            ring.close();
            throw e;
        }
        // Nothing below fails: the rings are the I/O's from here on.
        for (final RingInput input : copy) {
            io.installRing(io.newInputSlot(input.interfaceName()), input.ring());
        }
        return io;
    }

    @Override
    void inputSlotsGrown(final int capacity) {
        ready = Arrays.copyOf(ready, capacity);
        armed = Arrays.copyOf(armed, capacity);
        releasing = Arrays.copyOf(releasing, capacity);
        removing = Arrays.copyOf(removing, capacity);
    }

    @Override
    int inputsMax() {
        return INPUTS_MAX;
    }

    /** Its readiness poll is armed by the next {@link #submit()} or {@link #await}. */
    @Override
    void ringAttached(final int input) {
        ready[input] = false;
        armed[input] = false;
        releasing[input] = false;
        removing[input] = false;
    }

    /**
     * Reads the ring until no block is ready (later {@link #pollFrames} calls deliver what waits), then removes its
     * readiness poll ({@code POLL_REMOVE}: the kernel must hold no poll on a descriptor that is closed and may be
     * reused), and closes the ring at the poll's last completion.
     */
    @Override
    boolean releaseStep(final int input) {
        releasing[input] = true;
        reap();
        if (staging.count() > 0 || inputRings[input].hasReadyBlock()) {
            return false;
        }
        if (armed[input]) {
            if (!removing[input] && ring.preparePollRemove(KIND_POLL | input, KIND_INPUT_REMOVE | input)) {
                removing[input] = true;
                unsubmitted++;
                enter(0);
                reap();
            }
            if (armed[input]) {
                return false; // its last completion has not arrived: the next call looks again
            }
        }
        closeRing(input);
        ready[input] = false;
        releasing[input] = false;
        removing[input] = false;
        return true;
    }

    @Override
    public int submit() {
        ensureOpen();
        final int sent = sendQueued();
        final int prepared = prepare();
        if (unsubmitted > 0) {
            enter(0);
        }
        return sent + prepared;
    }

    /** A blocked egress socket: a one-shot poll for room, whose completion lets its held sends go again. */
    @Override
    void watchWritable(final int socket, final int fd) {
        if (!ring.preparePoll(fd, IoUring.POLLOUT, false, KIND_WRITABLE | socket)) {
            throw new IllegalStateException("the submission queue is full, but it is sized to hold every slot");
        }
        unsubmitted++;
    }

    /** Prepares the polls that are not armed; returns how many entries. */
    private int prepare() {
        int prepared = 0;
        for (int i = 0; i < inputSlots; i++) {
            // An input being given back is not armed again: its poll must end before its socket closes.
            if (inputRings[i] != null && !armed[i] && !releasing[i]
                && ring.preparePoll(inputRings[i].fd(), IoUring.POLLIN, multishot, KIND_POLL | i)) {
                armed[i] = true;
                prepared++;
            }
        }
        if (watchedFd >= 0 && !watchArmed && ring.preparePoll(watchedFd, IoUring.POLLIN, multishot, KIND_WATCH)) {
            watchArmed = true;
            prepared++;
        }
        final int errorEntries = errorPolls.prepare(ring, multishot, ERROR_ENTRIES_MAX - errorEntriesUnsubmitted);
        errorEntriesUnsubmitted += errorEntries;
        prepared += errorEntries;
        unsubmitted += prepared;
        return prepared;
    }

    /** Hands the prepared entries to the kernel and, with {@code completeMin} 1, waits for a completion. */
    private void enter(final int completeMin) {
        // EINTR/EBUSY/EAGAIN (or a short count) leave entries in the queue: the next submit hands them over.
        final int taken = ring.submit(completeMin);
        if (taken > 0) {
            unsubmitted -= taken;
        }
        errorEntriesUnsubmitted = Math.min(errorEntriesUnsubmitted, unsubmitted);
    }

    /**
     * Watches descriptor {@code fd} (not owned; it must outlive this I/O or be unwatched by closing this first) for
     * readability through this ring, so that {@link #await} returns when it is readable or at its end of file: a
     * worker's channel to the supervisor. Armed by the next {@link #submit()} or {@link #await}.
     */
    public void watchReadable(final int fd) {
        ensureOpen();
        if (watchedFd >= 0) {
            throw new IllegalStateException("already watching descriptor " + watchedFd);
        }
        watchedFd = fd;
    }

    /**
     * Blocks until at least one completion is waiting (a ring's readiness, a send's outcome, the watched descriptor
     * readable) or {@code timeoutNs} passed (an {@code IORING_OP_TIMEOUT} on the same ring), in one
     * {@code io_uring_enter}; submits whatever is prepared on the way. Returns at once when staged frames wait or
     * a completion is not yet reaped; a ring readiness already taken but not read does not end the wait (call it
     * after a duty cycle that did nothing). A signal may
     * end the wait early ({@code EINTR}): callers loop. Allocates nothing.
     */
    public void await(final long timeoutNs) {
        ensureOpen();
        prepare();
        // A readiness not yet consumed does not keep it awake: the loop waits only after a cycle that did nothing,
        // so the agent chose not to read (no ruleset yet, or no send capacity: a send completion will wake it).
        boolean block = timeoutNs > 0 && staging.count() == 0;
        if (block) {
            block = armTimeout(timeoutNs);
        }
        if (block) {
            waits++;
        }
        enter(block ? 1 : 0);
    }

    /**
     * Makes sure a timeout fires no later than {@code timeoutNs} from now: an armed one that does is kept, otherwise
     * a free one is armed. False when all are armed for later deadlines (do not block then).
     */
    private boolean armTimeout(final long timeoutNs) {
        final long now = System.nanoTime();
        final long deadline = now + timeoutNs;
        int free = -1;
        for (int t = 0; t < TIMEOUTS_MAX; t++) {
            if (timeoutArmed[t]) {
                if (timeoutDeadline[t] - deadline <= 0) {
                    return true; // it wakes us early enough
                }
            } else if (free < 0) {
                free = t;
            }
        }
        if (free < 0) {
            return false;
        }
        IoUring.timespec(timespecs[free], timeoutNs);
        if (!ring.prepareTimeout(timespecs[free], KIND_TIMEOUT | free)) {
            return false;
        }
        timeoutArmed[free] = true;
        timeoutDeadline[free] = deadline;
        unsubmitted++;
        return true;
    }

    /** How many times {@link #await} blocked in the kernel (for tests: the loop does not spin). */
    public long waits() {
        return waits;
    }

    @Override
    public int pollFrames(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        reap();
        int delivered = staging.deliver(handler, limit);
        if (staging.count() > 0) {
            return delivered;
        }
        for (int i = 0; i < inputSlots && delivered < limit; i++) {
            // An input being given back is read without a readiness: its poll may have ended.
            if (ready[i] || releasing[i] && inputRings[i].hasReadyBlock()) {
                ready[i] = false;
                delivered += readRing(i, handler, limit - delivered);
                // Blocks left for a later poll (the budget ran out): the readiness stays, the kernel wakes no one.
                ready[i] = inputRings[i].hasReadyBlock();
            }
        }
        assert delivered <= limit;
        return delivered;
    }

    @Override
    void reap() {
        ring.pollCompletions(onCqe, Integer.MAX_VALUE);
    }

    private void onCqe(final long userData, final int result, final int flags) {
        final long kind = userData & KIND_MASK;
        final int index = (int) (userData & ~KIND_MASK);
        if (kind == KIND_WRITABLE) {
            sends.writable(index); // room, an error, or the poll ended: the held sends try again either way
        } else if (kind == KIND_POLL) {
            if (result > 0) {
                ready[index] = true;
            } else if (result == -EINVAL && multishot) {
                multishot = false; // a kernel before 5.13 refuses IORING_POLL_ADD_MULTI: poll one-shot instead
            }
            if ((flags & IoUring.IORING_CQE_F_MORE) == 0) {
                armed[index] = false; // one-shot, or a multishot poll the kernel ended: re-armed at the next submit
            }
        } else if (kind == KIND_WATCH) {
            if (result == -EINVAL && multishot) {
                multishot = false;
            }
            if ((flags & IoUring.IORING_CQE_F_MORE) == 0) {
                watchArmed = false; // re-armed at the next submit or await
            }
        } else if (kind == KIND_TIMEOUT) {
            timeoutArmed[index] = false; // -ETIME: it expired (the only way it ends: none is ever removed)
        } else if (kind == KIND_ERROR_POLL) {
            if (result == -EINVAL && multishot) {
                multishot = false;
            }
            errorPolls.onPollCompletion(userData & ~KIND_MASK, result, flags);
        } else if (kind == KIND_INPUT_REMOVE) {
            assert result == 0 || result == -Errno.ENOENT || result == -Errno.EALREADY : "POLL_REMOVE: " + result;
            // The removed poll's own completion, without F_MORE, clears its armed flag: the ring may close then.
        } else if (kind == KIND_ERROR_REMOVE) {
            assert result == 0 || result == -Errno.ENOENT || result == -Errno.EALREADY : "POLL_REMOVE: " + result;
            // Nothing to do: the removed poll's own completion, without F_MORE, ends its watch.
        } else {
            throw new IllegalStateException("a completion that is not ours: user data " + Long.toHexString(userData));
        }
    }

    /**
     * Reports from the error queues of the sockets whose readiness arrived (reaping completions first, without a
     * system call); see the class comment.
     */
    @Override
    public int pollSendErrors(final SendErrorHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        reap();
        return errorPolls.poll(handler, limit);
    }

    /** Egress sockets whose error-queue poll is prepared or in the kernel (for tests). */
    public int errorPollsArmed() {
        return errorPolls.armedCount();
    }

    /** Whether readiness polls are multishot (false on kernels before 5.13, found out at the first poll). */
    public boolean multishotPolls() {
        return multishot;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                ring.close(); // first: the kernel lets go of the send buffers and the sockets
            } finally {
                closeRings();
                errorPolls.close();
                closeSendSide();
            }
        }
    }
}
