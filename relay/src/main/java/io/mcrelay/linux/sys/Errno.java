package io.mcrelay.linux.sys;

/** errno values the Linux layer meets, by name, from {@code asm-generic/errno-base.h} and {@code errno.h}. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ENOSYS = 38;
    public static final int EMSGSIZE = 90;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETDOWN = 100;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int ENOTCONN = 107;
    public static final int ECONNREFUSED = 111;
    public static final int EALREADY = 114;

    private Errno() {
    }

    /** {@code EINVAL (invalid argument)}, or {@code errno 123} for one not listed here. */
    public static String describe(final int errno) {
        return switch (errno) {
            case EPERM -> "EPERM (operation not permitted)";
            case ENOENT -> "ENOENT (no such file or directory)";
            case ESRCH -> "ESRCH (no such process)";
            case EINTR -> "EINTR (interrupted)";
            case ENXIO -> "ENXIO (no such device or address)";
            case EBADF -> "EBADF (bad file descriptor)";
            case EAGAIN -> "EAGAIN (try again)";
            case ENOMEM -> "ENOMEM (out of memory)";
            case EACCES -> "EACCES (permission denied)";
            case EFAULT -> "EFAULT (bad address)";
            case EBUSY -> "EBUSY (busy)";
            case EEXIST -> "EEXIST (already exists)";
            case ENODEV -> "ENODEV (no such device)";
            case EINVAL -> "EINVAL (invalid argument)";
            case EMFILE -> "EMFILE (too many open files)";
            case ENOSPC -> "ENOSPC (no space left on device)";
            case EPIPE -> "EPIPE (broken pipe)";
            case ENOSYS -> "ENOSYS (function not implemented)";
            case EMSGSIZE -> "EMSGSIZE (message too long)";
            case EOPNOTSUPP -> "EOPNOTSUPP (operation not supported)";
            case EADDRINUSE -> "EADDRINUSE (address already in use)";
            case EADDRNOTAVAIL -> "EADDRNOTAVAIL (address not available)";
            case ENETDOWN -> "ENETDOWN (network is down)";
            case ECONNRESET -> "ECONNRESET (connection reset by peer)";
            case ENOBUFS -> "ENOBUFS (no buffer space)";
            case ENOTCONN -> "ENOTCONN (not connected)";
            case ECONNREFUSED -> "ECONNREFUSED (connection refused)";
            case EALREADY -> "EALREADY (operation already in progress)";
            default -> "errno " + errno;
        };
    }

    /** What to do about a failure, where there is a known answer; "" otherwise. */
    static String hint(final String call, final int errno) {
        if (call.startsWith("io_uring") && (errno == ENOSYS || errno == EPERM)) {
            return ": io_uring is missing or blocked here (check sysctl kernel.io_uring_disabled and any seccomp"
                + " profile of the container)";
        }
        if (call.startsWith("pidfd") && errno == ENOSYS) {
            return ": pidfd_open needs Linux 5.3 and pidfd_send_signal 5.1";
        }
        if (errno == ENOMEM && call.startsWith("io_uring")) {
            return ": the ring needs locked memory; raise 'ulimit -l' or ask for fewer entries";
        }
        if (call.startsWith("getsockopt(PACKET_VERSION)") && errno == EOPNOTSUPP) {
            return ": it is not a packet socket";
        }
        if (call.contains("adopted AF_PACKET receive ring") && errno == EINVAL) {
            return ": the geometry must be the one the ring was set up with, and the socket must have a ring";
        }
        if (call.contains("PBUF_RING") && errno == EINVAL) {
            return ": provided-buffer rings need Linux 5.19+ (and multishot receive into them 6.0+)";
        }
        if (call.startsWith("setsockopt(PACKET_FANOUT)") && errno == EINVAL) {
            return ": a group's members share one mode, one set of flags and one interface, the ROLLOVER mode takes"
                + " no ROLLOVER flag, and the socket must be bound first";
        }
        if (call.startsWith("setsockopt(PACKET_FANOUT)") && errno == EALREADY) {
            return ": the socket is in a fanout group already (it leaves only by closing)";
        }
        if (call.startsWith("setsockopt(PACKET_FANOUT_DATA)") && errno == EINVAL) {
            return ": the socket must be in a CBPF fanout group, and the program valid classic BPF";
        }
        if (call.startsWith("setsockopt(SO_ATTACH_FILTER)") && errno == EINVAL) {
            return ": classic BPF takes at most 4096 instructions (BPF_MAXINSNS), forward jumps inside the program"
                + " and a return at its end";
        }
        if (call.startsWith("setsockopt(SO_ATTACH_FILTER)") && errno == ENOMEM) {
            return ": the filter exceeds the socket's option memory (sysctl net.core.optmem_max)";
        }
        return "";
    }
}
