package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where and how the calling thread runs: pinned to one CPU ({@code sched_setaffinity(2)}) and, for a thread that
 * must answer at once when it wakes, a short time slice ({@code sched_setattr(2)} with {@code SCHED_OTHER} and a
 * {@code sched_runtime}: since Linux 6.12 the fair scheduler (EEVDF) takes it as the thread's slice, and a thread of
 * shorter slice gets an earlier deadline, so its wake-up preempts a thread of the default slice sooner; earlier
 * kernels accept and ignore it). Both apply to the calling thread only ({@code pid} 0): the JVM's own threads
 * (compilers, collector) keep the process's affinity. Thread-safe; each call allocates a little off-heap memory.
 */
public final class CpuScheduling {
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_SCHED_SETAFFINITY = AARCH64 ? 122 : 203;
    private static final long SYS_SCHED_SETATTR = AARCH64 ? 274 : 314;
    private static final long SYS_SCHED_GETATTR = AARCH64 ? 275 : 315;
    /** {@code CPU_SETSIZE}: the mask's bits (glibc's {@code cpu_set_t}). */
    public static final int CPU_SET_BITS = 1024;
    /** {@code SCHED_OTHER} ({@code SCHED_NORMAL}). */
    private static final int SCHED_OTHER = 0;
    /** {@code struct sched_attr}, {@code SCHED_ATTR_SIZE_VER1} (utilization clamps included, left alone). */
    private static final int SCHED_ATTR_BYTES = 56;
    private static final long ATTR_POLICY = 4;
    private static final long ATTR_FLAGS = 8;
    private static final long ATTR_RUNTIME = 24;

    /** {@link #requestSlice}'s answer for a thread under another policy than {@code SCHED_OTHER}: left alone. */
    public static final long OTHER_POLICY = Long.MIN_VALUE;

    private CpuScheduling() {
    }

    /** Pins the calling thread to {@code cpu}; throws naming the CPU when the kernel refuses (offline, not allowed). */
    public static void pinCallingThread(final int cpu) {
        if (cpu < 0 || cpu >= CPU_SET_BITS) {
            throw new IllegalArgumentException("CPU " + cpu + " is outside 0-" + (CPU_SET_BITS - 1));
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocate(CPU_SET_BITS / 8, 8);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            final long result = Syscalls.syscall(SYS_SCHED_SETAFFINITY, 0, CPU_SET_BITS / 8, mask.address(), 0, 0);
            if (result < 0) {
                throw new LinuxException("sched_setaffinity to CPU " + cpu, (int) -result);
            }
        }
    }

    /**
     * Asks for a time slice of {@code sliceNs} for the calling thread, when it runs under {@code SCHED_OTHER} (its nice
     * value and everything else kept; a real-time policy an operator gave it is left alone). Returns the slice the
     * kernel reports afterwards (the kernel clamps it, to 0.1-100 ms on 6.12), 0 when the kernel took it but reports
     * no slice (before 6.12: ignored), {@link #OTHER_POLICY} when the thread is not {@code SCHED_OTHER} (nothing
     * changed), or {@code -errno} when the kernel has no {@code sched_setattr} or refused it: a hint, never a reason
     * to fail.
     */
    public static long requestSlice(final long sliceNs) {
        if (sliceNs <= 0) {
            throw new IllegalArgumentException("a slice is positive, not " + sliceNs);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment attr = arena.allocate(SCHED_ATTR_BYTES, 8);
            long result = Syscalls.syscall(SYS_SCHED_GETATTR, 0, attr.address(), SCHED_ATTR_BYTES, 0, 0);
            if (result < 0) {
                return result;
            }
            if (attr.get(ValueLayout.JAVA_INT, ATTR_POLICY) != SCHED_OTHER) {
                return OTHER_POLICY;
            }
            attr.set(ValueLayout.JAVA_INT, 0, SCHED_ATTR_BYTES); // size: what we pass, whatever the kernel filled
            attr.set(ValueLayout.JAVA_LONG, ATTR_FLAGS, 0L);
            attr.set(ValueLayout.JAVA_LONG, ATTR_RUNTIME, sliceNs);
            result = Syscalls.syscall(SYS_SCHED_SETATTR, 0, attr.address(), 0, 0, 0);
            if (result < 0) {
                return result;
            }
            result = Syscalls.syscall(SYS_SCHED_GETATTR, 0, attr.address(), SCHED_ATTR_BYTES, 0, 0);
            return result < 0 ? result : attr.get(ValueLayout.JAVA_LONG, ATTR_RUNTIME);
        }
    }
}
