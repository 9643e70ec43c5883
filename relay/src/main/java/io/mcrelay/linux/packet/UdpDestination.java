package io.mcrelay.linux.packet;

import io.mcrelay.rules.IpAddress;

/**
 * An IPv4 UDP destination the receive side keeps: a group (or any IPv4 address) and a port. The address is the
 * 32-bit value in network order (first octet in the high byte), as classic BPF loads it. Immutable.
 */
public record UdpDestination(int address, int port) implements Comparable<UdpDestination> {
    public UdpDestination {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("a UDP port is 0 to 65535, not " + port);
        }
    }

    /** {@code 239.1.2.3}, port 5000. */
    public static UdpDestination of(final String dottedQuad, final int port) {
        return of(IpAddress.parse(dottedQuad), port);
    }

    /** From a parsed IPv4 address. */
    public static UdpDestination of(final IpAddress address, final int port) {
        return new UdpDestination(address.ipv4Value(), port);
    }

    /** By address (unsigned), then port. */
    @Override
    public int compareTo(final UdpDestination other) {
        final int byAddress = Integer.compareUnsigned(address, other.address);
        return byAddress != 0 ? byAddress : Integer.compare(port, other.port);
    }

    @Override
    public String toString() {
        return IpAddress.ipv4(address) + ":" + port;
    }
}
