package io.mcrelay.linux.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * libc's socket and epoll calls for the packet, netlink and process packages, declared here because only this
 * package declares downcalls (an ArchUnit rule). Each handle captures errno: pass a {@link Syscalls#CAPTURE}
 * segment first and read it with {@link Syscalls#errno}. The {@code _RAW} variants take pointers as {@code long}
 * addresses, for callers that keep preallocated native memory and pass raw addresses on their hot path.
 * Thread-safe (method handles are immutable).
 */
public final class SocketCalls {
    /** {@code int bind(int fd, const struct sockaddr *addr, socklen_t len)}. */
    public static final MethodHandle BIND = Syscalls.downcall("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** {@code bind(2)} with the address as a raw pointer. */
    public static final MethodHandle BIND_RAW = Syscalls.downcall("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** {@code int connect(int fd, const struct sockaddr *addr, socklen_t len)}. */
    public static final MethodHandle CONNECT = Syscalls.downcall("connect",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    /** {@code int getsockopt(int fd, int level, int name, void *value, socklen_t *len)}. */
    public static final MethodHandle GETSOCKOPT = Syscalls.downcall("getsockopt",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    /** {@code getsockopt(2)} with the value and length as raw pointers. */
    public static final MethodHandle GETSOCKOPT_RAW = Syscalls.downcall("getsockopt",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    /** {@code int getsockname(int fd, struct sockaddr *addr, socklen_t *len)}. */
    public static final MethodHandle GETSOCKNAME = Syscalls.downcall("getsockname",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    /** {@code int epoll_create1(int flags)}. */
    public static final MethodHandle EPOLL_CREATE1 = Syscalls.downcall("epoll_create1",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}, the event as a raw pointer. */
    public static final MethodHandle EPOLL_CTL = Syscalls.downcall("epoll_ctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG));

    private SocketCalls() {
    }
}
