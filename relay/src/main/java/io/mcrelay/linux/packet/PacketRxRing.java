package io.mcrelay.linux.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;

/**
 * An {@code AF_PACKET} receive socket bound to one interface, with a {@code PACKET_RX_RING} of version
 * {@code TPACKET_V3} mapped into this process ({@code packet(7)}, {@code Documentation/networking/packet_mmap.rst}):
 * the kernel fills blocks of frames and hands each whole block over; {@link #poll} reads the frames in place and
 * gives the block back. No system call and no allocation per frame. In the kernel, ahead of the ring: a socket
 * filter ({@link #attachUdpFilter}, exact on group and port), a {@code PACKET_FANOUT} group ({@link #joinFanout},
 * {@link #setFanoutProgram}) and the receive buffer ({@link #requestReceiveBuffer}); the programs come from
 * {@link PacketPrograms}. Struct offsets from {@code linux/if_packet.h}:
 * {@code tpacket_req3} (28 bytes), {@code tpacket_block_desc} (status at 8, frame count at 12, first frame at 16,
 * sequence number at 24), {@code tpacket3_hdr} (next at 0, snaplen at 12, len at 16, mac at 24), {@code sockaddr_ll}
 * (20 bytes).
 *
 * <p><b>Adopted rings.</b> A worker does not open its rings: the supervisor does ({@link #open}) and passes the
 * socket with {@code SCM_RIGHTS}; the worker maps the same ring ({@link #adopt}). Its reading position is then
 * unknown (and a previous worker may have died holding blocks), so the ring <em>resynchronises</em>: it scans the
 * block descriptors for blocks handed to user space ({@code TP_STATUS_USER}) and starts at the one with the lowest
 * {@code seq_num} (the kernel numbers blocks in the order it hands them over). It does so when adopted and again
 * whenever the block it expects next is not ready but another one is. Blocks a dead worker left user-owned are
 * <b>read</b>, not released unread: nothing is lost, but the frames of a block that worker had partly forwarded
 * are forwarded twice (duplicates, at most one block's worth per death). Releasing them unread would lose them
 * instead, and while the block the kernel wants to fill next is user-owned the kernel drops every frame
 * ({@code tp_freeze_q_cnt}), so they must be given back either way.
 *
 * <p>Single-threaded; two processes must not read one ring at the same time (the supervisor never reads the rings
 * it passes on).
 */
public final class PacketRxRing implements AutoCloseable {
    public static final int AF_PACKET = 17;
    public static final int SOCK_RAW = 3;
    public static final int ETH_P_ALL = 0x0003;
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int TPACKET_V3 = 2;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    /** {@code asm-generic/socket.h}. */
    static final int SO_ATTACH_FILTER = 26;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVBUFFORCE = 33;
    /** {@code linux/if_packet.h}: join a fanout group (3.1); set its program (4.3). */
    static final int PACKET_FANOUT = 18;
    static final int PACKET_FANOUT_DATA = 22;
    private static final int FRAME_BYTES = 2048;
    private static final int PAGE_BYTES = 4096;
    /** {@code linux/if_packet.h}, {@code struct tpacket_hdr_v1} within {@code tpacket_block_desc}. */
    private static final long BLOCK_STATUS = 8;
    private static final long BLOCK_FRAMES = 12;
    private static final long BLOCK_FIRST_FRAME = 16;
    private static final long BLOCK_SEQUENCE = 24;
    private static final int SOCKADDR_LL_BYTES = 20;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** Receives one frame, read in place: valid only during the call. */
    @FunctionalInterface
    public interface FrameHandler {
        /** {@code frame} holds {@code length} bytes from {@code offset}, starting with the Ethernet header. */
        void onFrame(MemorySegment frame, long offset, int length, int wireLength);
    }

    /** Kernel-side counts since the last call ({@code PACKET_STATISTICS} resets them). */
    public record Statistics(long packets, long drops) {
    }

    private final int fd;
    private final MemorySegment ring;
    private final int blockBytes;
    private final int blocks;
    private final int ifIndex;
    private int nextBlock;
    /** True until the first poll of an adopted ring: where to start reading is unknown. */
    private boolean resyncPending;
    private long resyncs;
    private boolean closed;

    private PacketRxRing(final int fd, final MemorySegment ring, final int blockBytes, final int blocks,
        final int ifIndex) {
        this.fd = fd;
        this.ring = ring;
        this.blockBytes = blockBytes;
        this.blocks = blocks;
        this.ifIndex = ifIndex;
    }

    /**
     * Opens a receive ring on {@code interfaceName} of {@code blocks} blocks of {@code blockBytes} each (a multiple of
     * the page size); a block is handed over when full or after {@code retireMillis}. Needs {@code CAP_NET_RAW}.
     */
    public static PacketRxRing open(final String interfaceName, final int blockBytes, final int blocks,
        final int retireMillis) {
        return open(interfaceName, blockBytes, blocks, retireMillis, null);
    }

    /**
     * {@link #open(String, int, int, int)} with {@code filter} (or none, when null) attached before the socket is
     * bound: the socket is made with protocol 0, which receives nothing, and given {@code ETH_P_ALL} by the bind to
     * the interface, so neither another interface's frames nor frames the filter refuses are ever queued in the ring.
     */
    public static PacketRxRing open(final String interfaceName, final int blockBytes, final int blocks,
        final int retireMillis, final ClassicBpf filter) {
        checkGeometry(blockBytes, blocks);
        if (retireMillis < 1) {
            throw new IllegalArgumentException("block retire timeout must be at least 1 ms, not " + retireMillis);
        }
        try (Arena arena = Arena.ofConfined()) {
            final int ifIndex = Syscalls.ifIndex(interfaceName);
            // Protocol 0: nothing is received until the bind below names the protocol and the interface.
            final int fd = Syscalls.socket(AF_PACKET, SOCK_RAW | Syscalls.SOCK_CLOEXEC, 0,
                "socket(AF_PACKET, SOCK_RAW)");
            try {
                if (filter != null) {
                    attachFilter(fd, filter);
                }
                final MemorySegment version = arena.allocateFrom(ValueLayout.JAVA_INT, TPACKET_V3);
                Syscalls.setsockopt(fd, SOL_PACKET, PACKET_VERSION, version, "setsockopt(PACKET_VERSION, TPACKET_V3)");
                final MemorySegment request = arena.allocate(28, 4);
                request.set(ValueLayout.JAVA_INT, 0, blockBytes);
                request.set(ValueLayout.JAVA_INT, 4, blocks);
                request.set(ValueLayout.JAVA_INT, 8, FRAME_BYTES);
                request.set(ValueLayout.JAVA_INT, 12, blockBytes / FRAME_BYTES * blocks);
                request.set(ValueLayout.JAVA_INT, 16, retireMillis);
                Syscalls.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, request,
                    "setsockopt(PACKET_RX_RING) of " + blocks + " x " + blockBytes + " bytes");
                final MemorySegment ring = Syscalls.mmap((long) blockBytes * blocks, fd, 0, "AF_PACKET receive ring");
                try {
                    bindToInterface(fd, ifIndex, interfaceName);
                } catch (final RuntimeException e) {
                    Syscalls.munmap(ring);
                    throw e;
                }
                return new PacketRxRing(fd, ring, blockBytes, blocks, ifIndex);
            } catch (final RuntimeException e) {
                Syscalls.close(fd);
                throw e;
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("AF_PACKET ring could not be set up", t);
        }
    }

    /**
     * Maps the receive ring of packet socket {@code fd}, which another process set up ({@link #open}: version
     * {@code TPACKET_V3}, a ring of {@code blocks} blocks of {@code blockBytes}, bound to one interface) and passed to
     * this one. Takes ownership of {@code fd} once it returns (if it throws, the descriptor is still the caller's).
     * The interface comes from {@code getsockname}; the first {@link #poll} resynchronises (see the class comment).
     *
     * @throws LinuxException naming the call: {@code getsockopt(PACKET_VERSION)} on a descriptor that is not a packet
     *     socket, {@code mmap} ({@code EINVAL}) when the geometry is not the ring's or the socket has no ring,
     *     {@code getsockname}
     * @throws IllegalArgumentException when the socket is not {@code TPACKET_V3} or not bound to an interface
     */
    public static PacketRxRing adopt(final int fd, final int blockBytes, final int blocks) {
        checkGeometry(blockBytes, blocks);
        final int version = Syscalls.getsockoptInt(fd, SOL_PACKET, PACKET_VERSION,
            "getsockopt(PACKET_VERSION) on adopted descriptor " + fd);
        if (version != TPACKET_V3) {
            throw new IllegalArgumentException("descriptor " + fd + " is a packet socket of ring version " + version
                + ", not TPACKET_V3 (" + TPACKET_V3 + ")");
        }
        final int ifIndex = boundIfIndex(fd, "an adopted ring");
        final MemorySegment ring = Syscalls.mmap((long) blockBytes * blocks, fd, 0,
            "adopted AF_PACKET receive ring of " + blocks + " x " + blockBytes + " bytes (descriptor " + fd + ")");
        final PacketRxRing adopted = new PacketRxRing(fd, ring, blockBytes, blocks, ifIndex);
        adopted.resyncPending = true;
        return adopted;
    }

    private static void checkGeometry(final int blockBytes, final int blocks) {
        if (blockBytes < PAGE_BYTES || blockBytes % PAGE_BYTES != 0) {
            throw new IllegalArgumentException("block size must be a positive multiple of " + PAGE_BYTES + ", not "
                + blockBytes);
        }
        if (blocks < 1 || (long) blocks * blockBytes > (1L << 30)) {
            throw new IllegalArgumentException("blocks must be at least 1 and the ring at most 1 GiB, not " + blocks
                + " x " + blockBytes);
        }
    }

    /**
     * The index of the interface packet socket {@code fd} is bound to ({@code getsockname}); refuses a descriptor
     * that is not an {@code AF_PACKET} socket bound to an interface. Messages name it as the input socket for
     * {@code purpose} (an interface name, or what the socket is for).
     */
    public static int boundIfIndex(final int fd, final String purpose) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final MemorySegment address = arena.allocate(24, 4); // sockaddr_ll, with room to spare
            final MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 24);
            check((int) SocketCalls.getsockname().invokeExact(capture, fd, address, length), capture,
                "getsockname of the input socket for " + purpose);
            final int ifIndex = address.get(ValueLayout.JAVA_INT, 4);
            if (address.get(ValueLayout.JAVA_SHORT, 0) != AF_PACKET || ifIndex <= 0) {
                throw new IllegalArgumentException("descriptor " + fd + " for " + purpose
                    + " is not an AF_PACKET socket bound to an interface");
            }
            return ifIndex;
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("getsockname could not be called", t);
        }
    }

    /**
     * Binds packet socket {@code fd}, made with protocol 0, to interface {@code ifIndex} for every protocol
     * ({@code ETH_P_ALL}): from here on it receives that interface's frames (those its filter passes). Layout of
     * {@code struct sockaddr_ll} (20 bytes) from {@code linux/if_packet.h}.
     *
     * @throws LinuxException naming the bind and {@code interfaceName}
     */
    static void bindToInterface(final int fd, final int ifIndex, final String interfaceName) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final MemorySegment address = arena.allocate(SOCKADDR_LL_BYTES, 4);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
            address.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) ETH_P_ALL));
            address.set(ValueLayout.JAVA_INT, 4, ifIndex);
            check((int) SocketCalls.bind().invokeExact(capture, fd, address, SOCKADDR_LL_BYTES), capture,
                "bind of the packet socket to " + interfaceName);
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("bind could not be called", t);
        }
    }

    private static void check(final int result, final MemorySegment capture, final String call) {
        if (result != 0) {
            throw new LinuxException(call, Syscalls.errno(capture));
        }
    }

    /**
     * Attaches the coarse classic-BPF filter ({@link PacketPrograms#coarseUdpFilter()}): only IPv4/UDP frames not
     * sent by this host reach the ring. Frames queued before the call stay in the ring: drain it once after
     * attaching.
     */
    public void attachCoarseUdpFilter() {
        attachFilter(PacketPrograms.coarseUdpFilter());
    }

    /**
     * Attaches the receive filter for {@code destinations} ({@link PacketPrograms#udpFilter}): exact on
     * (destination address, destination port) up to {@link PacketPrograms#EXACT_ENTRIES_MAX} entries, coarse
     * IPv4/UDP above. If the kernel refuses the exact filter for want of option memory ({@code ENOMEM}: a large
     * filter past {@code net.core.optmem_max}), the coarse one is attached instead. Replaces the filter in place:
     * call again when the rules change, the socket stays open.
     *
     * @return which filter was attached
     */
    public PacketPrograms.ReceiveFilter attachUdpFilter(final Collection<UdpDestination> destinations) {
        final PacketPrograms.ReceiveFilter filter = PacketPrograms.udpFilter(destinations);
        try {
            attachFilter(filter.program());
            return filter;
        } catch (final LinuxException e) {
            if (!filter.exact() || e.errno() != Errno.ENOMEM) {
                throw e;
            }
            attachCoarseUdpFilter();
            return new PacketPrograms.ReceiveFilter(PacketPrograms.coarseUdpFilter(), false, filter.entries());
        }
    }

    /**
     * Attaches {@code program} as the socket filter ({@code SO_ATTACH_FILTER}); an attached filter is replaced
     * atomically (frames see the old program or the new one, never none).
     *
     * @throws LinuxException naming {@code setsockopt(SO_ATTACH_FILTER)} if the kernel refuses the program (more
     *     than 4096 instructions, a bad jump, no final return)
     */
    public void attachFilter(final ClassicBpf program) {
        attachFilter(fd, program);
    }

    /** {@link #attachFilter(ClassicBpf)} on any socket {@code socketFd}, such as the epoll backend's plain ones. */
    public static void attachFilter(final int socketFd, final ClassicBpf program) {
        try (Arena arena = Arena.ofConfined()) {
            Syscalls.setsockopt(socketFd, Syscalls.SOL_SOCKET, SO_ATTACH_FILTER, socketFilterProgram(arena, program),
                "setsockopt(SO_ATTACH_FILTER) of " + program.length() + " instructions");
        }
    }

    /** {@code struct sock_fprog {u16 len; struct sock_filter *filter}} for {@code program}, in {@code arena}. */
    private static MemorySegment socketFilterProgram(final Arena arena, final ClassicBpf program) {
        if (program.length() > 0xFFFF) {
            throw new IllegalArgumentException("a classic BPF program's length is a u16: " + program.length());
        }
        final MemorySegment instructions = arena.allocate(8L * Math.max(1, program.length()), 8);
        for (int i = 0; i < program.length(); i++) {
            instructions.set(ValueLayout.JAVA_SHORT, i * 8L, (short) program.code(i));
            instructions.set(ValueLayout.JAVA_BYTE, i * 8L + 2, (byte) program.jumpTrue(i));
            instructions.set(ValueLayout.JAVA_BYTE, i * 8L + 3, (byte) program.jumpFalse(i));
            instructions.set(ValueLayout.JAVA_INT, i * 8L + 4, program.k(i));
        }
        final MemorySegment fprog = arena.allocate(16, 8);
        fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.length());
        fprog.set(ValueLayout.ADDRESS, 8, instructions);
        return fprog;
    }

    /**
     * Joins this socket to fanout group {@code groupId} of its namespace ({@code PACKET_FANOUT}): the group is
     * created by its first member; later members must be bound to the same interface and join with the same mode
     * and flags. Members are numbered in join order; when one leaves (closes), the last takes its number. A socket
     * joins at most one group and leaves it only by closing.
     *
     * @throws LinuxException naming {@code setsockopt(PACKET_FANOUT)}: {@code EINVAL} for a mode, flags or
     *     interface that differ from the group's (or the ROLLOVER mode with the ROLLOVER flag), {@code EALREADY}
     *     when this socket is in a group already
     */
    public void joinFanout(final int groupId, final FanoutMode mode, final FanoutFlag... flags) {
        if (groupId < 0 || groupId > 0xFFFF) {
            throw new IllegalArgumentException("a fanout group id is 0 to 65535, not " + groupId);
        }
        int typeFlags = mode.value();
        for (final FanoutFlag flag : flags) {
            typeFlags |= flag.value();
        }
        try (Arena arena = Arena.ofConfined()) {
            // linux/if_packet.h: the int argument is (type_flags << 16) | group id
            final MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, typeFlags << 16 | groupId);
            Syscalls.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, value, "setsockopt(PACKET_FANOUT) joining group "
                + groupId + " as " + mode + (flags.length == 0 ? "" : " " + Arrays.toString(flags)));
        }
    }

    /**
     * Sets the program of this socket's {@link FanoutMode#CBPF} group ({@code PACKET_FANOUT_DATA}), for every
     * member: the frame goes to member {@code result % members}. Until one is set, every frame goes to the first
     * member. Replaces an earlier program atomically.
     *
     * @throws LinuxException naming {@code setsockopt(PACKET_FANOUT_DATA)}: {@code EINVAL} when the socket is in
     *     no group or in a group of another mode, or the program is refused
     */
    public void setFanoutProgram(final ClassicBpf program) {
        try (Arena arena = Arena.ofConfined()) {
            Syscalls.setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, socketFilterProgram(arena, program),
                "setsockopt(PACKET_FANOUT_DATA) of " + program.length() + " instructions");
        }
    }

    /** The fanout group this socket is in, read back from the kernel ({@code getsockopt(PACKET_FANOUT)}). */
    public Optional<FanoutGroup> fanoutGroup() {
        final int value = intOption(SOL_PACKET, PACKET_FANOUT, "getsockopt(PACKET_FANOUT)");
        if (value == 0) {
            return Optional.empty(); // not in a group (a group of id 0 in HASH mode without flags reads the same)
        }
        final int typeFlags = value >>> 16;
        final EnumSet<FanoutFlag> flags = EnumSet.noneOf(FanoutFlag.class);
        for (final FanoutFlag flag : FanoutFlag.values()) {
            if ((typeFlags & flag.value()) != 0) {
                flags.add(flag);
            }
        }
        return Optional.of(new FanoutGroup(value & 0xFFFF, FanoutMode.of(typeFlags & 0xFF), flags));
    }

    /** A fanout group as the kernel reports it. */
    public record FanoutGroup(int id, FanoutMode mode, Set<FanoutFlag> flags) {
        public FanoutGroup {
            flags = Set.copyOf(flags);
        }
    }

    /**
     * The outcome of {@link #requestReceiveBuffer}: what was asked, what the kernel granted (as
     * {@code getsockopt(SO_RCVBUF)} reads it: the kernel doubles the request for its bookkeeping), whether
     * {@code SO_RCVBUFFORCE} was used, and a note when it fell back.
     */
    public record ReceiveBuffer(int requestedBytes, int grantedBytes, boolean forced, String note) {
    }

    /**
     * Sets the socket's receive buffer. With {@code force}, tries {@code SO_RCVBUFFORCE} (needs
     * {@code CAP_NET_ADMIN}; not capped by {@code net.core.rmem_max}) and falls back to {@code SO_RCVBUF} on
     * {@code EPERM}, saying so in {@link ReceiveBuffer#note()}; without, uses {@code SO_RCVBUF}, which the kernel
     * caps at {@code net.core.rmem_max}. With a receive ring the frames live in the ring, so this buffer bounds only
     * what passes outside it; the ring's size is what absorbs bursts.
     */
    public ReceiveBuffer requestReceiveBuffer(final int bytes, final boolean force) {
        if (bytes < 1) {
            throw new IllegalArgumentException("a receive buffer is at least 1 byte, not " + bytes);
        }
        String note = "";
        boolean forced = false;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, bytes);
            if (force) {
                try {
                    Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RCVBUFFORCE, value,
                        "setsockopt(SO_RCVBUFFORCE, " + bytes + ")");
                    forced = true;
                } catch (final LinuxException e) {
                    if (e.errno() != Errno.EPERM) {
                        throw e;
                    }
                    note = "SO_RCVBUFFORCE needs CAP_NET_ADMIN; used SO_RCVBUF, capped by net.core.rmem_max";
                }
            }
            if (!forced) {
                Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_RCVBUF, value, "setsockopt(SO_RCVBUF, " + bytes + ")");
            }
        }
        return new ReceiveBuffer(bytes, receiveBufferBytes(), forced, note);
    }

    /** The receive buffer the kernel holds for this socket ({@code getsockopt(SO_RCVBUF)}). */
    public int receiveBufferBytes() {
        return intOption(Syscalls.SOL_SOCKET, SO_RCVBUF, "getsockopt(SO_RCVBUF)");
    }

    private int intOption(final int level, final int option, final String call) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            final MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 4);
            check((int) SocketCalls.getsockopt().invokeExact(capture, fd, level, option, value, length), capture, call);
            return value.get(ValueLayout.JAVA_INT, 0);
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("getsockopt could not be called", t);
        }
    }

    /** The socket, for readiness polling ({@code POLLIN} when a block is ready). */
    public int fd() {
        return fd;
    }

    /** The index of the bound interface. */
    public int ifIndex() {
        return ifIndex;
    }

    /**
     * The bound interface's name now ({@code if_indextoname}), in the namespace of the calling thread.
     *
     * @throws LinuxException naming {@code if_indextoname} ({@code ENXIO}) when the interface is gone
     */
    public String interfaceName() {
        return Syscalls.ifName(ifIndex);
    }

    /**
     * Delivers the frames of every block the kernel has handed over, in order, and gives the blocks back. When the
     * block expected next is not ready but another is (an adopted ring, or one a dead reader left behind), reading
     * restarts at the ready block with the lowest sequence number.
     */
    public int poll(final FrameHandler handler) {
        return poll(handler, Integer.MAX_VALUE);
    }

    /**
     * As {@link #poll(FrameHandler)}, but starts no further block once {@code frameBudget} frames were delivered (a
     * block is always read whole: the kernel takes it back only as a whole). The rest waits in the ring, where the
     * kernel counts what overflows; {@link #hasReadyBlock()} says whether any does.
     */
    public int poll(final FrameHandler handler, final int frameBudget) {
        if (resyncPending) {
            resynchronise();
        }
        int frames = 0;
        for (int checked = 0; checked < blocks && frames < frameBudget; checked++) {
            final long block = (long) nextBlock * blockBytes;
            // acquire: the frames are written before the kernel sets TP_STATUS_USER
            if (((int) INT.getAcquire(ring, block + BLOCK_STATUS) & TP_STATUS_USER) == 0) {
                if (checked > 0 || !resynchronise()) {
                    break;
                }
                continue; // nextBlock moved to the oldest ready block: read it in this same turn
            }
            final int count = ring.get(ValueLayout.JAVA_INT, block + BLOCK_FRAMES);
            long frame = block + Integer.toUnsignedLong(ring.get(ValueLayout.JAVA_INT, block + BLOCK_FIRST_FRAME));
            for (int i = 0; i < count; i++) {
                final int snapLength = ring.get(ValueLayout.JAVA_INT, frame + 12);
                final int wireLength = ring.get(ValueLayout.JAVA_INT, frame + 16);
                final int mac = ring.get(ValueLayout.JAVA_SHORT, frame + 24) & 0xFFFF;
                handler.onFrame(ring, frame + mac, snapLength, wireLength);
                frames++;
                frame += Integer.toUnsignedLong(ring.get(ValueLayout.JAVA_INT, frame));
            }
            INT.setRelease(ring, block + BLOCK_STATUS, TP_STATUS_KERNEL); // release: the kernel may refill it now
            nextBlock = (nextBlock + 1) % blocks;
            resyncPending = false; // in step with the kernel, which hands blocks over in order
        }
        return frames;
    }

    /**
     * Whether the block to be read next has been handed over (frames wait); no system call. An adopted ring that has
     * not yet read a block does not know which block comes next: it resynchronises (as {@link #poll} does) until it
     * has read one, so a block handed over anywhere is seen without a readiness from the kernel.
     */
    public boolean hasReadyBlock() {
        return !closed && ((((int) INT.getAcquire(ring, (long) nextBlock * blockBytes + BLOCK_STATUS)
            & TP_STATUS_USER) != 0) || resyncPending && resynchronise());
    }

    /**
     * Points {@link #nextBlock} at the user-owned block with the lowest {@code seq_num}; false (nothing moved) when
     * no block is user-owned or the expected one already is the oldest. Reads every block descriptor: O(blocks), no
     * system call, no allocation.
     */
    private boolean resynchronise() {
        int oldest = -1;
        long oldestSequence = 0;
        for (int b = 0; b < blocks; b++) {
            final long block = (long) b * blockBytes;
            if (((int) INT.getAcquire(ring, block + BLOCK_STATUS) & TP_STATUS_USER) != 0) {
                final long sequence = ring.get(ValueLayout.JAVA_LONG, block + BLOCK_SEQUENCE);
                if (oldest < 0 || Long.compareUnsigned(sequence, oldestSequence) < 0) {
                    oldest = b;
                    oldestSequence = sequence;
                }
            }
        }
        if (oldest < 0 || oldest == nextBlock) {
            return false;
        }
        nextBlock = oldest;
        resyncs++;
        return true;
    }

    /** How many times reading restarted at another block than the expected one ({@link #poll}). */
    public long resyncs() {
        return resyncs;
    }

    /** Packets seen and dropped by the kernel since the last call; see {@link #statistics(int)}. */
    public Statistics statistics() {
        return statistics(fd);
    }

    /**
     * What the kernel counted on packet socket {@code fd} since the last call, by anyone, and resets the counts
     * ({@code getsockopt(PACKET_STATISTICS)}): frames it queued for the socket ({@code tp_packets}, to which Linux adds
     * the drops when it answers) and frames it dropped because the ring, or for a socket without a ring its receive
     * buffer, was full ({@code tp_drops}). Frames the socket's filter refused are in neither. A ring answers with
     * {@code struct tpacket_stats_v3} (12 bytes), a socket without one with {@code struct tpacket_stats} (8): both
     * begin with the two counts. A system call and a small allocation: control path only.
     *
     * @throws LinuxException naming the call when {@code fd} is not a packet socket
     */
    public static Statistics statistics(final int fd) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final MemorySegment stats = arena.allocate(12, 4);
            final MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 12);
            check((int) SocketCalls.getsockopt().invokeExact(capture, fd, SOL_PACKET, PACKET_STATISTICS, stats, length), capture,
                "getsockopt(PACKET_STATISTICS)");
            return new Statistics(Integer.toUnsignedLong(stats.get(ValueLayout.JAVA_INT, 0)),
                Integer.toUnsignedLong(stats.get(ValueLayout.JAVA_INT, 4)));
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("getsockopt could not be called", t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.munmap(ring);
            Syscalls.close(fd);
        }
    }
}
