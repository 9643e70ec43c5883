package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.mcrelay.linux.process.HostFacts;
import io.mcrelay.linux.process.StreamWorkerChannel;

/**
 * The process calls against the kernel: a pidfd turns readable when its process ends and signals only it; every
 * failure names the call and the cause.
 */
class ProcessesTest {
    @Test
    void aPidfdBecomesReadableWhenItsProcessIsKilled() throws Exception {
        final Process sleeper = new ProcessBuilder("sleep", "60").start();
        final int pidfd = Processes.pidfdOpen(sleeper.pid());
        try {
            final short[] revents = new short[1];
            assertEquals(0, Processes.poll(new int[] {pidfd}, 1, revents, 0), "alive: not readable");
            assertTrue(Processes.pidfdSendSignal(pidfd, Processes.SIGKILL));
            assertEquals(1, Processes.poll(new int[] {pidfd}, 1, revents, 10_000));
            assertTrue(Processes.isReady(revents[0]));
            assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS));
            assertEquals(128 + Processes.SIGKILL, sleeper.exitValue());
            assertFalse(Processes.pidfdSendSignal(pidfd, Processes.SIGKILL), "gone: ESRCH is false, not an error");
        } finally {
            sleeper.destroyForcibly();
            Processes.close(pidfd);
        }
    }

    @Test
    void failuresNameTheCallAndTheCause() {
        final LinuxException noProcess = assertThrows(LinuxException.class, () -> Processes.pidfdOpen(0x3fffffff));
        assertEquals("pidfd_open(1073741823) failed: ESRCH (no such process)", noProcess.getMessage());
        final LinuxException badFd = assertThrows(LinuxException.class,
            () -> Processes.pidfdSendSignal(987_654, Processes.SIGKILL));
        assertEquals("pidfd_send_signal(987654, 9) failed: EBADF (bad file descriptor)", badFd.getMessage());
        final LinuxException badSignal = assertThrows(LinuxException.class,
            () -> Processes.setParentDeathSignal(1000));
        assertEquals("prctl(PR_SET_PDEATHSIG, 1000) failed: EINVAL (invalid argument)", badSignal.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Processes.poll(new int[1], 2, new short[2], 0));
        final StreamWorkerChannel notASocket = new StreamWorkerChannel(987_654, 4096, 4096);
        final LinuxException badSend = assertThrows(LinuxException.class,
            () -> notASocket.send(new org.agrona.concurrent.UnsafeBuffer(new byte[] {1}), 0, 1));
        assertEquals("send on worker channel 987654 failed: EBADF (bad file descriptor)", badSend.getMessage());
    }

    @Test
    void cpuListsAreReadAsTheKernelWritesThem() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11},
            HostFacts.parseCpuList("0-3,8,10-11"));
        assertArrayEquals(new int[] {5}, HostFacts.parseCpuList("5"));
        assertThrows(IllegalArgumentException.class, () -> HostFacts.parseCpuList("3-1"));
        final int[] allowed = HostFacts.allowedCpus();
        // the JVM counts the same mask (and may count fewer for a CPU quota)
        assertTrue(allowed.length >= Runtime.getRuntime().availableProcessors(), () -> allowed.length + " CPUs");
    }
}
