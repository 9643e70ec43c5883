package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * One io_uring instance through FFM: set up, its rings mapped, SQEs written and CQEs read in place without
 * allocating: setup, {@code NOP}, {@code SEND}, {@code SENDMSG}, {@code RECV} (single or multishot into
 * provided-buffer rings), {@code RECVMSG}, {@code READ}, {@code POLL_ADD} (multishot), {@code POLL_REMOVE},
 * {@code TIMEOUT}, batched submission, completion and the operations probe. Offsets, constants and the
 * memory-ordering rules are those of {@code include/uapi/linux/io_uring.h}. Not thread-safe: one ring per worker
 * thread.
 */
public final class IoUring implements AutoCloseable {
    /** Opcodes ({@code enum io_uring_op}), the ones the relay uses or may use. */
    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_POLL_ADD = 6;
    public static final int IORING_OP_POLL_REMOVE = 7;
    public static final int IORING_OP_SENDMSG = 9;
    public static final int IORING_OP_RECVMSG = 10;
    public static final int IORING_OP_TIMEOUT = 11;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_SEND = 26;
    public static final int IORING_OP_RECV = 27;
    public static final int IORING_OP_PROVIDE_BUFFERS = 31;

    private static final String[] OP_NAMES = new String[64];

    static {
        OP_NAMES[IORING_OP_NOP] = "NOP";
        OP_NAMES[IORING_OP_POLL_ADD] = "POLL_ADD";
        OP_NAMES[IORING_OP_POLL_REMOVE] = "POLL_REMOVE";
        OP_NAMES[IORING_OP_SENDMSG] = "SENDMSG";
        OP_NAMES[IORING_OP_RECVMSG] = "RECVMSG";
        OP_NAMES[IORING_OP_TIMEOUT] = "TIMEOUT";
        OP_NAMES[IORING_OP_READ] = "READ";
        OP_NAMES[IORING_OP_SEND] = "SEND";
        OP_NAMES[IORING_OP_RECV] = "RECV";
        OP_NAMES[IORING_OP_PROVIDE_BUFFERS] = "PROVIDE_BUFFERS";
    }

    /** Operations the relay needs, and the kernel that brought each (for the message when one is missing). */
    public static final int[] REQUIRED_OPS = {IORING_OP_NOP, IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE,
        IORING_OP_SENDMSG, IORING_OP_RECVMSG, IORING_OP_TIMEOUT, IORING_OP_READ, IORING_OP_SEND, IORING_OP_RECV};
    private static final String[] SINCE = {"5.1", "", "", "", "", "", "5.1", "5.1", "", "5.3", "5.3", "5.4", "", "", "",
        "", "", "", "", "", "", "", "5.6", "", "", "", "5.6", "5.6", "", "", "", "5.7"};

    // struct io_uring_params field offsets
    private static final long P_SQ_ENTRIES = 0;
    private static final long P_CQ_ENTRIES = 4;
    private static final long P_FEATURES = 20;
    private static final long P_SQ_OFF = 40;
    private static final long P_CQ_OFF = 80;
    private static final long PARAMS_BYTES = 120;
    // struct io_sqring_offsets / io_cqring_offsets, relative to their start
    private static final long O_HEAD = 0;
    private static final long O_TAIL = 4;
    private static final long O_RING_MASK = 8;
    private static final long O_ARRAY_OR_CQES = 24; // sq: array at 24; cq: overflow at 16, cqes at 20
    private static final long O_CQES = 20;
    private static final int IORING_FEAT_SINGLE_MMAP = 1;
    private static final long IORING_OFF_SQ_RING = 0L;
    private static final long IORING_OFF_CQ_RING = 0x8000000L;
    private static final long IORING_OFF_SQES = 0x10000000L;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final int IORING_REGISTER_PROBE = 8;
    private static final int IO_URING_OP_SUPPORTED = 1;
    private static final long SQE_BYTES = 64;
    private static final long CQE_BYTES = 16;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** Receives one completion: the SQE's user data, its result (≥ 0, or {@code -errno}) and flags. */
    @FunctionalInterface
    public interface CompletionHandler {
        void onCompletion(long userData, int result, int flags);
    }

    private final int fd;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHead;
    private final long sqTail;
    private final int sqMask;
    private final long sqArray;
    private final long cqHead;
    private final long cqTail;
    private final int cqMask;
    private final long cqes;
    private final int sqEntries;
    private int localTail;
    private int toSubmit;
    private boolean closed;

    private IoUring(final int fd, final MemorySegment params) {
        this.fd = fd;
        sqEntries = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_SQ_ENTRIES);
        final int cqEntries = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_CQ_ENTRIES);
        final int features = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_FEATURES);
        final long sqArrayOffset = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_SQ_OFF + O_ARRAY_OR_CQES);
        final long cqesOffset = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_CQ_OFF + O_CQES);
        final long sqRingBytes = sqArrayOffset + (long) sqEntries * Integer.BYTES;
        final long cqRingBytes = cqesOffset + (long) cqEntries * CQE_BYTES;
        if ((features & IORING_FEAT_SINGLE_MMAP) != 0) {
            // Since 5.4 one mapping holds both rings.
            final MemorySegment both = Syscalls.mmap(Math.max(sqRingBytes, cqRingBytes), fd, IORING_OFF_SQ_RING,
                "io_uring rings");
            sqRing = both;
            cqRing = both;
        } else {
            sqRing = Syscalls.mmap(sqRingBytes, fd, IORING_OFF_SQ_RING, "io_uring submission ring");
            cqRing = Syscalls.mmap(cqRingBytes, fd, IORING_OFF_CQ_RING, "io_uring completion ring");
        }
        sqes = Syscalls.mmap((long) sqEntries * SQE_BYTES, fd, IORING_OFF_SQES, "io_uring submission entries");
        sqHead = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_SQ_OFF + O_HEAD);
        sqTail = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_SQ_OFF + O_TAIL);
        sqMask = sqRing.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT_UNALIGNED, P_SQ_OFF + O_RING_MASK));
        sqArray = sqArrayOffset;
        cqHead = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_CQ_OFF + O_HEAD);
        cqTail = params.get(ValueLayout.JAVA_INT_UNALIGNED, P_CQ_OFF + O_TAIL);
        cqMask = cqRing.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT_UNALIGNED, P_CQ_OFF + O_RING_MASK));
        cqes = cqesOffset;
        localTail = (int) INT.getAcquire(sqRing, sqTail);
    }

    /**
     * Sets up a ring of {@code entries} submission entries (a power of two is used as is; the kernel rounds up).
     *
     * @throws LinuxException naming the cause (io_uring missing or blocked, out of locked memory...)
     */
    public static IoUring open(final int entries) {
        if (entries < 1 || entries > 32_768) {
            throw new IllegalArgumentException("entries must be between 1 and 32768, not " + entries);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment params = arena.allocate(PARAMS_BYTES, 8);
            final long fd = Syscalls.syscall(Syscalls.SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0);
            if (fd < 0) {
                throw new LinuxException("io_uring_setup", (int) -fd);
            }
            try {
                return new IoUring((int) fd, params);
            } catch (final RuntimeException e) {
                Syscalls.close((int) fd);
                throw e;
            }
        }
    }

    /** The number of submission entries. */
    public int entries() {
        return sqEntries;
    }

    /** Queues a {@code NOP}; false when the submission queue is full. */
    public boolean prepareNop(final long userData) {
        return prepare(IORING_OP_NOP, -1, 0, 0, 0, 0, userData);
    }

    /** {@code poll(2)} events ({@code asm-generic/poll.h}). */
    public static final int POLLIN = 0x1;
    /** Writable: on a UDP socket, at least half of its send buffer is free again. */
    public static final int POLLOUT = 0x4;
    /** An error is pending: on a socket, {@code sk_err} is set or its error queue holds a report. */
    public static final int POLLERR = 0x8;
    /** {@code IORING_POLL_ADD_MULTI} (in the SQE's len, Linux 5.13+): the poll stays armed after each completion. */
    static final int IORING_POLL_ADD_MULTI = 1;
    /** {@code IORING_CQE_F_MORE}: more completions will come for this SQE (a multishot request is still armed). */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    /** {@code ETIME}: the result of a {@code TIMEOUT} that expired. */
    public static final int ETIME = 62;

    /**
     * Queues a {@code POLL_ADD} for {@code events} on {@code fd}; the completion's result is the ready events mask.
     * With {@code multishot} it completes on every readiness (flags carry {@link #IORING_CQE_F_MORE} while armed).
     */
    public boolean preparePoll(final int fd, final int events, final boolean multishot, final long userData) {
        return prepare(IORING_OP_POLL_ADD, fd, 0, multishot ? IORING_POLL_ADD_MULTI : 0, events, 0, userData);
    }

    /**
     * Queues a {@code POLL_REMOVE} of the poll whose user data is {@code pollUserData}: that poll completes with
     * {@code -ECANCELED} (and without {@link #IORING_CQE_F_MORE}); this entry completes with 0, or {@code -ENOENT}
     * when the poll had already ended. The poll holds its file until it completes.
     */
    public boolean preparePollRemove(final long pollUserData, final long userData) {
        return prepare(IORING_OP_POLL_REMOVE, -1, pollUserData, 0, 0, 0, userData);
    }

    /**
     * Queues a relative {@code TIMEOUT} of {@code timespec} (a native {@code struct __kernel_timespec}: seconds and
     * nanoseconds as two longs, see {@link #timespec}); it completes with {@code -ETIME} when it expires.
     */
    public boolean prepareTimeout(final MemorySegment timespec, final long userData) {
        checkBuffer(timespec, 16);
        return prepare(IORING_OP_TIMEOUT, -1, timespec.address(), 1, 0, 0, userData);
    }

    /** Writes {@code nanos} into {@code timespec} as a {@code struct __kernel_timespec}. */
    public static void timespec(final MemorySegment timespec, final long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a timeout must not be negative: " + nanos + " ns");
        }
        timespec.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
        timespec.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
    }

    /**
     * Queues a {@code SEND} of {@code length} bytes of {@code buffer} (native memory that must stay valid until the
     * completion) on socket {@code fd}; false when the submission queue is full. The completion's result is the
     * number of bytes sent or {@code -errno}.
     */
    public boolean prepareSend(final int fd, final MemorySegment buffer, final int length, final int msgFlags,
        final long userData) {
        checkBuffer(buffer, length);
        return prepare(IORING_OP_SEND, fd, buffer.address(), length, msgFlags, 0, userData);
    }

    /**
     * Queues a {@code RECV} of up to {@code length} bytes into {@code buffer} (native memory that must stay valid
     * until the completion) from socket {@code fd}; false when the submission queue is full. The completion's result
     * is the number of bytes received or {@code -errno}.
     */
    public boolean prepareRecv(final int fd, final MemorySegment buffer, final int length, final int msgFlags,
        final long userData) {
        checkBuffer(buffer, length);
        return prepare(IORING_OP_RECV, fd, buffer.address(), length, msgFlags, 0, userData);
    }

    /**
     * Queues a {@code RECVMSG} into {@code msghdr} (a native {@code struct msghdr} whose iovecs, name and control
     * buffers stay valid until the completion) from socket {@code fd}. The result is the number of bytes received or
     * {@code -errno}; the kernel writes {@code msg_namelen}, {@code msg_controllen} and {@code msg_flags} back.
     */
    public boolean prepareRecvmsg(final int fd, final MemorySegment msghdr, final int msgFlags, final long userData) {
        checkBuffer(msghdr, (int) Syscalls.MSGHDR_BYTES);
        return prepare(IORING_OP_RECVMSG, fd, msghdr.address(), 1, msgFlags, 0, userData);
    }

    /**
     * Queues a {@code SENDMSG} of {@code msghdr} (a native {@code struct msghdr}, valid until the completion) on
     * socket {@code fd}. The result is the number of bytes sent or {@code -errno}.
     */
    public boolean prepareSendmsg(final int fd, final MemorySegment msghdr, final int msgFlags, final long userData) {
        checkBuffer(msghdr, (int) Syscalls.MSGHDR_BYTES);
        return prepare(IORING_OP_SENDMSG, fd, msghdr.address(), 1, msgFlags, 0, userData);
    }

    /**
     * Queues a {@code READ} of up to {@code length} bytes into {@code buffer} from {@code fd} at file offset
     * {@code offset} ({@code -1}: the current position, as {@code read(2)}; ignored for pipes, sockets, eventfds).
     * The result is the number of bytes read (0 at end of file) or {@code -errno}.
     */
    public boolean prepareRead(final int fd, final MemorySegment buffer, final int length, final long offset,
        final long userData) {
        checkBuffer(buffer, length);
        return prepare(IORING_OP_READ, fd, buffer.address(), length, 0, offset, userData);
    }

    /** {@code IOSQE_BUFFER_SELECT}: the kernel picks the receive buffer from a provided-buffer group. */
    static final int IOSQE_BUFFER_SELECT = 1 << 5;
    /** {@code IORING_RECV_MULTISHOT} (in the SQE's ioprio, Linux 6.0+): the receive stays armed. */
    static final int IORING_RECV_MULTISHOT = 1 << 1;

    /**
     * Queues a multishot {@code RECV} on socket {@code fd} that takes a buffer from {@code buffers} for every
     * message and stays armed: each completion carries {@link ProvidedBuffers#IORING_CQE_F_BUFFER} and the buffer's
     * id ({@link ProvidedBuffers#bufferId}) while {@link #IORING_CQE_F_MORE} says it is still armed. When the group
     * runs out of buffers the last completion is {@code -ENOBUFS} without {@code F_MORE}: recycle buffers and arm it
     * again. Needs Linux 6.0.
     */
    public boolean prepareRecvMultishot(final int fd, final ProvidedBuffers buffers, final int msgFlags,
        final long userData) {
        return prepare(IORING_OP_RECV, IOSQE_BUFFER_SELECT, IORING_RECV_MULTISHOT, buffers.groupId(), fd, 0, 0,
            msgFlags, 0, userData);
    }

    /**
     * Registers a provided-buffer ring ({@code IORING_REGISTER_PBUF_RING}, Linux 5.19+) of {@code count} buffers
     * (a power of two up to 32768) of {@code bufferBytes} each, all handed to the kernel at once, as group
     * {@code groupId}. Close it before the ring.
     *
     * @throws LinuxException when the kernel refuses (a group registered twice: EEXIST; a kernel before 5.19: EINVAL)
     */
    public ProvidedBuffers registerBuffers(final int groupId, final int count, final int bufferBytes) {
        return ProvidedBuffers.register(fd, groupId, count, bufferBytes);
    }

    private static void checkBuffer(final MemorySegment buffer, final int length) {
        if (!buffer.isNative()) {
            throw new IllegalArgumentException("io_uring buffers must be native memory");
        }
        if (length < 0 || length > buffer.byteSize()) {
            throw new IllegalArgumentException("length " + length + " outside the buffer of " + buffer.byteSize()
                + " bytes");
        }
    }

    /**
     * Writes one SQE ({@code struct io_uring_sqe}: opcode at 0, fd at 4, off at 8, addr at 16, len at 24, the op's
     * flags at 28, user_data at 32) and queues it.
     */
    private boolean prepare(final int opcode, final int fd, final long address, final int length, final int opFlags,
        final long offset, final long userData) {
        return prepare(opcode, 0, 0, -1, fd, address, length, opFlags, offset, userData);
    }

    /**
     * Writes one SQE with its flags byte (at 1), {@code ioprio} (at 2, where {@code RECV} keeps its multishot flag)
     * and, when {@code bufferGroup} is not negative, the provided-buffer group (at 40).
     */
    private boolean prepare(final int opcode, final int sqeFlags, final int ioprio, final int bufferGroup,
        final int fd, final long address, final int length, final int opFlags, final long offset,
        final long userData) {
        final long sqe = nextSqe();
        if (sqe < 0) {
            return false;
        }
        for (long word = 0; word < SQE_BYTES; word += Long.BYTES) { // zeroed in place: asSlice would allocate
            sqes.set(ValueLayout.JAVA_LONG_UNALIGNED, sqe + word, 0L);
        }
        sqes.set(ValueLayout.JAVA_BYTE, sqe, (byte) opcode);
        sqes.set(ValueLayout.JAVA_BYTE, sqe + 1, (byte) sqeFlags);
        sqes.set(ValueLayout.JAVA_SHORT_UNALIGNED, sqe + 2, (short) ioprio);
        if (bufferGroup >= 0) {
            sqes.set(ValueLayout.JAVA_SHORT_UNALIGNED, sqe + 40, (short) bufferGroup);
        }
        sqes.set(ValueLayout.JAVA_INT_UNALIGNED, sqe + 4, fd);
        sqes.set(ValueLayout.JAVA_LONG_UNALIGNED, sqe + 8, offset);
        sqes.set(ValueLayout.JAVA_LONG_UNALIGNED, sqe + 16, address);
        sqes.set(ValueLayout.JAVA_INT_UNALIGNED, sqe + 24, length);
        sqes.set(ValueLayout.JAVA_INT_UNALIGNED, sqe + 28, opFlags);
        sqes.set(ValueLayout.JAVA_LONG_UNALIGNED, sqe + 32, userData);
        commitSqe();
        return true;
    }

    /** The offset of the next free SQE, or -1 when the queue is full. */
    private long nextSqe() {
        final int head = (int) INT.getAcquire(sqRing, sqHead);
        if (localTail - head >= sqEntries) {
            return -1;
        }
        return (long) (localTail & sqMask) * SQE_BYTES;
    }

    private void commitSqe() {
        final int index = localTail & sqMask;
        sqRing.set(ValueLayout.JAVA_INT, sqArray + (long) index * Integer.BYTES, index);
        localTail++;
        toSubmit++;
    }

    /**
     * Publishes the queued entries and enters the kernel: submits them and, with {@code completeMin} above 0, waits
     * for that many completions.
     *
     * @return the number of entries the kernel took, or {@code -errno} (EINTR, EAGAIN, EBUSY are for the caller to
     *         retry)
     */
    public int submit(final int completeMin) {
        INT.setRelease(sqRing, sqTail, localTail); // the kernel must see the entries before the tail
        final long result = Syscalls.syscall(Syscalls.SYS_IO_URING_ENTER, fd, toSubmit, completeMin,
            completeMin > 0 ? IORING_ENTER_GETEVENTS : 0, 0);
        if (result >= 0) {
            toSubmit -= (int) result;
        }
        return (int) result;
    }

    /** Delivers up to {@code limit} completions, read in place; returns how many. */
    public int pollCompletions(final CompletionHandler handler, final int limit) {
        int head = (int) INT.getAcquire(cqRing, cqHead);
        final int tail = (int) INT.getAcquire(cqRing, cqTail); // acquire: the CQEs before the tail are written
        int delivered = 0;
        while (head != tail && delivered < limit) {
            final long cqe = cqes + (long) (head & cqMask) * CQE_BYTES;
            handler.onCompletion(cqRing.get(ValueLayout.JAVA_LONG_UNALIGNED, cqe),
                cqRing.get(ValueLayout.JAVA_INT_UNALIGNED, cqe + 8),
                cqRing.get(ValueLayout.JAVA_INT_UNALIGNED, cqe + 12));
            head++;
            delivered++;
        }
        INT.setRelease(cqRing, cqHead, head); // the kernel may reuse the slots only after we read them
        return delivered;
    }

    /** What this kernel's io_uring supports (IORING_REGISTER_PROBE, since 5.6). */
    public Probe probe() {
        final int opsMax = 256;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment probe = arena.allocate(16 + (long) opsMax * 8, 8);
            final long result = Syscalls.syscall(Syscalls.SYS_IO_URING_REGISTER, fd, IORING_REGISTER_PROBE,
                probe.address(), opsMax, 0);
            if (result < 0) {
                throw new LinuxException("io_uring_register(IORING_REGISTER_PROBE)", (int) -result);
            }
            final int opsLen = probe.get(ValueLayout.JAVA_BYTE, 1) & 0xFF;
            final boolean[] supported = new boolean[opsMax];
            for (int i = 0; i < opsLen; i++) {
                final long op = 16 + (long) i * 8;
                final int code = probe.get(ValueLayout.JAVA_BYTE, op) & 0xFF;
                final int flags = probe.get(ValueLayout.JAVA_SHORT_UNALIGNED, op + 2) & 0xFFFF;
                supported[code] = (flags & IO_URING_OP_SUPPORTED) != 0;
            }
            return new Probe(probe.get(ValueLayout.JAVA_BYTE, 0) & 0xFF, supported);
        }
    }

    /** The operations a kernel's io_uring supports. */
    public record Probe(int lastOp, boolean[] supported) {
        public boolean supports(final int op) {
            return op >= 0 && op < supported.length && supported[op];
        }

        /** The required operations this kernel lacks, each with the kernel version that brought it. */
        public List<String> missing() {
            final List<String> missing = new ArrayList<>();
            for (final int op : REQUIRED_OPS) {
                if (!supports(op)) {
                    final String since = op < SINCE.length && !SINCE[op].isEmpty() ? " (Linux " + SINCE[op] + "+)"
                        : "";
                    missing.add("IORING_OP_" + OP_NAMES[op] + since);
                }
            }
            return missing;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.munmap(sqes);
            Syscalls.munmap(sqRing);
            if (cqRing != sqRing) {
                Syscalls.munmap(cqRing);
            }
            Syscalls.close(fd);
        }
    }
}
