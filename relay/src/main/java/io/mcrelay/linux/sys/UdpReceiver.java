package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.util.Arrays;

/**
 * The traffic sink's receiving sockets ({@code udp(7)}, {@code ip(7)}, {@code socket(7)}): one IPv4 UDP socket per
 * flow, flow {@code i} bound to {@code INADDR_ANY:firstPort+i} with {@code SO_REUSEADDR}, and, when the group is a
 * multicast address, joined to it on one interface (from any source, or from one source only). Unicast datagrams to
 * the port are accepted too; {@code IP_MULTICAST_ALL} is off, so a socket receives only the groups it joined itself.
 *
 * <p>Each socket counts what the kernel dropped for it because its receive queue was full: {@code SO_RXQ_OVFL} puts
 * the socket's cumulative drop counter (a u32, {@code sk_drops}) in a control message of every datagram received after
 * a drop, and {@code SO_MEMINFO} ({@code SK_MEMINFO_DROPS}) reads it at any time, so drops after the last datagram are
 * seen too. Each datagram also carries the time the kernel took it in ({@code SO_TIMESTAMPNS}, a {@code CLOCK_REALTIME}
 * {@code struct timespec}; taken before any receive steering, so over a veth pair it is the time the peer sent it):
 * {@link #arrivalNs()} gives it on the scale of {@link System#nanoTime()}, whatever the receiver did meanwhile (the
 * first timestamping socket on a host turns the kernel's stamps on asynchronously: datagrams that arrive in the
 * moment after it opens are stamped when read instead; a sink's warm-up covers that). The
 * receive buffer is set with {@code SO_RCVBUFFORCE} when permitted ({@code CAP_NET_ADMIN}, which may
 * exceed {@code net.core.rmem_max}), else with {@code SO_RCVBUF}; {@link #receiveBufferForced()} says which.
 *
 * <p>{@link #receiveBatch} takes up to {@link #BATCH_MAX} queued datagrams of one socket with one {@code recvmmsg(2)}
 * (a system call per datagram cost a sink about as much CPU as everything else it does, and the traffic kit shares one
 * CPU between its generator and its sinks); {@link #receive} takes one.
 *
 * <p>{@link #poll}, {@link #receive} and {@link #receiveBatch} allocate nothing: the message headers, the data and
 * control buffers and the poll set are allocated once, at open. Not thread-safe: one thread polls and receives. Constants and struct layouts
 * from {@code linux/in.h}, {@code asm-generic/socket.h}, {@code bits/socket.h}, {@code bits/socket_type.h},
 * {@code linux/sock_diag.h} and {@code asm-generic/poll.h}, for 64-bit Linux.
 */
public final class UdpReceiver implements AutoCloseable {
    /** {@code bits/socket.h}: AF_INET = 2; {@code bits/socket_type.h}: SOCK_DGRAM = 2, SOCK_NONBLOCK = 04000. */
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    /** {@code linux/in.h}. */
    static final int IPPROTO_IP = 0;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int MCAST_JOIN_SOURCE_GROUP = 46;
    static final int IP_MULTICAST_ALL = 49;
    /** {@code asm-generic/socket.h}. */
    static final int SO_REUSEADDR = 2;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_RXQ_OVFL = 40;
    static final int SO_MEMINFO = 55;
    /** {@code asm-generic/socket.h}: SO_TIMESTAMPNS_OLD = SCM_TIMESTAMPNS = 35 (a 64-bit {@code struct timespec}). */
    static final int SO_TIMESTAMPNS = 35;
    /** {@code linux/sock_diag.h}: SK_MEMINFO_DROPS is the 9th (index 8) of SK_MEMINFO_VARS = 9 u32 values. */
    private static final int SK_MEMINFO_DROPS = 8;
    private static final int SK_MEMINFO_VARS = 9;
    /** {@code bits/socket.h}: MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x08. */
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    /** {@code asm-generic/errno.h}. */
    private static final int EADDRINUSE = 98;
    /** The largest UDP payload over IPv4; each data buffer holds one whole. */
    public static final int DATAGRAM_BYTES_MAX = 65_507;
    /** Datagrams one {@link #receiveBatch} takes at most. */
    public static final int BATCH_MAX = 64;
    /** The most flows (sockets) one receiver opens. */
    public static final int FLOWS_MAX = 1024;

    // struct sockaddr_in: family@0 (u16) port@2 (u16, network order) addr@4 (network order) zero@8; 16 bytes.
    private static final int SOCKADDR_IN_BYTES = 16;
    // struct ip_mreqn (linux/in.h): imr_multiaddr@0 imr_address@4 imr_ifindex@8; 12 bytes.
    private static final int IP_MREQN_BYTES = 12;
    // struct group_source_req (linux/in.h): gsr_interface@0 (u32), gsr_group@8, gsr_source@136 (sockaddr_storage).
    private static final int GROUP_SOURCE_REQ_BYTES = 264;
    // struct msghdr: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48; struct iovec: base@0 len@8.
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    /** {@code struct mmsghdr}: a {@code struct msghdr} (56 bytes), then {@code msg_len}, padded to 64. */
    private static final long MMSGHDR_BYTES = 64;
    private static final long MMSG_LEN = 56;
    private static final long IOVEC_BYTES = 16;
    /** One byte more than the largest datagram: a longer one (impossible over IPv4) would show as MSG_TRUNC. */
    private static final long SLOT_BYTES = (DATAGRAM_BYTES_MAX + 1L + 7) & ~7L;
    private static final long SYS_RECVMMSG = "aarch64".equals(System.getProperty("os.arch")) ? 243 : 299;
    // struct cmsghdr: len@0 (size_t) level@8 type@12 data@16; room for a few (CMSG_SPACE(4) = 24 each).
    private static final long CONTROL_BYTES = 128;
    private static final long CMSG_HEADER_BYTES = 16;
    // struct pollfd (asm-generic/poll.h): fd@0 events@4 revents@6; 8 bytes. POLLIN = 0x1.
    private static final long POLLFD_BYTES = 8;
    private static final short POLLIN = 0x1;

    private static final MethodHandle POLL = Syscalls.downcall("poll",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final int[] fds;
    private final long[] drops;
    private final long[] dropsReported;
    private final MemorySegment capture;
    /** {@link #BATCH_MAX} data buffers, control buffers and message headers, one each per datagram of a batch. */
    private final MemorySegment data;
    private final MemorySegment control;
    private final MemorySegment headers;
    private final MemorySegment pollfds;
    private final MemorySegment meminfo;
    private final MemorySegment meminfoLength;
    private boolean forced;
    private int receiveBufferBytes;
    private boolean closed;
    /** CLOCK_REALTIME minus CLOCK_MONOTONIC (System.nanoTime) in ns, sampled at open. */
    private final long realtimeOffsetNs = realtimeOffsetNs();
    /** The last datagram's kernel arrival time on the System.nanoTime scale; 0 when it carried none. */
    private long arrivalNs;
    /** Per datagram of the last batch: its length and its arrival time (0: none). */
    private final int[] lengths = new int[BATCH_MAX];
    private final long[] arrivals = new long[BATCH_MAX];

    private UdpReceiver(final int flows) {
        fds = new int[flows];
        Arrays.fill(fds, -1);
        drops = new long[flows];
        dropsReported = new long[flows];
        capture = arena.allocate(Syscalls.CAPTURE);
        data = arena.allocate(SLOT_BYTES * BATCH_MAX, 8);
        control = arena.allocate(CONTROL_BYTES * BATCH_MAX, 8);
        final MemorySegment iovs = arena.allocate(IOVEC_BYTES * BATCH_MAX, 8);
        headers = arena.allocate(MMSGHDR_BYTES * BATCH_MAX, 8);
        for (int i = 0; i < BATCH_MAX; i++) {
            iovs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES, data.address() + i * SLOT_BYTES);
            iovs.set(ValueLayout.JAVA_LONG, i * IOVEC_BYTES + 8, DATAGRAM_BYTES_MAX + 1L);
            final long header = i * MMSGHDR_BYTES;
            headers.set(ValueLayout.JAVA_LONG, header + MSG_IOV, iovs.address() + i * IOVEC_BYTES);
            headers.set(ValueLayout.JAVA_LONG, header + MSG_IOVLEN, 1);
            headers.set(ValueLayout.JAVA_LONG, header + MSG_CONTROL, control.address() + i * CONTROL_BYTES);
        }
        pollfds = arena.allocate(POLLFD_BYTES * flows, 4);
        meminfo = arena.allocate(4L * SK_MEMINFO_VARS, 4);
        meminfoLength = arena.allocate(ValueLayout.JAVA_INT);
    }

    /**
     * Opens {@code flows} sockets on ports {@code firstPort .. firstPort + flows - 1}; when {@code group} is multicast,
     * joins it on {@code interfaceName} on each (only from {@code source} when that is not null: source-specific, with
     * {@code MCAST_JOIN_SOURCE_GROUP}, whose {@code struct group_source_req} names the interface by its index where
     * {@code IP_ADD_SOURCE_MEMBERSHIP}'s {@code struct ip_mreq_source} would need one of its IPv4 addresses, which an
     * interface may lack or have several of). A unicast {@code group} joins nothing: datagrams to the ports arrive as
     * they are, on any interface. {@code receiveBufferBytes} 0 keeps the system default.
     *
     * @throws IllegalArgumentException for ports outside 1..65535, flows outside 1..{@link #FLOWS_MAX}, a source
     *     without a multicast group, or a negative buffer size
     * @throws LinuxException naming the call, the port and the group when the kernel refuses; nothing stays open
     */
    public static UdpReceiver open(final String interfaceName, final Inet4Address group, final Inet4Address source,
                                   final int firstPort, final int flows, final int receiveBufferBytes) {
        if (flows < 1 || flows > FLOWS_MAX) {
            throw new IllegalArgumentException("flows must be 1 to " + FLOWS_MAX + ", not " + flows);
        }
        if (firstPort < 1 || firstPort + flows - 1 > 65_535) {
            throw new IllegalArgumentException("ports " + firstPort + " to " + (firstPort + flows - 1)
                + " are not all within 1 to 65535");
        }
        if (source != null && !group.isMulticastAddress()) {
            throw new IllegalArgumentException("a source-specific join needs a multicast group, not "
                + group.getHostAddress());
        }
        if (receiveBufferBytes < 0) {
            throw new IllegalArgumentException("receive buffer size must not be negative: " + receiveBufferBytes);
        }
        final int ifIndex = Syscalls.ifIndex(interfaceName);
        final UdpReceiver receiver = new UdpReceiver(flows);
        try {
            for (int flow = 0; flow < flows; flow++) {
                final int fd = Syscalls.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | Syscalls.SOCK_CLOEXEC, 0,
                    "socket(AF_INET, SOCK_DGRAM)");
                receiver.fds[flow] = fd;
                receiver.forced = configure(fd, group, source, firstPort + flow, ifIndex, interfaceName,
                    receiveBufferBytes);
                receiver.pollfds.set(ValueLayout.JAVA_INT, flow * POLLFD_BYTES, fd);
                receiver.pollfds.set(ValueLayout.JAVA_SHORT, flow * POLLFD_BYTES + 4, POLLIN);
            }
            // The kernel doubles the size asked for (room for its bookkeeping) and reports the doubled size.
            receiver.receiveBufferBytes = Syscalls.getsockoptInt(receiver.fds[0], Syscalls.SOL_SOCKET, SO_RCVBUF,
                "getsockopt(SO_RCVBUF)");
            return receiver;
        } catch (final RuntimeException e) {
            receiver.close();
            throw e;
        }
    }

    /** Sets one socket up; returns true if the receive buffer was set with {@code SO_RCVBUFFORCE}. */
    private static boolean configure(final int fd, final Inet4Address group, final Inet4Address source,
                                     final int port, final int ifIndex, final String interfaceName,
                                     final int receiveBufferBytes) {
        boolean forced = false;
        try (Arena setup = Arena.ofConfined()) {
            final MemorySegment one = setup.allocateFrom(ValueLayout.JAVA_INT, 1);
            Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_REUSEADDR, one, "setsockopt(SO_REUSEADDR)");
            Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RXQ_OVFL, one, "setsockopt(SO_RXQ_OVFL)");
            Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_TIMESTAMPNS, one, "setsockopt(SO_TIMESTAMPNS)");
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, setup.allocateFrom(ValueLayout.JAVA_INT, 0),
                "setsockopt(IP_MULTICAST_ALL, 0)");
            if (receiveBufferBytes > 0) {
                final MemorySegment size = setup.allocateFrom(ValueLayout.JAVA_INT, receiveBufferBytes);
                try {
                    Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RCVBUFFORCE, size,
                        "setsockopt(SO_RCVBUFFORCE, " + receiveBufferBytes + ")");
                    forced = true;
                } catch (final LinuxException e) {
                    if (e.errno() != Errno.EPERM) {
                        throw e;
                    }
                    // Without CAP_NET_ADMIN: the plain option, which the kernel caps at net.core.rmem_max.
                    Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RCVBUF, size,
                        "setsockopt(SO_RCVBUF, " + receiveBufferBytes + ")");
                }
            }
            final MemorySegment address = setup.allocate(SOCKADDR_IN_BYTES, 4);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            address.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) port));
            final MemorySegment bindCapture = setup.allocate(Syscalls.CAPTURE);
            if ((int) SocketCalls.bind().invokeExact(bindCapture, fd, address, SOCKADDR_IN_BYTES) != 0) {
                final int errno = Syscalls.errno(bindCapture);
                throw new LinuxException("bind to UDP port " + port + (errno == EADDRINUSE
                    ? " (EADDRINUSE: a socket without SO_REUSEADDR holds it)" : ""), errno);
            }
            if (group.isMulticastAddress()) {
                join(setup, fd, group, source, ifIndex, interfaceName, port);
            }
            return forced;
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("bind could not be called", t);
        }
    }

    private static void join(final Arena setup, final int fd, final Inet4Address group, final Inet4Address source,
                             final int ifIndex, final String interfaceName, final int port) {
        if (source == null) {
            final MemorySegment request = setup.allocate(IP_MREQN_BYTES, 4);
            MemorySegment.copy(group.getAddress(), 0, request, ValueLayout.JAVA_BYTE, 0, 4);
            request.set(ValueLayout.JAVA_INT, 8, ifIndex);
            Syscalls.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, request, "setsockopt(IP_ADD_MEMBERSHIP, "
                + group.getHostAddress() + " on " + interfaceName + ", port " + port + ")");
        } else {
            final MemorySegment request = setup.allocate(GROUP_SOURCE_REQ_BYTES, 8);
            request.set(ValueLayout.JAVA_INT, 0, ifIndex);
            socketAddress(request, 8, group);
            socketAddress(request, 136, source);
            Syscalls.setsockopt(fd, IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, request,
                "setsockopt(MCAST_JOIN_SOURCE_GROUP, (" + source.getHostAddress() + ", " + group.getHostAddress()
                    + ") on " + interfaceName + ", port " + port + ")");
        }
    }

    /** A {@code struct sockaddr_in} (family, port 0, address) at {@code offset}. */
    private static void socketAddress(final MemorySegment into, final long offset, final Inet4Address address) {
        into.set(ValueLayout.JAVA_SHORT, offset, (short) AF_INET);
        MemorySegment.copy(address.getAddress(), 0, into, ValueLayout.JAVA_BYTE, offset + 4, 4);
    }

    /** How many sockets (flows) this receiver has. */
    public int flows() {
        return fds.length;
    }

    /** True if the receive buffer was set with {@code SO_RCVBUFFORCE}; false with {@code SO_RCVBUF}, or not at all. */
    public boolean receiveBufferForced() {
        return forced;
    }

    /** Each socket's receive buffer as the kernel reports it ({@code getsockopt(SO_RCVBUF)}: twice the size set). */
    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    /**
     * Waits up to {@code timeoutMs} (0: just looks) until a socket has a datagram; returns how many have (0 on timeout
     * or when a signal interrupted the wait). {@link #isReady} then says which.
     */
    public int poll(final int timeoutMs) {
        ensureOpen();
        final int ready;
        try {
            ready = (int) POLL.invokeExact(capture, pollfds, (long) fds.length, timeoutMs);
        } catch (final Throwable t) {
            throw new IllegalStateException("poll could not be called", t);
        }
        if (ready < 0) {
            final int errno = Syscalls.errno(capture);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new LinuxException("poll of " + fds.length + " UDP sockets", errno);
        }
        return ready;
    }

    /** True if the last {@link #poll} found flow {@code flow}'s socket readable (or in error: receive tells). */
    public boolean isReady(final int flow) {
        return pollfds.get(ValueLayout.JAVA_SHORT, flow * POLLFD_BYTES + 6) != 0;
    }

    /**
     * Receives one datagram from flow {@code flow}'s socket into {@code into} (which must hold
     * {@link #DATAGRAM_BYTES_MAX} bytes) without waiting: its length, or -1 when none is queued. Reads the socket's
     * drop counter from the datagram's {@code SO_RXQ_OVFL} control message, if it carries one, and its arrival time
     * ({@link #arrivalNs()}). Allocates nothing.
     */
    public int receive(final int flow, final byte[] into) {
        checkHolds(into);
        if (receiveBatch(flow, 1) == 0) {
            return -1;
        }
        arrivalNs = arrivals[0];
        return copy(0, into);
    }

    /**
     * Receives up to {@code max} (1 to {@link #BATCH_MAX}) queued datagrams from flow {@code flow}'s socket with one
     * {@code recvmmsg}, without waiting: how many, 0 when none is queued. Datagram {@code i} of them is then read with
     * {@link #copy}, {@link #length} and {@link #arrivalNs(int)} until the next receive. Reads the socket's drop
     * counter from the datagrams' {@code SO_RXQ_OVFL} control messages. Allocates nothing.
     */
    public int receiveBatch(final int flow, final int max) {
        ensureOpen();
        if (max < 1 || max > BATCH_MAX) {
            throw new IllegalArgumentException("a batch is 1 to " + BATCH_MAX + " datagrams, not " + max);
        }
        for (int i = 0; i < max; i++) {
            headers.set(ValueLayout.JAVA_LONG, i * MMSGHDR_BYTES + MSG_CONTROLLEN, CONTROL_BYTES);
            headers.set(ValueLayout.JAVA_INT, i * MMSGHDR_BYTES + MSG_FLAGS, 0);
        }
        final int received = (int) Syscalls.syscall(SYS_RECVMMSG, fds[flow], headers.address(), max, MSG_DONTWAIT, 0);
        if (received < 0) {
            if (received == -Errno.EAGAIN || received == -Errno.EINTR) {
                return 0;
            }
            throw new LinuxException("recvmmsg on the UDP socket of flow " + flow, -received);
        }
        for (int i = 0; i < received; i++) {
            lengths[i] = (int) Math.min(Integer.toUnsignedLong(headers.get(ValueLayout.JAVA_INT,
                i * MMSGHDR_BYTES + MMSG_LEN)), DATAGRAM_BYTES_MAX);
            arrivals[i] = readControl(flow, i);
        }
        return received;
    }

    /** The length of datagram {@code i} of the last {@link #receiveBatch}. */
    public int length(final int i) {
        return lengths[i];
    }

    /**
     * Copies datagram {@code i} of the last {@link #receiveBatch} into {@code into} (which must hold
     * {@link #DATAGRAM_BYTES_MAX} bytes); returns its length.
     */
    public int copy(final int i, final byte[] into) {
        checkHolds(into);
        final int length = lengths[i];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, i * SLOT_BYTES, into, 0, length);
        return length;
    }

    /**
     * When the kernel took in datagram {@code i} of the last {@link #receiveBatch}, on the scale of
     * {@link System#nanoTime()}; 0 if it carried no timestamp.
     */
    public long arrivalNs(final int i) {
        return arrivals[i];
    }

    private static void checkHolds(final byte[] into) {
        if (into.length < DATAGRAM_BYTES_MAX) {
            throw new IllegalArgumentException("a receive buffer holds " + DATAGRAM_BYTES_MAX + " bytes, not "
                + into.length);
        }
    }

    /**
     * Walks datagram {@code i}'s control messages (CMSG_FIRSTHDR / CMSG_NXTHDR: each aligned to 8 bytes) for
     * SO_RXQ_OVFL and SCM_TIMESTAMPNS; returns its arrival time (0: none).
     */
    private long readControl(final int flow, final int i) {
        final long controlLength = headers.get(ValueLayout.JAVA_LONG, i * MMSGHDR_BYTES + MSG_CONTROLLEN);
        final long base = i * CONTROL_BYTES;
        long arrival = 0;
        long at = 0;
        while (at + CMSG_HEADER_BYTES <= controlLength) {
            final long length = control.get(ValueLayout.JAVA_LONG, base + at);
            if (length < CMSG_HEADER_BYTES || at + length > controlLength) {
                return arrival;
            }
            final int level = control.get(ValueLayout.JAVA_INT, base + at + 8);
            final int type = control.get(ValueLayout.JAVA_INT, base + at + 12);
            if (level == Syscalls.SOL_SOCKET && type == SO_RXQ_OVFL && length >= CMSG_HEADER_BYTES + 4) {
                final long counter = Integer.toUnsignedLong(control.get(ValueLayout.JAVA_INT,
                    base + at + CMSG_HEADER_BYTES));
                dropsReported[flow] = Math.max(dropsReported[flow], counter);
                drops[flow] = Math.max(drops[flow], counter);
            } else if (level == Syscalls.SOL_SOCKET && type == SO_TIMESTAMPNS && length >= CMSG_HEADER_BYTES + 16) {
                final long seconds = control.get(ValueLayout.JAVA_LONG, base + at + CMSG_HEADER_BYTES);
                final long nanos = control.get(ValueLayout.JAVA_LONG, base + at + CMSG_HEADER_BYTES + 8);
                arrival = seconds * 1_000_000_000L + nanos - realtimeOffsetNs;
            }
            at += (length + 7) & ~7L;
        }
        return arrival;
    }

    /**
     * When the kernel took in the datagram the last {@link #receive} returned, on the scale of
     * {@link System#nanoTime()} (converted from {@code CLOCK_REALTIME} with an offset sampled at open); 0 if it
     * carried no timestamp.
     */
    public long arrivalNs() {
        return arrivalNs;
    }

    /**
     * CLOCK_REALTIME minus System.nanoTime's clock, from the closest of a few paired readings (the pair read nearest
     * together bounds the error by its spread, a microsecond or less).
     */
    private static long realtimeOffsetNs() {
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < 5; i++) {
            final long before = System.nanoTime();
            final java.time.Instant now = java.time.Instant.now();
            final long after = System.nanoTime();
            if (after - before < best) {
                best = after - before;
                offset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - (before + (after - before) / 2);
            }
        }
        return offset;
    }

    /**
     * What flow {@code flow}'s socket dropped because its queue was full, as far as seen: the largest counter a
     * datagram's control message carried, or {@link #refreshDrops} read.
     */
    public long drops(final int flow) {
        return drops[flow];
    }

    /** The drops control messages have reported on flow {@code flow} so far, without asking the kernel. */
    public long dropsReported(final int flow) {
        return dropsReported[flow];
    }

    /**
     * Reads every socket's drop counter now ({@code SO_MEMINFO}), so that drops after the last datagram count too.
     * Control path: one {@code getsockopt} per socket.
     */
    public void refreshDrops() {
        ensureOpen();
        for (int flow = 0; flow < fds.length; flow++) {
            meminfoLength.set(ValueLayout.JAVA_INT, 0, (int) meminfo.byteSize());
            final int result;
            try {
                result = (int) SocketCalls.getsockopt().invokeExact(capture, fds[flow], Syscalls.SOL_SOCKET,
                    SO_MEMINFO, meminfo, meminfoLength);
            } catch (final Throwable t) {
                throw new IllegalStateException("getsockopt could not be called", t);
            }
            if (result != 0) {
                throw new LinuxException("getsockopt(SO_MEMINFO) on the UDP socket of flow " + flow,
                    Syscalls.errno(capture));
            }
            if (meminfoLength.get(ValueLayout.JAVA_INT, 0) > 4 * SK_MEMINFO_DROPS) {
                drops[flow] = Math.max(drops[flow],
                    Integer.toUnsignedLong(meminfo.get(ValueLayout.JAVA_INT, 4L * SK_MEMINFO_DROPS)));
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the UDP receiver is closed");
        }
    }

    /** Closes every socket (leaving the groups) and frees the native memory. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (final int fd : fds) {
            if (fd >= 0) {
                Syscalls.close(fd);
            }
        }
        arena.close();
    }
}
