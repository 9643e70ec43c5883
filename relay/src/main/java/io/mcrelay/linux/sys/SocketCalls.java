package io.mcrelay.linux.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * libc's socket and epoll calls for the packet, netlink and process packages, declared here because only this
 * package declares downcalls (an ArchUnit rule). Each handle captures errno: pass a {@link Syscalls#CAPTURE}
 * segment first and read it with {@link Syscalls#errno}. The {@code ...Raw} variants take pointers as {@code long}
 * addresses, for callers that keep preallocated native memory and pass raw addresses on their hot path.
 * Each is linked at its first use (a holder class per handle): every distinct signature costs a JVM 5-15 ms of
 * generated code the first time, and a worker's start needs few of them. Thread-safe (method handles are immutable).
 */
public final class SocketCalls {
    /** {@code int bind(int fd, const struct sockaddr *addr, socklen_t len)}. */
    public static MethodHandle bind() {
        return Bind.H;
    }

    private static final class Bind { // linked at first use
        static final MethodHandle H = Syscalls.downcall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT));
    }

    /** {@code bind(2)} with the address as a raw pointer. */
    public static MethodHandle bindRaw() {
        return BindRaw.H;
    }

    private static final class BindRaw { // linked at first use
        static final MethodHandle H = Syscalls.downcall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
    }

    /** {@code int connect(int fd, const struct sockaddr *addr, socklen_t len)}. */
    public static MethodHandle connect() {
        return Connect.H;
    }

    private static final class Connect { // linked at first use
        static final MethodHandle H = Syscalls.downcall("connect",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT));
    }

    /** {@code int getsockopt(int fd, int level, int name, void *value, socklen_t *len)}. */
    public static MethodHandle getsockopt() {
        return Getsockopt.H;
    }

    private static final class Getsockopt { // linked at first use
        static final MethodHandle H = Syscalls.downcall("getsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    /** {@code getsockopt(2)} with the value and length as raw pointers. */
    public static MethodHandle getsockoptRaw() {
        return GetsockoptRaw.H;
    }

    private static final class GetsockoptRaw { // linked at first use
        static final MethodHandle H = Syscalls.downcall("getsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }

    /** {@code int getsockname(int fd, struct sockaddr *addr, socklen_t *len)}. */
    public static MethodHandle getsockname() {
        return Getsockname.H;
    }

    private static final class Getsockname { // linked at first use
        static final MethodHandle H = Syscalls.downcall("getsockname",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS));
    }

    /** {@code int epoll_create1(int flags)}. */
    public static MethodHandle epollCreate1() {
        return EpollCreate1.H;
    }

    private static final class EpollCreate1 { // linked at first use
        static final MethodHandle H = Syscalls.downcall("epoll_create1",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}, the event as a raw pointer. */
    public static MethodHandle epollCtl() {
        return EpollCtl.H;
    }

    private static final class EpollCtl { // linked at first use
        static final MethodHandle H = Syscalls.downcall("epoll_ctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG));
    }


    private SocketCalls() {
    }
}
