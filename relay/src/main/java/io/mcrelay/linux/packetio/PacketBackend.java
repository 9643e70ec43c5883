package io.mcrelay.linux.packetio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.LinuxException;

/**
 * Which packet I/O backend a worker runs: {@link IoUringPacketIo} where io_uring can be set up and its probe shows
 * every operation the relay needs ({@link IoUring.Probe#missing()}), else the {@link EpollPacketIo} fallback. The
 * choice can be forced with the {@code backend} setting ({@code io_uring}, {@code epoll} or {@code auto}, the
 * default; the daemon's {@code --backend}, or the system property {@value #PROPERTY}). Forcing io_uring where it
 * cannot run fails at start with what is missing; an unknown value is refused naming the accepted ones.
 *
 * <p>{@link #decide} is the decision, with the kernel's probe passed in ({@link #probeIoUring}, or a stand-in in
 * tests); {@link Choice#describe} is the line the supervisor logs. It logs nothing itself: a worker decides too, and a
 * logger here would start the logging framework in every worker for nothing. Thread-safe (stateless).
 */
public final class PacketBackend {
    /** The system property that carries the setting when no command-line option does. */
    public static final String PROPERTY = "mcrelay.backend";
    /**
     * A test seam: when this system property is set (to a reason), {@link #probeIoUringForWorkers} reports io_uring
     * unavailable for that reason, as on a host where it is blocked, so that tests see {@code auto} fall back.
     */
    public static final String UNAVAILABLE_PROPERTY = "mcrelay.test.ioUringUnavailable";
    /** {@code kernel.io_uring_disabled} (Linux 6.6): 0 all may use io_uring, 1 only some, 2 none. */
    static final Path DISABLED_SYSCTL = Path.of("/proc/sys/kernel/io_uring_disabled");
    /** {@code kernel.io_uring_group}: with {@code io_uring_disabled} 1, the group that may still use it (-1: none). */
    static final Path GROUP_SYSCTL = Path.of("/proc/sys/kernel/io_uring_group");


    /** The backends. */
    public enum Kind {
        IO_URING("io_uring"), EPOLL("epoll");

        private final String text;

        Kind(final String text) {
            this.text = text;
        }

        /** The name users write: {@code io_uring} or {@code epoll}. */
        public String text() {
            return text;
        }
    }

    /** What the user asked for. */
    public enum Preference {
        AUTO, IO_URING, EPOLL;

        /**
         * Parses {@code io_uring}, {@code epoll} or {@code auto} (case-insensitive; {@code io-uring} and
         * {@code iouring} also name io_uring); null or blank means {@code auto}.
         *
         * @throws IllegalArgumentException naming the value and the accepted ones
         */
        public static Preference parse(final String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "io_uring", "io-uring", "iouring" -> IO_URING;
                case "epoll" -> EPOLL;
                default -> throw new IllegalArgumentException("unknown packet backend '" + value
                    + "': use io_uring, epoll or auto");
            };
        }
    }

    /** What io_uring looks like here: usable, or the problem in one phrase. */
    public record IoUringStatus(boolean usable, String problem) {
        public IoUringStatus {
            Objects.requireNonNull(problem, "problem");
        }

        public static IoUringStatus ok() {
            return new IoUringStatus(true, "");
        }

        public static IoUringStatus unusable(final String problem) {
            return new IoUringStatus(false, problem);
        }
    }

    /** The backend that runs and why, as the one log line says. */
    public record Choice(Kind kind, String reason) {
        public String describe() {
            return "packet I/O backend: " + kind.text() + " (" + reason + ")";
        }
    }

    private PacketBackend() {
    }

    /** The setting from the system property {@value #PROPERTY} ({@code auto} when unset). */
    public static Preference fromSystemProperty() {
        return Preference.parse(System.getProperty(PROPERTY));
    }

    /**
     * Tries io_uring: sets up a small ring and probes it. Never throws for the kernel's answer: a failure becomes
     * the problem (e.g. {@code io_uring_setup failed: ENOSYS ...}, or the operations it lacks).
     */
    public static IoUringStatus probeIoUring() {
        try (IoUring ring = IoUring.open(4)) {
            final List<String> missing = ring.probe().missing();
            return missing.isEmpty() ? IoUringStatus.ok()
                : IoUringStatus.unusable("io_uring lacks " + String.join(", ", missing));
        } catch (final LinuxException e) {
            return IoUringStatus.unusable(e.getMessage());
        }
    }

    /**
     * What io_uring looks like to a worker running with primary group {@code workerGid}, no supplementary groups and
     * no capabilities, as the supervisor starts them: this process's own probe ({@link #probeIoUring}: a seccomp
     * filter or an old kernel shows there), then {@code kernel.io_uring_disabled} as it applies to such a process
     * ({@link #forUnprivileged}), which this process, if privileged, would not feel itself. Never throws.
     */
    public static IoUringStatus probeIoUringForWorkers(final long workerGid) {
        final String forced = System.getProperty(UNAVAILABLE_PROPERTY);
        if (forced != null) {
            return IoUringStatus.unusable((forced.isBlank() ? "unavailable" : forced.strip()) + " (test seam "
                + UNAVAILABLE_PROPERTY + ")");
        }
        final IoUringStatus here = probeIoUring();
        return here.usable() ? forUnprivileged(readSysctl(DISABLED_SYSCTL, 0), readSysctl(GROUP_SYSCTL, -1), workerGid)
            : here;
    }

    /**
     * Whether {@code kernel.io_uring_disabled} = {@code disabled} (with {@code kernel.io_uring_group} =
     * {@code group}) lets a process of primary group {@code workerGid} without {@code CAP_SYS_ADMIN} set up io_uring
     * (Documentation/admin-guide/sysctl/kernel.rst).
     */
    static IoUringStatus forUnprivileged(final long disabled, final long group, final long workerGid) {
        if (disabled == 0) {
            return IoUringStatus.ok();
        }
        if (disabled == 1) {
            return group >= 0 && group == workerGid ? IoUringStatus.ok()
                : IoUringStatus.unusable("kernel.io_uring_disabled = 1 allows io_uring only to CAP_SYS_ADMIN and "
                    + "members of kernel.io_uring_group (" + group + "), and the workers (gid " + workerGid
                    + ") are neither");
        }
        return IoUringStatus.unusable("kernel.io_uring_disabled = " + disabled + ": io_uring is disabled for every "
            + "process");
    }

    /** A number from a sysctl file; {@code absent} when the kernel has no such file (older than the setting). */
    private static long readSysctl(final Path file, final long absent) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (final IOException | NumberFormatException e) {
            return absent; // missing (an older kernel), or unreadable: the worker's own set-up says what is wrong
        }
    }

    /**
     * The decision alone: forced {@code epoll} is taken as is (io_uring is not even tried); forced {@code io_uring}
     * needs a usable io_uring; {@code auto} takes io_uring when usable, else epoll.
     *
     * @param ioUring what io_uring looks like; asked only when the preference needs it
     * @throws IllegalStateException when io_uring was forced and is not usable, saying why and what to do
     */
    public static Choice decide(final Preference preference, final Supplier<IoUringStatus> ioUring) {
        Objects.requireNonNull(preference, "preference");
        switch (preference) {
            case EPOLL -> {
                return new Choice(Kind.EPOLL, "forced by backend=epoll");
            }
            case IO_URING -> {
                final IoUringStatus status = ioUring.get();
                if (!status.usable()) {
                    throw new IllegalStateException("packet backend io_uring was asked for but cannot run: "
                        + status.problem() + "; use --backend epoll (or auto) on this host");
                }
                return new Choice(Kind.IO_URING, "forced by backend=io_uring");
            }
            default -> {
                final IoUringStatus status = ioUring.get();
                return status.usable()
                    ? new Choice(Kind.IO_URING, "auto: io_uring set up and has every operation needed")
                    : new Choice(Kind.EPOLL, "auto: io_uring is unavailable: " + status.problem());
            }
        }
    }
}
