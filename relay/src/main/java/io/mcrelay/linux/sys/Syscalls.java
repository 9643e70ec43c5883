package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The raw system calls the Linux layer makes, through the JDK's FFM API: {@code syscall(2)} for io_uring (numbers
 * from {@code asm-generic/unistd.h} / {@code arch/x86/entry/syscalls/syscall_64.tbl}), {@code mmap}, {@code munmap}
 * and {@code close}. Every call returns the kernel's result; a failure comes back as {@code -errno}, read with
 * {@link Linker.Option#captureCallState} so nothing between the call and the read can clobber it. Public for the
 * other {@code linux} packages, which call through these wrappers; only this package declares downcalls (an ArchUnit
 * rule). Thread-safe (the errno capture segment is per thread).
 */
public final class Syscalls {
    /**
     * System call numbers of the calls made through {@link #syscall} rather than a downcall of their own, from
     * {@code arch/x86/entry/syscalls/syscall_64.tbl} and {@code asm-generic/unistd.h} (aarch64): every downcall of a
     * distinct signature costs a JVM 5-15 ms of generated code the first time (a worker's start made 17), one
     * {@code syscall(2)} handle serves them all.
     */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_MMAP = AARCH64 ? 222 : 9;
    private static final long SYS_MUNMAP = AARCH64 ? 215 : 11;
    private static final long SYS_CLOSE = AARCH64 ? 57 : 3;
    private static final long SYS_SOCKET = AARCH64 ? 198 : 41;
    private static final long SYS_SETSOCKOPT = AARCH64 ? 208 : 54;
    static final long SYS_GETSOCKOPT = AARCH64 ? 209 : 55;
    static final long SYS_SENDMSG = AARCH64 ? 211 : 46;
    static final long SYS_RECVMSG = AARCH64 ? 212 : 47;

    /** io_uring system call numbers: the same on x86_64 and aarch64 (they came after the unified table). */
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    /** From {@code asm-generic/mman-common.h} and {@code mman.h}. */
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_POPULATE = 0x08000;
    /** {@code asm-generic/mman-common.h} and {@code mman.h}. */
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x04000;

    private static final Linker LINKER = Linker.nativeLinker();
    public static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // long syscall(long number, ...): variadic from the second argument on; every argument passed as a long.
    private static final class Syscall6 { // linked at first use
        static final MethodHandle H = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    }
    private static final class Socketpair { // linked at first use
        static final MethodHandle H = LINKER.downcallHandle(
            LINKER.defaultLookup().find("socketpair").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS), CAPTURE_ERRNO);
    }

    /** From {@code bits/socket.h}. */
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int SOL_SOCKET = 1;
    /** {@code struct msghdr} on 64-bit: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48. */
    static final long MSGHDR_BYTES = 56;

    private static final class IfNametoindex { // linked at first use
        static final MethodHandle H = downcall("if_nametoindex",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    private static final class IfIndextoname { // linked at first use
        static final MethodHandle H = downcall("if_indextoname",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }
    /** {@code net/if.h}: IF_NAMESIZE = 16, with the terminating NUL. */
    static final int IF_NAMESIZE = 16;
    private Syscalls() {
    }

    /** A downcall to libc's {@code name} that captures errno (pass a {@link #CAPTURE} segment first). */
    static MethodHandle downcall(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, CAPTURE_ERRNO);
    }

    /**
     * A downcall to the variadic libc function {@code name} (e.g. {@code prctl(int, ...)}), whose variadic arguments
     * start at {@code firstVariadicArg}; captures errno like {@link #downcall}.
     */
    static MethodHandle downcallVariadic(final String name, final FunctionDescriptor descriptor,
        final int firstVariadicArg) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
            Linker.Option.firstVariadicArg(firstVariadicArg), CAPTURE_ERRNO);
    }

    /** The errno a downcall captured into {@code capture}. */
    public static int errno(final MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /**
     * One errno-capture segment per thread, allocated once: the hot path ({@code io_uring_enter} per loop turn)
     * must not allocate.
     */
    private static final ThreadLocal<MemorySegment> CAPTURE_SEGMENT =
        ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE));

    /** {@code syscall(number, a..e)} (the sixth argument 0): the result, or {@code -errno} on failure. */
    public static long syscall(final long number, final long a, final long b, final long c, final long d,
        final long e) {
        return syscall(number, a, b, c, d, e, 0);
    }

    /** {@code syscall(number, a..f)}: the result, or {@code -errno} on failure. */
    public static long syscall(final long number, final long a, final long b, final long c, final long d, final long e,
        final long f) {
        final MemorySegment capture = CAPTURE_SEGMENT.get();
        final long result;
        try {
            result = (long) Syscall6.H.invokeExact(capture, number, a, b, c, d, e, f);
        } catch (final Throwable t) {
            throw new IllegalStateException("syscall " + number + " could not be called", t);
        }
        return result == -1 ? -(int) ERRNO.get(capture, 0L) : result;
    }

    /** {@code mmap} of a shared mapping of {@code fd}; throws naming the mapping on failure. */
    public static MemorySegment mmap(final long length, final int fd, final long offset, final String what) {
        final long address = syscall(SYS_MMAP, 0, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
            offset);
        if (address < 0 && address >= -4095) {
            throw new LinuxException("mmap of the " + what, (int) -address);
        }
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    /**
     * A private anonymous mapping of {@code length} bytes (zeros), whose pages become resident only when first touched:
     * for buffers sized for the worst case that mostly stay unused (a worker's send slots). Freed with {@code arena}
     * ({@code munmap}); throws naming the buffer on failure.
     */
    public static MemorySegment mmapAnonymous(final long length, final Arena arena, final String what) {
        final long address = syscall(SYS_MMAP, 0, length, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (address < 0 && address >= -4095) {
            throw new LinuxException("mmap of the " + what, (int) -address);
        }
        return MemorySegment.ofAddress(address).reinterpret(length, arena, Syscalls::munmap);
    }

    public static void munmap(final MemorySegment mapping) {
        final long result = syscall(SYS_MUNMAP, mapping.address(), mapping.byteSize(), 0, 0, 0);
        assert result == 0 : "munmap failed: " + result;
    }

    public static void close(final int fd) {
        final long result = syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
        assert result == 0 : "close failed: " + result;
    }

    /** {@code socketpair(domain, type | SOCK_CLOEXEC, 0)}: the two connected descriptors. */
    public static int[] socketpair(final int domain, final int type) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(CAPTURE);
            final MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            final int result = (int) Socketpair.H.invokeExact(capture, domain, type | SOCK_CLOEXEC, 0, pair);
            if (result != 0) {
                throw new LinuxException("socketpair", (int) ERRNO.get(capture, 0L));
            }
            return new int[] {pair.getAtIndex(ValueLayout.JAVA_INT, 0), pair.getAtIndex(ValueLayout.JAVA_INT, 1)};
        } catch (final LinuxException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("socketpair could not be called", t);
        }
    }

    private static final class Send { // linked at first use
        static final MethodHandle H = downcall("send",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
    }
    private static final class Recv { // linked at first use
        static final MethodHandle H = downcall("recv",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
    }

    /** {@code send(2)} of {@code length} bytes of {@code data}: bytes sent, or -1 with the errno in {@code capture}. */
    public static long send(final MemorySegment capture, final int fd, final MemorySegment data, final long length,
        final int flags) {
        try {
            return (long) Send.H.invokeExact(capture, fd, data, length, flags);
        } catch (final Throwable t) {
            throw new IllegalStateException("send could not be called", t);
        }
    }

    /** {@code recv(2)} of up to {@code length} bytes into {@code into}: bytes, 0 at EOF, or -1 with the errno. */
    public static long recv(final MemorySegment capture, final int fd, final MemorySegment into, final long length,
        final int flags) {
        try {
            return (long) Recv.H.invokeExact(capture, fd, into, length, flags);
        } catch (final Throwable t) {
            throw new IllegalStateException("recv could not be called", t);
        }
    }

    /** The index of interface {@code interfaceName} ({@code if_nametoindex(3)}); throws naming it if absent. */
    public static int ifIndex(final String interfaceName) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(CAPTURE);
            final int ifIndex = (int) IfNametoindex.H.invokeExact(capture, arena.allocateFrom(interfaceName));
            if (ifIndex == 0) {
                throw new LinuxException("if_nametoindex(" + interfaceName + ")", errno(capture));
            }
            return ifIndex;
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("if_nametoindex could not be called", t);
        }
    }

    /** The name of interface {@code ifIndex} ({@code if_indextoname(3)}); throws naming it if there is none. */
    public static String ifName(final int ifIndex) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(CAPTURE);
            final MemorySegment name = arena.allocate(IF_NAMESIZE);
            final MemorySegment result = (MemorySegment) IfIndextoname.H.invokeExact(capture, ifIndex, name);
            if (result.address() == 0) {
                throw new LinuxException("if_indextoname(" + ifIndex + ")", errno(capture));
            }
            return name.getString(0);
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("if_indextoname could not be called", t);
        }
    }

    /** {@code socket(domain, type, protocol)}; throws naming {@code what}, e.g. {@code socket(AF_INET, SOCK_DGRAM)}. */
    public static int socket(final int domain, final int type, final int protocol, final String what) {
        final long fd = syscall(SYS_SOCKET, domain, type, protocol, 0, 0);
        if (fd < 0) {
            throw new LinuxException(what, (int) -fd);
        }
        return (int) fd;
    }

    /** {@code setsockopt} with all of {@code value}; throws naming {@code call}. */
    public static void setsockopt(final int fd, final int level, final int option, final MemorySegment value,
        final String call) {
        final long result = syscall(SYS_SETSOCKOPT, fd, level, option, value.address(), value.byteSize());
        if (result != 0) {
            throw new LinuxException(call, (int) -result);
        }
    }

    /** {@code getsockopt} of an {@code int} option; throws naming {@code call}. */
    public static int getsockoptInt(final int fd, final int level, final int option, final String call) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, Integer.BYTES);
            final long result = syscall(SYS_GETSOCKOPT, fd, level, option, value.address(), length.address());
            if (result != 0) {
                throw new LinuxException(call, (int) -result);
            }
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }
}
