package io.mcrelay.linux.packetio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The fallback {@link PacketIo} where io_uring cannot run (a seccomp filter, {@code kernel.io_uring_disabled}, an old
 * kernel): the same {@code TPACKET_V3} rings as {@link IoUringPacketIo}, read in place ({@link LinuxPacketIo}), with
 * {@code epoll} for waiting and {@code sendmmsg(2)} (Linux 3.0) on the egress UDP sockets (one per interface and TTL).
 * Same contract and the same sockets from the supervisor; more system calls while idle, none more per packet.
 *
 * <p><b>Receive.</b> {@link #pollFrames} reads every attached ring whose next block the kernel has handed over
 * ({@link PacketRxRing#hasReadyBlock()}: a look at the ring's shared memory, no system call), staged frames first, never
 * more frames than the limit. Each ring's socket is in an epoll set (level-triggered {@code EPOLLIN}: a block is
 * ready), used only by {@link #await}. Rings join the set at {@link #attachInput} and leave it at
 * {@link #releaseInput}, once no block is ready and nothing is staged (what waits is read by {@link #pollFrames}
 * first); then the ring is closed.
 *
 * <p><b>Send.</b> {@link #send} copies the payload into a preallocated slot; {@link #submit()} hands each
 * destination's queued sends to one {@code sendmmsg(MSG_DONTWAIT)} ({@link DestinationSends}, shared with the io_uring
 * backend: in order, held while the socket buffer is full). A blocked destination is tried again at every submit
 * (this backend does not wait for its room), and {@link #await} waits at most a millisecond while one is blocked.
 *
 * <p><b>Error queues.</b> Every egress socket has {@code IP_RECVERR} (so a full device queue fails a send with
 * {@code ENOBUFS} rather than passing for sent) and is in a second epoll set, for {@code EPOLLERR} only, which
 * {@link #await}'s {@code poll} watches too. {@link #pollSendErrors} asks that set which sockets hold reports once the
 * wait saw it ready, and, since a busy worker may not wait for long, at every {@value #ERROR_CHECK_INTERVAL}th call
 * anyway; it reads those with {@code recvmsg(MSG_ERRQUEUE)}. A socket leaves the set before it is closed.
 *
 * <p>The I/O owns the rings handed to it and its egress sockets and closes them. Egress sockets are opened in the
 * network namespace of the thread that calls {@link #openDestination}. Single-threaded; nothing allocates per packet.
 * Layout of {@code struct epoll_event} from {@code sys/epoll.h} (packed to 12 bytes on x86-64, 16 elsewhere).
 */
public final class EpollPacketIo extends LinuxPacketIo {
    /** Inputs attached at once at most (each is a ring of the supervisor's geometry, mapped into this process). */
    public static final int INPUTS_MAX = 1024;
    /** {@link #pollSendErrors} calls between looks at the error set while no wait has seen it ready. */
    static final int ERROR_CHECK_INTERVAL = 64;

    // sys/epoll.h
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLLIN = 0x001;
    static final int EPOLLERR = 0x008;
    /** Sockets with errors taken from the error set per {@code epoll_pwait}. */
    private static final int ERROR_EVENTS_MAX = 64;
    static final int EPOLL_CLOEXEC = 0x80000;
    private static final boolean PACKED_EPOLL_EVENT = "amd64".equals(System.getProperty("os.arch"))
        || "x86_64".equals(System.getProperty("os.arch"));
    private static final int EPOLL_EVENT_BYTES = PACKED_EPOLL_EVENT ? 12 : 16;
    private static final int EPOLL_DATA = PACKED_EPOLL_EVENT ? 4 : 8;

    /*
     * The error-set reads go through syscall(2) (Syscalls.syscall, -errno on failure), as io_uring_enter does: a libc
     * downcall with its own errno capture allocated a segment per call where the JIT did not inline it, and the data
     * path must not allocate. Numbers from arch/x86/entry/syscalls/syscall_64.tbl and asm-generic/unistd.h (aarch64,
     * which has epoll_pwait but no epoll_wait; with a null signal mask epoll_pwait is epoll_wait).
     */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_EPOLL_PWAIT = AARCH64 ? 22 : 281;

    // Set-up calls: libc, pointers passed as longs.

    private final MemorySegment capture;
    /** The rings' sockets, for {@link #await}. */
    private final int epollFd;
    private final int[] waitFds = new int[3];
    private final short[] waitEvents = new short[3];
    private final MemorySegment registration;
    /** The egress sockets, for EPOLLERR. */
    private final int errorEpollFd;
    private final MemorySegment errorEvents;
    private final MemorySegment errorRegistration;
    /** Some egress socket may have reports: the error set was seen ready and not yet read to its end. */
    private boolean errorsReady;
    private int callsSinceErrorCheck;

    /** Blocked egress sockets, tried again at the next submit (this backend does not wait for their room). */
    private final int[] blockedSockets;
    private int blockedCount;

    private EpollPacketIo(final RingIoConfig config) {
        super(config);
        int inputSet = -1;
        int errorSet = -1;
        try {
            capture = arena.allocate(Syscalls.CAPTURE);
            registration = arena.allocate(EPOLL_EVENT_BYTES, 8);
            errorEvents = arena.allocate((long) ERROR_EVENTS_MAX * EPOLL_EVENT_BYTES, 8);
            errorRegistration = arena.allocate(EPOLL_EVENT_BYTES, 8);
            blockedSockets = new int[slots.capacity()];
            inputSet = epollCreate();
            errorSet = epollCreate();
        } catch (final RuntimeException e) {
            if (inputSet >= 0) {
                Syscalls.close(inputSet);
            }
            closeSendSide();
            throw e;
        }
        epollFd = inputSet;
        errorEpollFd = errorSet;
        destinations.watch(new ErrorSetWatch());
    }

    /** Adds the ring of input slot {@code input} to the input set, or deletes it. */
    private void inputControl(final int operation, final int input) {
        registration.set(ValueLayout.JAVA_INT_UNALIGNED, 0, EPOLLIN);
        registration.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA, input);
        check(epollControl(epollFd, operation, inputRings[input].fd(), registration.address()), "epoll_ctl("
            + (operation == EPOLL_CTL_ADD ? "EPOLL_CTL_ADD" : "EPOLL_CTL_DEL") + ") of the ring of "
            + inputNames[input]);
    }

    @Override
    void inputSlotsGrown(final int capacity) {
        // Nothing per input beyond the rings LinuxPacketIo keeps.
    }

    @Override
    int inputsMax() {
        return INPUTS_MAX;
    }

    @Override
    void ringAttached(final int input) {
        inputControl(EPOLL_CTL_ADD, input);
    }

    /**
     * Closes the ring once it holds nothing to read (later {@link #pollFrames} calls read what waits), taking it out
     * of the input set first.
     */
    @Override
    boolean releaseStep(final int input) {
        if (staging.count() > 0 || inputRings[input].hasReadyBlock()) {
            return false;
        }
        // A failure (the socket is not in the set) leaves nothing to undo: closing it removes it anyway.
        epollControl(epollFd, EPOLL_CTL_DEL, inputRings[input].fd(), registration.address());
        closeRing(input);
        return true;
    }

    /** Puts each egress socket in the error set while it is open. */
    private final class ErrorSetWatch implements EgressDestinations.SocketWatch {
        @Override
        public void opened(final int socket, final int fd) {
            errorRegistration.set(ValueLayout.JAVA_INT_UNALIGNED, 0, EPOLLERR);
            errorRegistration.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA, socket);
            // A failure (ENOMEM, or ENOSPC past fs.epoll.max_user_watches) leaves the socket's reports unread:
            // its sends work, and the queue, charged to the socket's receive buffer, stays bounded.
            errorSetControl(EPOLL_CTL_ADD, fd);
        }

        @Override
        public boolean closing(final int socket, final int fd) {
            errorSetControl(EPOLL_CTL_DEL, fd); // closing would remove it too, but only if nothing else held it
            return true;
        }
    }

    private int errorSetControl(final int operation, final int fd) {
        return epollControl(errorEpollFd, operation, fd, errorRegistration.address());
    }

    private int epollControl(final int set, final int operation, final int fd, final long event) {
        try {
            return (int) SocketCalls.epollCtl().invokeExact(capture, set, operation, fd, event);
        } catch (final Throwable t) {
            throw new IllegalStateException("epoll_ctl could not be called", t);
        }
    }

    /**
     * Blocks until a ring has a block ready (the epoll set is readable; only when {@code frames} is true),
     * descriptor {@code watchFd} is readable or at its end of file (a worker's channel; -1 for none), an egress
     * socket has an error report, or {@code timeoutNs} passed: one {@code poll(2)} over the epoll descriptors and
     * {@code watchFd}. The fallback backend's wait; it consumes no event. Epoll readiness is level-triggered: a
     * caller that will not read frames now (a worker without a ruleset) passes {@code frames} false, or it would
     * never sleep; error reports are read by {@link #pollSendErrors}, which the wait lets know of them.
     */
    public void await(final int watchFd, final long timeoutNs, final boolean frames) {
        ensureOpen();
        // A blocked destination is tried again at the next submit: wake for it within a millisecond. Staged frames
        // wait to be delivered: no wait at all.
        final int timeoutMs = staging.count() > 0 ? 0 : (int) Math.min(blockedCount > 0 ? 1 : Integer.MAX_VALUE,
            Math.max(0, (timeoutNs + 999_999) / 1_000_000));
        waitFds[0] = frames ? epollFd : -1;
        waitFds[1] = watchFd;
        waitFds[2] = errorEpollFd;
        Processes.poll(waitFds, 3, waitEvents, timeoutMs);
        if ((waitEvents[2] & EPOLLIN) != 0) {
            errorsReady = true;
        }
    }

    /**
     * An I/O over {@code inputs}, taking ownership of their rings once it is made (if this throws, they are still the
     * caller's to close).
     *
     * @throws LinuxException naming the call if epoll cannot be set up
     * @throws IllegalArgumentException if two inputs share an interface
     */
    public static EpollPacketIo open(final List<RingInput> inputs, final RingIoConfig config) {
        Objects.requireNonNull(config, "config");
        final String arch = System.getProperty("os.arch");
        if (!AARCH64 && !"amd64".equals(arch) && !"x86_64".equals(arch)) {
            throw new IllegalStateException("the epoll backend knows the system call numbers of x86-64 and aarch64"
                + " only, not of " + arch);
        }
        final List<RingInput> copy = List.copyOf(inputs);
        checkDistinct(copy.stream().map(RingInput::interfaceName).toList());
        if (copy.size() > INPUTS_MAX) {
            throw new IllegalArgumentException(copy.size() + " inputs, more than " + INPUTS_MAX);
        }
        final EpollPacketIo io = new EpollPacketIo(config);
        final int[] slots = new int[copy.size()];
        try {
            for (int i = 0; i < copy.size(); i++) {
                slots[i] = io.newInputSlot(copy.get(i).interfaceName());
                io.inputRings[slots[i]] = copy.get(i).ring(); // borrowed until every one is in the set
                io.inputControl(EPOLL_CTL_ADD, slots[i]);
            }
        } catch (final RuntimeException e) {
            Arrays.fill(io.inputRings, null); // still the caller's
            io.close();
            throw e;
        }
        // Nothing below fails: the rings are the I/O's from here on.
        for (int i = 0; i < copy.size(); i++) {
            io.installRing(slots[i], copy.get(i).ring());
        }
        return io;
    }

    private int epollCreate() {
        try {
            final int fd = (int) SocketCalls.epollCreate1().invokeExact(capture, EPOLL_CLOEXEC);
            if (fd < 0) {
                throw new LinuxException("epoll_create1", Syscalls.errno(capture));
            }
            return fd;
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("epoll_create1 could not be called", t);
        }
    }

    private void check(final int result, final String call) {
        if (result != 0) {
            throw new LinuxException(call, Syscalls.errno(capture));
        }
    }

    @Override
    public int submit() {
        ensureOpen();
        for (int i = 0; i < blockedCount; i++) {
            sends.writable(blockedSockets[i]);
        }
        blockedCount = 0;
        return sendQueued();
    }

    /** A blocked egress socket is tried again at the next submit. */
    @Override
    void watchWritable(final int socket, final int fd) {
        blockedSockets[blockedCount++] = socket;
    }

    @Override
    public int pollFrames(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        int delivered = staging.deliver(handler, limit);
        if (staging.count() > 0) {
            return delivered; // the rings are read again once it is empty: order is kept
        }
        for (int i = 0; i < inputSlots && delivered < limit; i++) {
            if (inputRings[i] != null && inputRings[i].hasReadyBlock()) {
                delivered += readRing(i, handler, limit - delivered);
            }
        }
        assert delivered <= limit;
        return delivered;
    }

    @Override
    void reap() {
        // sendmmsg completes every send within submit: nothing to take from the kernel here.
    }

    /**
     * Reports from the error queues of the egress sockets the error set names, once {@link #await} saw it ready or
     * every {@value #ERROR_CHECK_INTERVAL}th call: no system call in between; then one {@code epoll_pwait} and a
     * {@code recvmsg} per report (and one more per socket, that finds its queue empty).
     */
    @Override
    public int pollSendErrors(final SendErrorHandler handler, final int limit) {
        if (closed || limit <= 0) {
            return 0;
        }
        if (!errorsReady && ++callsSinceErrorCheck < ERROR_CHECK_INTERVAL) {
            return 0;
        }
        callsSinceErrorCheck = 0;
        final int ready = (int) Syscalls.syscall(SYS_EPOLL_PWAIT, errorEpollFd, errorEvents.address(),
            ERROR_EVENTS_MAX, 0, 0);
        // -EINTR, or as many ready sockets as the call could name: look again at the next call.
        boolean drained = ready >= 0 && ready < ERROR_EVENTS_MAX;
        int reported = 0;
        int event = 0;
        for (; event < ready && reported < limit; event++) {
            final int socket = (int) errorEvents.get(ValueLayout.JAVA_LONG_UNALIGNED,
                (long) event * EPOLL_EVENT_BYTES + EPOLL_DATA);
            reported += drainErrors(socket, handler, limit - reported);
            drained &= errorsDrained;
        }
        errorsReady = !drained || event < ready;
        assert reported <= limit;
        return reported;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                Syscalls.close(epollFd);
                Syscalls.close(errorEpollFd);
                closeRings();
            } finally {
                closeSendSide();
            }
        }
    }
}
