package io.mcrelay.linux.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The capabilities this process holds in its effective set ({@code CapEff} of {@code /proc/self/status}), and the
 * ones the supervisor needs (numbers from {@code linux/capability.h}). Stateless.
 */
public final class ProcessCapabilities {
    /** A capability the supervisor may need, and what for. */
    public enum Capability {
        NET_RAW(13, "AF_PACKET sockets: the receive rings the workers read"),
        NET_ADMIN(12, "SO_RCVBUFFORCE on the packet and egress sockets: buffers above the sysctl limits"),
        SETUID(7, "start the workers as another user (setpriv --reuid)"),
        SETGID(6, "start the workers with that user's group and no other (setpriv --regid --clear-groups)"),
        SETPCAP(8, "empty the workers' bounding set (setpriv --bounding-set=-all)"),
        KILL(5, "signal workers that run as another user"),
        CHOWN(0, "give the workers' socket to their user (without it, the supervisor must be in their group)");

        private final int bit;
        private final String purpose;

        Capability(final int bit, final String purpose) {
            this.bit = bit;
            this.purpose = purpose;
        }

        /** The name as the kernel documents it, e.g. {@code CAP_NET_RAW}. */
        public String capName() {
            return "CAP_" + name();
        }

        /** What the supervisor uses it for. */
        public String purpose() {
            return purpose;
        }

        /** Whether the set {@code mask} holds it. */
        public boolean in(final long mask) {
            return (mask >>> bit & 1) != 0;
        }
    }

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessCapabilities() {
    }

    /** This process's effective capabilities, as the kernel's mask. */
    public static long effective() {
        return parse(status(), "CapEff");
    }

    /** Whether this process holds {@code capability} now. */
    public static boolean holds(final Capability capability) {
        return capability.in(effective());
    }

    /** Which of {@code needed} the set {@code mask} lacks, in the order given. */
    public static List<Capability> missing(final long mask, final List<Capability> needed) {
        final List<Capability> missing = new ArrayList<>();
        for (final Capability capability : needed) {
            if (!capability.in(mask)) {
                missing.add(capability);
            }
        }
        return missing;
    }

    /** Reads field {@code field} (hexadecimal) of a {@code /proc/PID/status} text. */
    static long parse(final String status, final String field) {
        for (final String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseUnsignedLong(line.substring(field.length() + 1).strip(), 16);
            }
        }
        throw new IllegalStateException("no " + field + " line in " + STATUS);
    }

    private static String status() {
        try {
            return Files.readString(STATUS);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + STATUS, e);
        }
    }
}
