package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.packet.PacketPrograms;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The fallback {@link PacketIo} for kernels without a usable io_uring: {@code epoll} for readiness,
 * {@code recvmmsg(2)} (Linux 2.6.33) on plain {@code AF_PACKET} sockets (no receive ring) and {@code sendmmsg(2)}
 * (Linux 3.0) on the egress UDP sockets (one per interface and TTL). Same contract as {@link IoUringPacketIo},
 * fewer system calls saved.
 *
 * <p><b>Receive.</b> {@link #pollFrames} asks epoll (level-triggered, no wait) which input sockets are readable and
 * reads each with {@code recvmmsg(MSG_DONTWAIT)} into preallocated buffers, never more frames than the limit; a
 * frame's interface is the one the kernel names in its {@code sockaddr_ll}. Frames this host sent
 * ({@code PACKET_OUTGOING}, seen when an input is also an output) are skipped, as the ring's filter drops them.
 * Sockets join the set at {@link #attachInput} and leave it at {@link #releaseInput}, once {@code poll(2)} finds
 * them empty (what waits is read by {@link #pollFrames} first).
 *
 * <p><b>Send.</b> {@link #send} copies the payload into a preallocated slot; {@link #submit()} hands each
 * destination's queued sends to one {@code sendmmsg(MSG_DONTWAIT)} ({@link DestinationSends}, shared with the io_uring
 * backend: in order, held while the socket buffer is full). A blocked destination is tried again at every submit
 * (this backend does not wait for its room), and {@link #await} waits at most a millisecond while one is blocked.
 *
 * <p><b>Error queues.</b> Every egress socket has {@code IP_RECVERR} (so a full device queue fails a send with
 * {@code ENOBUFS} rather than passing for sent) and is in a second epoll set, for {@code EPOLLERR} only, which is
 * itself in the input set: the {@code epoll_pwait} that {@link #pollFrames} makes anyway, and the {@code poll} of
 * {@link #await}, say when some socket's error queue holds reports, and only then does {@link #pollSendErrors} ask the
 * second set which, and read those with {@code recvmsg(MSG_ERRQUEUE)}. A socket leaves the set before it is closed.
 *
 * <p>All message headers, vectors, addresses and buffers are allocated once; nothing allocates per packet. The I/O
 * owns its input sockets and its egress sockets and closes them. Egress sockets are opened in the network namespace
 * of the thread that calls {@link #openDestination}. Single-threaded. Layouts from {@code bits/socket.h}
 * ({@code struct msghdr}, 56 bytes; {@code struct mmsghdr}, 64), {@code linux/uio.h} ({@code struct iovec}, 16),
 * {@code linux/if_packet.h} ({@code struct sockaddr_ll}, 20) and {@code sys/epoll.h} ({@code struct epoll_event},
 * packed to 12 bytes on x86-64, 16 elsewhere).
 */
public final class EpollPacketIo extends LinuxPacketIo {
    /** An input interface and its {@code AF_PACKET} socket, bound to it (see {@link #openInputSocket}). */
    public record Input(String interfaceName, int fd) {
        public Input {
            Objects.requireNonNull(interfaceName, "interfaceName");
            if (fd < 0) {
                throw new IllegalArgumentException("not a descriptor: " + fd);
            }
        }
    }

    /**
     * Sizes: {@code rxBatch} frames per {@code recvmmsg}, each up to {@code frameBytes} (longer ones arrive cut to
     * it); {@code sendSlots} sends outstanding at most, each up to {@code slotBytes}; {@code sendBufferBytes} per
     * egress socket (0 for the system default).
     */
    public record Config(int rxBatch, int frameBytes, int sendSlots, int slotBytes, int sendBufferBytes) {
        public static final Config DEFAULT = new Config(64, 9216 + 18, 256, 9216, 0);

        public Config {
            if (rxBatch < 1 || rxBatch > 1024) {
                throw new IllegalArgumentException("receive batch must be 1 to 1024, not " + rxBatch);
            }
            if (frameBytes < 64 || frameBytes > 65_536) {
                throw new IllegalArgumentException("frame buffer must be 64 to 65536 bytes, not " + frameBytes);
            }
        }
    }

    // linux/if_packet.h, bits/socket.h, sys/epoll.h
    static final int PACKET_OUTGOING = 4;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLLIN = 0x001;
    static final int EPOLLERR = 0x008;
    /** The input set's event data of the error set (input events carry the input's index). */
    private static final long ERRORS_READY = Long.MAX_VALUE;
    /** Ready inputs (and the error set) taken per {@code epoll_pwait}; level-triggered, the rest show next time. */
    private static final int INPUT_EVENTS_MAX = 64;
    /** Sockets with errors taken from the error set per {@code epoll_pwait}. */
    private static final int ERROR_EVENTS_MAX = 64;
    static final int EPOLL_CLOEXEC = 0x80000;
    private static final int SOCKADDR_LL_BYTES = 20;
    private static final int NAME_STRIDE = 24;
    private static final int MSGHDR_NAME = 0;
    private static final int MSGHDR_NAMELEN = 8;
    private static final int MSGHDR_IOV = 16;
    private static final int MSGHDR_IOVLEN = 24;
    private static final int MMSGHDR_LEN = 56;
    private static final int MMSGHDR_BYTES = 64;
    private static final int IOVEC_BYTES = 16;
    private static final boolean PACKED_EPOLL_EVENT = "amd64".equals(System.getProperty("os.arch"))
        || "x86_64".equals(System.getProperty("os.arch"));
    private static final int EPOLL_EVENT_BYTES = PACKED_EPOLL_EVENT ? 12 : 16;
    private static final int EPOLL_DATA = PACKED_EPOLL_EVENT ? 4 : 8;

    /*
     * The data-path calls go through syscall(2) (Syscalls.syscall, -errno on failure), as io_uring_enter does: a libc
     * downcall with its own errno capture allocated a segment per call where the JIT did not inline it, and the data
     * path must not allocate. Numbers from arch/x86/entry/syscalls/syscall_64.tbl and asm-generic/unistd.h (aarch64,
     * which has epoll_pwait but no epoll_wait; with a null signal mask epoll_pwait is epoll_wait).
     */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_EPOLL_PWAIT = AARCH64 ? 22 : 281;
    private static final long SYS_RECVMMSG = AARCH64 ? 243 : 299;

    // Set-up calls: libc, pointers passed as longs.

    private final MemorySegment capture;
    private final int epollFd;
    private final int[] waitFds = new int[3];
    private final short[] waitEvents = new short[3];
    /** Per input slot (LinuxPacketIo's): its socket, or -1 while none is attached. */
    private int[] inputFds = new int[0];
    /** For {@link #releaseStep}: one {@code poll(2)} of a socket being given back. */
    private final int[] releaseFd = new int[1];
    private final short[] releaseEvents = new short[1];
    private final MemorySegment events;
    /** The egress sockets, for EPOLLERR; in the input set with {@link #ERRORS_READY}. */
    private final int errorEpollFd;
    private final MemorySegment errorEvents;
    private final MemorySegment errorRegistration;
    /** Some egress socket may have reports: the error set was seen ready and not yet read to its end. */
    private boolean errorsReady;

    // Receive: rxBatch message headers, each with one iovec, one sockaddr_ll and one frame buffer.
    private final int rxBatch;
    private final int frameBytes;
    private final MemorySegment rxMessages;
    private final MemorySegment rxNames;
    private final long rxBuffers;

    /** Blocked egress sockets, tried again at the next submit (this backend does not wait for their room). */
    private final int[] blockedSockets;
    private int blockedCount;

    private final UnsafeBuffer lent = new UnsafeBuffer(0L, 0);

    private EpollPacketIo(final List<Input> inputs, final Config config) {
        super(config.sendSlots(), config.slotBytes(), config.sendBufferBytes());
        final int[] launchIfIndex = new int[inputs.size()];
        try {
            capture = arena.allocate(Syscalls.CAPTURE);
            for (int i = 0; i < inputs.size(); i++) {
                launchIfIndex[i] = PacketRxRing.boundIfIndex(inputs.get(i).fd(), inputs.get(i).interfaceName());
            }
            events = arena.allocate((long) INPUT_EVENTS_MAX * EPOLL_EVENT_BYTES, 8);
            errorEvents = arena.allocate((long) ERROR_EVENTS_MAX * EPOLL_EVENT_BYTES, 8);
            errorRegistration = arena.allocate(EPOLL_EVENT_BYTES, 8);
            rxBatch = config.rxBatch();
            frameBytes = config.frameBytes();
            rxMessages = arena.allocate((long) rxBatch * MMSGHDR_BYTES, 8);
            final MemorySegment rxIovecs = arena.allocate((long) rxBatch * IOVEC_BYTES, 8);
            rxNames = arena.allocate((long) rxBatch * NAME_STRIDE, 8);
            rxBuffers = arena.allocate((long) rxBatch * frameBytes, 64).address();
            for (int i = 0; i < rxBatch; i++) {
                final long message = (long) i * MMSGHDR_BYTES;
                final long iovec = (long) i * IOVEC_BYTES;
                final long name = rxNames.address() + (long) i * NAME_STRIDE;
                rxMessages.set(ValueLayout.JAVA_LONG, message + MSGHDR_NAME, name);
                rxMessages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOV, rxIovecs.address() + iovec);
                rxMessages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOVLEN, 1);
                rxIovecs.set(ValueLayout.JAVA_LONG, iovec, rxBuffers + (long) i * frameBytes);
                rxIovecs.set(ValueLayout.JAVA_LONG, iovec + 8, frameBytes);
            }
            blockedSockets = new int[slots.capacity()];
            epollFd = epollCreate();
        } catch (final RuntimeException e) {
            closeSendSide();
            throw e;
        }
        int errorSet = -1;
        try {
            errorSet = epollCreate();
            for (int i = 0; i < inputs.size(); i++) {
                inputControl(EPOLL_CTL_ADD, i, inputs.get(i).fd(), inputs.get(i).interfaceName());
            }
            events.set(ValueLayout.JAVA_INT_UNALIGNED, 0, EPOLLIN);
            events.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA, ERRORS_READY);
            check((int) SocketCalls.epollCtl().invokeExact(capture, epollFd, EPOLL_CTL_ADD, errorSet, events.address()),
                "epoll_ctl(EPOLL_CTL_ADD) of the egress sockets' error set");
        } catch (final RuntimeException e) {
            closeEpollSets(errorSet);
            throw e;
        } catch (final Throwable t) {
            closeEpollSets(errorSet);
            throw new IllegalStateException("epoll_ctl could not be called", t);
        }
        errorEpollFd = errorSet;
        destinations.watch(new ErrorSetWatch());
        // Nothing below fails: the sockets are the I/O's from here on.
        for (int i = 0; i < inputs.size(); i++) {
            final int input = newInputSlot(inputs.get(i).interfaceName()); // grows the arrays: index them after
            inputFds[input] = inputs.get(i).fd();
            inputIfIndex[input] = launchIfIndex[i];
        }
    }

    /** Adds socket {@code fd} of input slot {@code input} to the input set, or deletes it. */
    private void inputControl(final int operation, final int input, final int fd, final String interfaceName) {
        events.set(ValueLayout.JAVA_INT_UNALIGNED, 0, EPOLLIN);
        events.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA, input);
        check(epollControl(epollFd, operation, fd, events.address()), "epoll_ctl(" + (operation == EPOLL_CTL_ADD
            ? "EPOLL_CTL_ADD" : "EPOLL_CTL_DEL") + ") of the packet socket of " + interfaceName);
    }

    @Override
    void inputSlotsGrown(final int capacity) {
        final int from = inputFds.length;
        inputFds = Arrays.copyOf(inputFds, capacity);
        Arrays.fill(inputFds, from, capacity, -1);
    }

    /** Takes plain packet socket {@code fd} into the input set (see {@link #openInputSocket}). */
    @Override
    int adoptInput(final int input, final String interfaceName, final int fd) {
        try {
            final int ifIndex = PacketRxRing.boundIfIndex(fd, interfaceName);
            final String bound = Syscalls.ifName(ifIndex);
            if (!bound.equals(interfaceName)) {
                throw new IllegalArgumentException("the socket for input " + interfaceName + " is bound to " + bound);
            }
            inputControl(EPOLL_CTL_ADD, input, fd, interfaceName);
            inputFds[input] = fd;
            return ifIndex;
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e instanceof LinuxException ? new IllegalArgumentException("the socket for input " + interfaceName
                + " is not a packet socket bound to an interface that exists: " + e.getMessage(), e) : e;
        }
    }

    /**
     * Closes the socket once it holds no frame ({@code poll(2)} finds it not readable; later {@link #pollFrames}
     * calls read what waits), taking it out of the input set first.
     */
    @Override
    boolean releaseStep(final int input) {
        releaseFd[0] = inputFds[input];
        if (Processes.poll(releaseFd, 1, releaseEvents, 0) > 0 && (releaseEvents[0] & EPOLLIN) != 0) {
            return false;
        }
        inputControl(EPOLL_CTL_DEL, input, releaseFd[0], inputNames[input]);
        inputClosing(input);
        inputFds[input] = -1;
        Syscalls.close(releaseFd[0]);
        return true;
    }

    private void closeEpollSets(final int errorSet) {
        if (errorSet >= 0) {
            Syscalls.close(errorSet);
        }
        Syscalls.close(epollFd);
        closeSendSide();
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
     * Blocks until a packet socket has frames (the epoll set is readable; only when {@code frames} is true),
     * descriptor {@code watchFd} is readable or at its end of file (a worker's channel; -1 for none), an egress
     * socket has an error report, or {@code timeoutNs} passed: one {@code poll(2)} over the epoll descriptors and
     * {@code watchFd}. The fallback backend's wait; it consumes no event. Epoll readiness is level-triggered: a
     * caller that will not read frames now (a worker without a ruleset) passes {@code frames} false, or it would
     * never sleep; error reports are read by {@link #pollSendErrors}, which the wait lets know of them.
     */
    public void await(final int watchFd, final long timeoutNs, final boolean frames) {
        ensureOpen();
        // A blocked destination is tried again at the next submit: wake for it within a millisecond.
        final int timeoutMs = (int) Math.min(blockedCount > 0 ? 1 : Integer.MAX_VALUE,
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
     * An I/O over {@code inputs}, taking ownership of their sockets once it is made (if this throws, they are still
     * the caller's to close).
     *
     * @throws LinuxException naming the call if epoll cannot be set up
     * @throws IllegalArgumentException if a descriptor is not a bound {@code AF_PACKET} socket, or two inputs share
     *         an interface
     */
    public static EpollPacketIo open(final List<Input> inputs, final Config config) {
        Objects.requireNonNull(config, "config");
        final String arch = System.getProperty("os.arch");
        if (!AARCH64 && !"amd64".equals(arch) && !"x86_64".equals(arch)) {
            throw new IllegalStateException("the epoll backend knows the system call numbers of x86-64 and aarch64"
                + " only, not of " + arch);
        }
        final List<Input> copy = List.copyOf(inputs);
        checkDistinct(copy.stream().map(Input::interfaceName).toList());
        return new EpollPacketIo(copy, config);
    }

    /**
     * A plain {@code AF_PACKET} {@code SOCK_RAW} socket bound to {@code interfaceName}, for {@link Input}. It is made
     * with protocol 0 and given {@code ETH_P_ALL} only by the bind, so no frame of another interface is queued in
     * between, and it carries the coarse receive filter ({@link PacketPrograms#coarseUdpFilter()}: incoming IPv4/UDP
     * only) from before the bind; the exact one can replace it with {@link PacketRxRing#attachFilter(int,
     * ClassicBpf)}'s logic as rules change. Needs {@code CAP_NET_RAW}.
     */
    public static int openInputSocket(final String interfaceName) {
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final int fd = Syscalls.socket(PacketRxRing.AF_PACKET, PacketRxRing.SOCK_RAW | Syscalls.SOCK_CLOEXEC, 0,
            "socket(AF_PACKET, SOCK_RAW)");
        try (Arena local = Arena.ofConfined()) {
            // Filtered before it is bound: no frame other than incoming IPv4/UDP is ever queued on it.
            PacketRxRing.attachFilter(fd, PacketPrograms.coarseUdpFilter());
            final MemorySegment address = local.allocate(SOCKADDR_LL_BYTES, 4);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) PacketRxRing.AF_PACKET);
            address.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) PacketRxRing.ETH_P_ALL));
            address.set(ValueLayout.JAVA_INT, 4, ifIndex);
            final MemorySegment errno = local.allocate(Syscalls.CAPTURE);
            if ((int) SocketCalls.bindRaw().invokeExact(errno, fd, address.address(), SOCKADDR_LL_BYTES) != 0) {
                throw new LinuxException("bind of the packet socket to " + interfaceName, Syscalls.errno(errno));
            }
            return fd;
        } catch (final RuntimeException e) {
            Syscalls.close(fd);
            throw e;
        } catch (final Throwable t) {
            Syscalls.close(fd);
            throw new IllegalStateException("bind could not be called", t);
        }
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
        if (closed || inputSlots == 0 || limit <= 0) {
            return 0;
        }
        // No wait (timeout 0), no signal mask; a failure (only EINTR could happen) reads as nothing ready.
        final int ready = (int) Syscalls.syscall(SYS_EPOLL_PWAIT, epollFd, events.address(), INPUT_EVENTS_MAX, 0,
            0);
        int delivered = 0;
        for (int e = 0; e < ready; e++) {
            final long data = events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) e * EPOLL_EVENT_BYTES + EPOLL_DATA);
            if (data == ERRORS_READY) {
                errorsReady = true;
            } else if (delivered < limit) {
                delivered += receive((int) data, handler, limit - delivered);
            }
        }
        assert delivered <= limit;
        return delivered;
    }

    /** Reads frames from one input until it is empty or {@code budget} frames were delivered. */
    private int receive(final int input, final FrameHandler handler, final int budget) {
        int delivered = 0;
        int taken = 0; // frames read, delivered or skipped: bounds the loop even if every frame is skipped
        while (taken < budget) {
            final int asked = Math.min(rxBatch, budget - taken);
            for (int i = 0; i < asked; i++) {
                rxMessages.set(ValueLayout.JAVA_INT, (long) i * MMSGHDR_BYTES + MSGHDR_NAMELEN, SOCKADDR_LL_BYTES);
            }
            final int received = (int) Syscalls.syscall(SYS_RECVMMSG, inputFds[input], rxMessages.address(), asked,
                Syscalls.MSG_DONTWAIT, 0);
            if (received <= 0) {
                break; // EAGAIN: empty; any other error shows again at the next poll and is not ours to fix
            }
            taken += received;
            for (int i = 0; i < received; i++) {
                final long name = (long) i * NAME_STRIDE;
                if ((rxNames.get(ValueLayout.JAVA_BYTE, name + 10) & 0xFF) == PACKET_OUTGOING) {
                    continue;
                }
                final int length = rxMessages.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_BYTES + MMSGHDR_LEN);
                lent.wrap(rxBuffers + (long) i * frameBytes, Math.min(length, frameBytes));
                delivered++;
                handler.onFrame(rxNames.get(ValueLayout.JAVA_INT, name + 4), lent, 0, lent.capacity());
            }
            if (received < asked) {
                break;
            }
        }
        return delivered;
    }

    @Override
    void reap() {
        // sendmmsg completes every send within submit: nothing to take from the kernel here.
    }

    @Override
    int inputFd(final int input) {
        return inputFds[input];
    }

    /**
     * Reports from the error queues of the egress sockets the error set names, once {@link #pollFrames} or
     * {@link #await} saw it ready: no system call before that; then one {@code epoll_pwait} and a {@code recvmsg} per
     * report (and one more per socket, that finds its queue empty).
     */
    @Override
    public int pollSendErrors(final SendErrorHandler handler, final int limit) {
        if (closed || !errorsReady || limit <= 0) {
            return 0;
        }
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
                for (final int fd : inputFds) {
                    if (fd >= 0) {
                        Syscalls.close(fd);
                    }
                }
            } finally {
                closeSendSide();
            }
        }
    }
}
