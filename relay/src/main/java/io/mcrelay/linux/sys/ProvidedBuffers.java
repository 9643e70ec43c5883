package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A provided-buffer ring ({@code IORING_REGISTER_PBUF_RING}, Linux 5.19+): buffers the kernel picks from for
 * receives armed with buffer selection, such as {@link IoUring#prepareRecvMultishot}. A completion that used one
 * carries {@link #IORING_CQE_F_BUFFER} and the buffer's id in its upper 16 flag bits ({@link #bufferId}); the buffer
 * stays the caller's until {@link #recycle} gives it back and {@link #publish} makes it visible to the kernel.
 *
 * <p>Layout from {@code include/uapi/linux/io_uring.h}: the ring is an array of {@code struct io_uring_buf}
 * (addr@0 u64, len@8 u32, bid@12 u16, resv@14 u16; 16 bytes) whose first entry's {@code resv} is the ring's tail,
 * registered with a {@code struct io_uring_buf_reg} (ring_addr@0 u64, ring_entries@8 u32, bgid@12 u16, flags@14
 * u16, resv[3]; 40 bytes). The ring must be page-aligned. Not thread-safe; nothing here allocates after
 * registration.
 */
public final class ProvidedBuffers implements AutoCloseable {
    /** {@code IORING_CQE_F_BUFFER}: the completion used a provided buffer. */
    public static final int IORING_CQE_F_BUFFER = 1;
    private static final int IORING_CQE_BUFFER_SHIFT = 16;
    private static final int IORING_REGISTER_PBUF_RING = 22;
    private static final int IORING_UNREGISTER_PBUF_RING = 23;
    private static final long BUF_BYTES = 16;
    private static final long REG_BYTES = 40;
    private static final long TAIL = 14;
    private static final long PAGE = 4096;
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();

    private final int ringFd;
    private final int groupId;
    private final int count;
    private final int bufferBytes;
    private final Arena arena;
    private final MemorySegment ring;
    private final MemorySegment buffers;
    private final MemorySegment[] slices;
    private short tail;
    private boolean closed;

    private ProvidedBuffers(final int ringFd, final int groupId, final int count, final int bufferBytes,
        final Arena arena) {
        this.ringFd = ringFd;
        this.groupId = groupId;
        this.count = count;
        this.bufferBytes = bufferBytes;
        this.arena = arena;
        ring = arena.allocate(count * BUF_BYTES, PAGE);
        buffers = arena.allocate((long) count * bufferBytes, PAGE);
        slices = new MemorySegment[count];
        for (int id = 0; id < count; id++) {
            slices[id] = buffers.asSlice((long) id * bufferBytes, bufferBytes);
        }
    }

    static ProvidedBuffers register(final int ringFd, final int groupId, final int count, final int bufferBytes) {
        if (groupId < 0 || groupId > 0xFFFF) {
            throw new IllegalArgumentException("a buffer group id is 0..65535, not " + groupId);
        }
        if (count < 1 || count > 32_768 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("a buffer ring holds a power of two of 1..32768 buffers, not " + count);
        }
        if (bufferBytes < 1) {
            throw new IllegalArgumentException("a provided buffer needs at least one byte, not " + bufferBytes);
        }
        final Arena arena = Arena.ofShared();
        try {
            final ProvidedBuffers provided = new ProvidedBuffers(ringFd, groupId, count, bufferBytes, arena);
            provided.call(IORING_REGISTER_PBUF_RING, "IORING_REGISTER_PBUF_RING");
            for (int id = 0; id < count; id++) {
                provided.recycle(id);
            }
            provided.publish();
            return provided;
        } catch (final RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void call(final int opcode, final String name) {
        try (Arena scratch = Arena.ofConfined()) {
            final MemorySegment reg = scratch.allocate(REG_BYTES, 8);
            reg.set(ValueLayout.JAVA_LONG, 0, ring.address());
            reg.set(ValueLayout.JAVA_INT, 8, count);
            reg.set(ValueLayout.JAVA_SHORT, 12, (short) groupId);
            final long result = Syscalls.syscall(Syscalls.SYS_IO_URING_REGISTER, ringFd, opcode, reg.address(), 1, 0);
            if (result < 0) {
                throw new LinuxException("io_uring_register(" + name + ", group " + groupId + ")", (int) -result);
            }
        }
    }

    /** True when a completion's {@code flags} say it used a provided buffer. */
    public static boolean hasBuffer(final int flags) {
        return (flags & IORING_CQE_F_BUFFER) != 0;
    }

    /** The id of the provided buffer a completion used (valid when {@link #hasBuffer} says so). */
    public static int bufferId(final int flags) {
        return flags >>> IORING_CQE_BUFFER_SHIFT;
    }

    /** The group id receives name to pick from this ring. */
    public int groupId() {
        return groupId;
    }

    /** How many buffers the ring has. */
    public int count() {
        return count;
    }

    /** The size of each buffer. */
    public int bufferBytes() {
        return bufferBytes;
    }

    /** Buffer {@code id}'s memory (a preallocated view: nothing is allocated). */
    public MemorySegment buffer(final int id) {
        return slices[id];
    }

    /** Queues buffer {@code id} to go back to the kernel at the next {@link #publish}. */
    public void recycle(final int id) {
        final long entry = (long) (tail & (count - 1)) * BUF_BYTES;
        // A whole struct io_uring_buf is written except resv: in entry 0 that is the tail the kernel reads.
        ring.set(ValueLayout.JAVA_LONG, entry, slices[id].address());
        ring.set(ValueLayout.JAVA_INT, entry + 8, bufferBytes);
        ring.set(ValueLayout.JAVA_SHORT, entry + 12, (short) id);
        tail++;
    }

    /** Makes the recycled buffers visible to the kernel (a release store of the ring's tail). */
    public void publish() {
        SHORT.setRelease(ring, TAIL, tail);
    }

    /** Unregisters the ring and frees its memory. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                call(IORING_UNREGISTER_PBUF_RING, "IORING_UNREGISTER_PBUF_RING");
            } finally {
                arena.close();
            }
        }
    }
}
