package io.mcrelay.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * An {@code AF_PACKET} receive socket bound to one interface, with a {@code PACKET_RX_RING} of version
 * {@code TPACKET_V3} mapped into this process ({@code packet(7)}, {@code Documentation/networking/packet_mmap.rst}):
 * the kernel fills blocks of frames and hands each whole block over; {@link #poll} reads the frames in place and
 * gives the block back. No system call and no allocation per frame. Struct offsets from {@code linux/if_packet.h}:
 * {@code tpacket_req3} (28 bytes), {@code tpacket_block_desc} (status at 8, frame count at 12, first frame at 16),
 * {@code tpacket3_hdr} (next at 0, snaplen at 12, len at 16, mac at 24), {@code sockaddr_ll} (20 bytes).
 * Single-threaded.
 */
public final class PacketRxRing implements AutoCloseable {
    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int ETH_P_ALL = 0x0003;
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int TPACKET_V3 = 2;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int SO_ATTACH_FILTER = 26;
    private static final int FRAME_BYTES = 2048;
    // Classic BPF (linux/filter.h, linux/bpf_common.h): struct sock_filter is {u16 code; u8 jt; u8 jf; u32 k}.
    private static final int BPF_LD_W_ABS = 0x20;
    private static final int BPF_LD_H_ABS = 0x28;
    private static final int BPF_LD_B_ABS = 0x30;
    private static final int BPF_JMP_JEQ_K = 0x15;
    private static final int BPF_RET_K = 0x06;
    /** SKF_AD_OFF + SKF_AD_PKTTYPE: loads the frame's packet type (PACKET_OUTGOING = 4 for our own sends). */
    private static final int SKF_AD_PKTTYPE = 0xFFFFF000 + 4;
    private static final int PACKET_OUTGOING = 4;
    /**
     * The coarse filter: accept IPv4/UDP frames that this host did not send, drop everything else in the kernel.
     * Each row: code, jt, jf, k.
     */
    private static final int[][] COARSE_UDP_FILTER = {
        {BPF_LD_W_ABS, 0, 0, SKF_AD_PKTTYPE},
        {BPF_JMP_JEQ_K, 5, 0, PACKET_OUTGOING}, // ours: drop
        {BPF_LD_H_ABS, 0, 0, 12}, // EtherType
        {BPF_JMP_JEQ_K, 0, 3, 0x0800}, // not IPv4: drop
        {BPF_LD_B_ABS, 0, 0, 14 + 9}, // IPv4 protocol
        {BPF_JMP_JEQ_K, 0, 1, 17}, // not UDP: drop
        {BPF_RET_K, 0, 0, 0xFFFF}, // accept (up to 65535 bytes)
        {BPF_RET_K, 0, 0, 0}, // drop
    };
    private static final int PAGE_BYTES = 4096;

    private static final MethodHandle GETSOCKOPT = Syscalls.downcall("getsockopt",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle BIND = Syscalls.downcall("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
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
        if (blockBytes < PAGE_BYTES || blockBytes % PAGE_BYTES != 0) {
            throw new IllegalArgumentException("block size must be a positive multiple of " + PAGE_BYTES + ", not "
                + blockBytes);
        }
        if (blocks < 1 || (long) blocks * blockBytes > (1L << 30)) {
            throw new IllegalArgumentException("blocks must be at least 1 and the ring at most 1 GiB, not " + blocks
                + " x " + blockBytes);
        }
        if (retireMillis < 1) {
            throw new IllegalArgumentException("block retire timeout must be at least 1 ms, not " + retireMillis);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final int ifIndex = Syscalls.ifIndex(interfaceName);
            final int fd = Syscalls.socket(AF_PACKET, SOCK_RAW | Syscalls.SOCK_CLOEXEC,
                (int) Short.reverseBytes((short) ETH_P_ALL) & 0xFFFF, "socket(AF_PACKET, SOCK_RAW)");
            try {
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
                    final MemorySegment address = arena.allocate(20, 4); // sockaddr_ll
                    address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                    address.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) ETH_P_ALL));
                    address.set(ValueLayout.JAVA_INT, 4, ifIndex);
                    check((int) BIND.invokeExact(capture, fd, address, 20), capture,
                        "bind of the packet socket to " + interfaceName);
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

    private static void check(final int result, final MemorySegment capture, final String call) {
        if (result != 0) {
            throw new LinuxException(call, Syscalls.errno(capture));
        }
    }

    /**
     * Attaches the coarse classic-BPF filter ({@code SO_ATTACH_FILTER}): only IPv4/UDP frames not sent by this host
     * reach the ring. Frames queued before the call stay in the ring: drain it once after attaching. (The exact
     * filter on groups and ports comes later; the worker's lookup is exact either way.)
     */
    public void attachCoarseUdpFilter() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment program = arena.allocate(8L * COARSE_UDP_FILTER.length, 8);
            for (int i = 0; i < COARSE_UDP_FILTER.length; i++) {
                final int[] row = COARSE_UDP_FILTER[i];
                program.set(ValueLayout.JAVA_SHORT, i * 8L, (short) row[0]);
                program.set(ValueLayout.JAVA_BYTE, i * 8L + 2, (byte) row[1]);
                program.set(ValueLayout.JAVA_BYTE, i * 8L + 3, (byte) row[2]);
                program.set(ValueLayout.JAVA_INT, i * 8L + 4, row[3]);
            }
            final MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog {u16 len; struct sock_filter *}
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) COARSE_UDP_FILTER.length);
            fprog.set(ValueLayout.ADDRESS, 8, program);
            Syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, SO_ATTACH_FILTER, fprog, "setsockopt(SO_ATTACH_FILTER)");
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

    /** Delivers the frames of every block the kernel has handed over, in order, and gives the blocks back. */
    public int poll(final FrameHandler handler) {
        int frames = 0;
        for (int checked = 0; checked < blocks; checked++) {
            final long block = (long) nextBlock * blockBytes;
            // acquire: the frames are written before the kernel sets TP_STATUS_USER
            if (((int) INT.getAcquire(ring, block + 8) & TP_STATUS_USER) == 0) {
                break;
            }
            final int count = ring.get(ValueLayout.JAVA_INT, block + 12);
            long frame = block + Integer.toUnsignedLong(ring.get(ValueLayout.JAVA_INT, block + 16));
            for (int i = 0; i < count; i++) {
                final int snapLength = ring.get(ValueLayout.JAVA_INT, frame + 12);
                final int wireLength = ring.get(ValueLayout.JAVA_INT, frame + 16);
                final int mac = ring.get(ValueLayout.JAVA_SHORT, frame + 24) & 0xFFFF;
                handler.onFrame(ring, frame + mac, snapLength, wireLength);
                frames++;
                frame += Integer.toUnsignedLong(ring.get(ValueLayout.JAVA_INT, frame));
            }
            INT.setRelease(ring, block + 8, TP_STATUS_KERNEL); // release: the kernel may refill it now
            nextBlock = (nextBlock + 1) % blocks;
        }
        return frames;
    }

    /** Packets seen and dropped by the kernel since the last call. */
    public Statistics statistics() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final MemorySegment stats = arena.allocate(12, 4); // tpacket_stats_v3
            final MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 12);
            check((int) GETSOCKOPT.invokeExact(capture, fd, SOL_PACKET, PACKET_STATISTICS, stats, length), capture,
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
