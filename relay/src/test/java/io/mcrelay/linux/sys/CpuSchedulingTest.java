package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** Pinning and the slice hint on the real kernel, each on a thread of its own (the test's threads are left alone). */
class CpuSchedulingTest {
    private static <T> T onAThreadOfItsOwn(final java.util.function.Supplier<T> work) throws InterruptedException {
        final AtomicReference<Object> result = new AtomicReference<>();
        final Thread thread = Thread.ofPlatform().name("cpu-scheduling-test").start(() -> {
            try {
                result.set(work.get());
            } catch (final RuntimeException e) {
                result.set(e);
            }
        });
        thread.join(30_000);
        if (result.get() instanceof RuntimeException e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        final T value = (T) result.get();
        return value;
    }

    /** {@code Cpus_allowed_list} of the calling thread ({@code /proc/thread-self}, Linux 3.17). */
    private static String allowedCpusOfThisThread() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/status")).stream()
                .filter(line -> line.startsWith("Cpus_allowed_list:"))
                .map(line -> line.substring("Cpus_allowed_list:".length()).strip())
                .findFirst().orElseThrow();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPinnedThreadMayRunOnItsCpuAlone() throws InterruptedException {
        final int cpu = Runtime.getRuntime().availableProcessors() - 1;
        final String allowed = onAThreadOfItsOwn(() -> {
            CpuScheduling.pinCallingThread(cpu);
            return allowedCpusOfThisThread();
        });
        assertEquals(Integer.toString(cpu), allowed);
    }

    @Test
    void aCpuThatDoesNotExistIsRefusedWithItsNumber() {
        final LinuxException refused = assertThrows(LinuxException.class,
            () -> onAThreadOfItsOwn(() -> {
                CpuScheduling.pinCallingThread(CpuScheduling.CPU_SET_BITS - 1);
                return null;
            }));
        assertTrue(refused.getMessage().startsWith("sched_setaffinity to CPU 1023 failed: EINVAL"),
            refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuScheduling.pinCallingThread(-1));
    }

    @Test
    void aShortSliceIsGrantedWhereTheKernelHasSlices() throws InterruptedException {
        final long slice = onAThreadOfItsOwn(() -> CpuScheduling.requestSlice(100_000));
        if (slice == 0) {
            System.out.println("the kernel reports no slice (before Linux 6.12): the hint was accepted and ignored");
            return;
        }
        assertEquals(100_000, slice, "the slice the kernel reports after the request");
        assertThrows(IllegalArgumentException.class, () -> CpuScheduling.requestSlice(0));
    }
}
