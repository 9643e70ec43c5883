package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Process control for the supervisor and its workers: process file descriptors ({@code pidfd_open},
 * {@code pidfd_send_signal}), readiness ({@code poll}), the parent-death signal ({@code prctl(PR_SET_PDEATHSIG)})
 * and the effective user. Control path only (calls allocate); failures throw a {@link LinuxException} naming the call
 * and the cause.
 */
public final class Processes {
    /** {@code pidfd_open(2)}, Linux 5.3: the same number on every architecture (unified syscall table). */
    static final long SYS_PIDFD_OPEN = 434;
    /** {@code pidfd_send_signal(2)}, Linux 5.1: unified syscall table. */
    static final long SYS_PIDFD_SEND_SIGNAL = 424;
    /** {@code asm-generic/signal.h}. */
    public static final int SIGKILL = 9;
    /** {@code linux/prctl.h}: PR_SET_PDEATHSIG = 1. */
    static final int PR_SET_PDEATHSIG = 1;
    /** {@code asm-generic/poll.h}: POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10. */
    public static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    // struct pollfd { int fd; short events; short revents; }: 8 bytes, fd@0 events@4 revents@6 (asm-generic/poll.h)
    private static final long POLLFD_BYTES = 8;

    private static final MethodHandle POLL = Syscalls.downcall("poll",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    // int prctl(int option, ...): the four further arguments are variadic unsigned longs.
    private static final MethodHandle PRCTL = Syscalls.downcallVariadic("prctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), 1);
    private static final MethodHandle GETEUID = Syscalls.downcall("geteuid",
        FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETEGID = Syscalls.downcall("getegid",
        FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private Processes() {
    }

    /** A process file descriptor for {@code pid} (close-on-exec is implied by the kernel). */
    public static int pidfdOpen(final long pid) {
        final long fd = Syscalls.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0);
        if (fd < 0) {
            throw new LinuxException("pidfd_open(" + pid + ")", (int) -fd);
        }
        return (int) fd;
    }

    /**
     * Sends {@code signal} to the process of {@code pidfd}; false if it has already exited (ESRCH). Unlike
     * {@code kill(pid)}, this can never hit another process that reused the pid.
     */
    public static boolean pidfdSendSignal(final int pidfd, final int signal) {
        final long result = Syscalls.syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0, 0);
        if (result == 0) {
            return true;
        }
        if (result == -Errno.ESRCH) {
            return false;
        }
        throw new LinuxException("pidfd_send_signal(" + pidfd + ", " + signal + ")", (int) -result);
    }

    /**
     * Waits up to {@code timeoutMs} (0: just looks, -1: forever) until one of {@code fds} is readable, hung up or in
     * error, and writes each one's {@code revents} into {@code revents}; returns how many are ready. A pidfd becomes
     * readable when its process exits. Negative entries in {@code fds} are ignored, as {@code poll(2)} does.
     */
    public static int poll(final int[] fds, final int count, final short[] revents, final int timeoutMs) {
        if (count < 0 || count > fds.length || count > revents.length) {
            throw new IllegalArgumentException("poll of " + count + " descriptors with arrays of " + fds.length
                + " and " + revents.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment pollfds = arena.allocate(POLLFD_BYTES * Math.max(1, count), 4);
            for (int i = 0; i < count; i++) {
                pollfds.set(ValueLayout.JAVA_INT, i * POLLFD_BYTES, fds[i]);
                pollfds.set(ValueLayout.JAVA_SHORT, i * POLLFD_BYTES + 4, POLLIN);
            }
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            int ready;
            do {
                ready = (int) POLL.invokeExact(capture, pollfds, (long) count, timeoutMs);
            } while (ready < 0 && Syscalls.errno(capture) == Errno.EINTR);
            if (ready < 0) {
                throw new LinuxException("poll of " + count + " descriptors", Syscalls.errno(capture));
            }
            for (int i = 0; i < count; i++) {
                revents[i] = pollfds.get(ValueLayout.JAVA_SHORT, i * POLLFD_BYTES + 6);
            }
            return ready;
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("poll could not be called", t);
        }
    }

    /** True if {@code revents} from {@link #poll} says the descriptor is readable, hung up or in error. */
    public static boolean isReady(final short revents) {
        return (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    }

    /**
     * Asks the kernel to send {@code signal} to this process when the thread that forked it exits
     * ({@code prctl(PR_SET_PDEATHSIG)}). Cleared by a later set-user-ID exec or credential change, so a worker sets it
     * itself, after the privilege drop.
     */
    public static void setParentDeathSignal(final int signal) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            if ((int) PRCTL.invokeExact(capture, PR_SET_PDEATHSIG, (long) signal, 0L, 0L, 0L) != 0) {
                throw new LinuxException("prctl(PR_SET_PDEATHSIG, " + signal + ")", Syscalls.errno(capture));
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("prctl could not be called", t);
        }
    }

    /** This process's effective user id. */
    public static int effectiveUid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) GETEUID.invokeExact(arena.allocate(Syscalls.CAPTURE));
        } catch (final Throwable t) {
            throw new IllegalStateException("geteuid could not be called", t);
        }
    }

    /** This process's effective group id. */
    public static int effectiveGid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) GETEGID.invokeExact(arena.allocate(Syscalls.CAPTURE));
        } catch (final Throwable t) {
            throw new IllegalStateException("getegid could not be called", t);
        }
    }

    /** Closes a descriptor this class gave out. */
    public static void close(final int fd) {
        Syscalls.close(fd);
    }
}
