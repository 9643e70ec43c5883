package io.mcrelay.rules;

import java.util.Arrays;

/**
 * An IP address, family-neutral in its public shape so IPv6 (MLD) can follow; today only IPv4 parses.
 *
 * <p>Parsing is strictly literal: no name resolution, no octal or hex forms, no leading zeros, so an
 * address means the same thing in a config file, on the command line and on the wire.
 * Immutable and thread-safe.
 */
public final class IpAddress implements Comparable<IpAddress> {
    /** Address family. */
    public enum Family {
        IPV4(4),
        IPV6(16);

        private final int byteLength;

        Family(final int byteLength) {
            this.byteLength = byteLength;
        }

        /** Length of an address of this family in bytes. */
        public int byteLength() {
            return byteLength;
        }
    }

    private final Family family;
    private final byte[] bytes;

    private IpAddress(final Family family, final byte[] bytes) {
        assert bytes.length == family.byteLength;
        this.family = family;
        this.bytes = bytes;
    }

    /** An IPv4 address from its 32-bit value in network order (the first octet in the high byte). */
    public static IpAddress ipv4(final int value) {
        return new IpAddress(Family.IPV4, new byte[] {
            (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value });
    }

    /** An address from its raw bytes (4 for IPv4, 16 for IPv6); the array is copied. */
    public static IpAddress ofBytes(final byte[] raw) {
        if (raw.length == Family.IPV4.byteLength) {
            return new IpAddress(Family.IPV4, raw.clone());
        }
        if (raw.length == Family.IPV6.byteLength) {
            return new IpAddress(Family.IPV6, raw.clone());
        }
        throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + raw.length);
    }

    /**
     * Parses a literal IPv4 address in dotted-quad form ({@code 239.1.2.3}).
     *
     * @throws IllegalArgumentException with a message that says what is wrong with the text
     */
    public static IpAddress parse(final String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (text.indexOf(':') >= 0) {
            throw new IllegalArgumentException("IPv6 addresses are not supported yet: \"" + text + "\"");
        }
        final byte[] out = new byte[4];
        int octet = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= text.length(); i++) {
            final char c = i < text.length() ? text.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || octet > 3) {
                    throw notDottedQuad(text);
                }
                out[octet++] = (byte) value;
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) {
                    throw new IllegalArgumentException("leading zeros are ambiguous in \"" + text + "\"");
                }
                value = value * 10 + (c - '0');
                digits++;
                if (value > 255) {
                    throw new IllegalArgumentException("octet over 255 in \"" + text + "\"");
                }
            } else {
                throw notDottedQuad(text);
            }
        }
        if (octet != 4) {
            throw notDottedQuad(text);
        }
        return new IpAddress(Family.IPV4, out);
    }

    private static IllegalArgumentException notDottedQuad(final String text) {
        return new IllegalArgumentException("\"" + text + "\" is not an IPv4 address (a.b.c.d)");
    }

    public Family family() {
        return family;
    }

    /** A copy of the address bytes in network order. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The IPv4 address as a 32-bit value in network order; only for IPv4. */
    public int ipv4Value() {
        if (family != Family.IPV4) {
            throw new IllegalStateException("not an IPv4 address: " + this);
        }
        return (bytes[0] & 0xFF) << 24 | (bytes[1] & 0xFF) << 16 | (bytes[2] & 0xFF) << 8 | (bytes[3] & 0xFF);
    }

    /** True for 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6). */
    public boolean isMulticast() {
        return family == Family.IPV4 ? (bytes[0] & 0xF0) == 0xE0 : (bytes[0] & 0xFF) == 0xFF;
    }

    /**
     * True for IPv4's source-specific multicast range 232.0.0.0/8 (RFC 4607), where routers ignore any-source
     * membership reports: a receiver there must name its source.
     */
    public boolean isSourceSpecificMulticast() {
        return family == Family.IPV4 && (bytes[0] & 0xFF) == 232;
    }

    /** True for the all-zero address (0.0.0.0 or ::), which names no host. */
    public boolean isUnspecified() {
        for (final byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** True for the IPv4 limited broadcast address 255.255.255.255. */
    public boolean isLimitedBroadcast() {
        return family == Family.IPV4 && ipv4Value() == 0xFFFF_FFFF;
    }

    @Override
    public int compareTo(final IpAddress other) {
        final int byFamily = family.compareTo(other.family);
        return byFamily != 0 ? byFamily : Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof IpAddress other && family == other.family && Arrays.equals(bytes, other.bytes);
    }

    /**
     * The address's bits, mixed: {@code Arrays.hashCode} gave only about 1,500 values to 10,000 consecutive groups
     * ({@code 31 * b2 + b3} collides across the last two bytes), which made the hash maps keyed by groups and inputs
     * trees of colliding entries at 10,000 rules. The same value in every JVM (no identity hash of the family).
     */
    @Override
    public int hashCode() {
        long mixed = family.ordinal();
        for (int i = 0; i < bytes.length; i += 4) {
            mixed = (mixed + ((bytes[i] & 0xFFL) << 24 | (bytes[i + 1] & 0xFFL) << 16 | (bytes[i + 2] & 0xFFL) << 8
                | bytes[i + 3] & 0xFFL)) * 0x9E37_79B9_7F4A_7C15L;
        }
        return (int) (mixed ^ mixed >>> 32);
    }

    @Override
    public String toString() {
        if (family == Family.IPV4) {
            return (bytes[0] & 0xFF) + "." + (bytes[1] & 0xFF) + "." + (bytes[2] & 0xFF) + "." + (bytes[3] & 0xFF);
        }
        final StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(Integer.toHexString((bytes[i] & 0xFF) << 8 | (bytes[i + 1] & 0xFF)));
        }
        return sb.toString();
    }
}
