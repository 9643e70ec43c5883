package io.mcrelay.protocol;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Writes Ethernet (optionally with one 802.1Q tag) / IPv4 / UDP frames exactly as a sender on the wire would: the
 * frames the simulator's links carry and the reference encoder of the parser's tests. The IPv4 header checksum is
 * filled in; the UDP checksum is 0 (allowed for IPv4: "no checksum"). Stateless.
 *
 * <pre>
 *  dst MAC(6) src MAC(6) [0x8100 TCI(2)] 0x0800 | IPv4 header(20) | UDP header(8) | payload
 * </pre>
 */
public final class UdpFrameEncoder {
    public static final int ETHERNET_BYTES = 14;
    public static final int VLAN_BYTES = 4;
    public static final int IPV4_BYTES = 20;
    public static final int UDP_BYTES = 8;

    private UdpFrameEncoder() {
    }

    /** The length of a frame with this payload. */
    public static int frameLength(final int payloadLength, final boolean vlan) {
        return ETHERNET_BYTES + (vlan ? VLAN_BYTES : 0) + IPV4_BYTES + UDP_BYTES + payloadLength;
    }

    /**
     * Writes a frame at {@code offset} and returns its length.
     *
     * @param vlanId  0-4095 for a tagged frame, -1 for none
     * @param source  IPv4 source address, network order in an int
     * @param group   IPv4 destination address, network order in an int
     * @param payload the UDP payload, copied
     */
    public static int write(
        final MutableDirectBuffer buffer, final int offset, final int vlanId, final int source, final int group,
        final int sourcePort, final int destinationPort, final int ttl, final byte[] payload) {
        if (payload.length > 65_535 - IPV4_BYTES - UDP_BYTES) {
            throw new IllegalArgumentException("payload too large for one IPv4 packet: " + payload.length);
        }
        int position = offset;
        // Destination MAC: the IPv4 multicast mapping 01:00:5e + low 23 bits of the group (RFC 1112).
        buffer.putByte(position, (byte) 0x01);
        buffer.putByte(position + 1, (byte) 0x00);
        buffer.putByte(position + 2, (byte) 0x5E);
        buffer.putByte(position + 3, (byte) ((group >>> 16) & 0x7F));
        buffer.putByte(position + 4, (byte) (group >>> 8));
        buffer.putByte(position + 5, (byte) group);
        // Source MAC: locally administered, derived from the source address.
        buffer.putByte(position + 6, (byte) 0x02);
        buffer.putByte(position + 7, (byte) 0x00);
        buffer.putInt(position + 8, source, ByteOrder.BIG_ENDIAN);
        position += 12;
        if (vlanId >= 0) {
            buffer.putShort(position, (short) 0x8100, ByteOrder.BIG_ENDIAN);
            buffer.putShort(position + 2, (short) (vlanId & 0x0FFF), ByteOrder.BIG_ENDIAN);
            position += VLAN_BYTES;
        }
        buffer.putShort(position, (short) 0x0800, ByteOrder.BIG_ENDIAN);
        position += 2;

        final int ipStart = position;
        final int totalLength = IPV4_BYTES + UDP_BYTES + payload.length;
        buffer.putByte(ipStart, (byte) 0x45);
        buffer.putByte(ipStart + 1, (byte) 0);
        buffer.putShort(ipStart + 2, (short) totalLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ipStart + 4, (short) 0, ByteOrder.BIG_ENDIAN); // identification
        buffer.putShort(ipStart + 6, (short) 0x4000, ByteOrder.BIG_ENDIAN); // don't fragment
        buffer.putByte(ipStart + 8, (byte) ttl);
        buffer.putByte(ipStart + 9, (byte) 17);
        buffer.putShort(ipStart + 10, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putInt(ipStart + 12, source, ByteOrder.BIG_ENDIAN);
        buffer.putInt(ipStart + 16, group, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ipStart + 10, (short) ipv4Checksum(buffer, ipStart), ByteOrder.BIG_ENDIAN);

        final int udpStart = ipStart + IPV4_BYTES;
        buffer.putShort(udpStart, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udpStart + 2, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udpStart + 4, (short) (UDP_BYTES + payload.length), ByteOrder.BIG_ENDIAN);
        buffer.putShort(udpStart + 6, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putBytes(udpStart + UDP_BYTES, payload);
        return udpStart + UDP_BYTES + payload.length - offset;
    }

    /** The RFC 791 header checksum of the 20-byte header at {@code ipStart} (checksum field taken as written). */
    static int ipv4Checksum(final MutableDirectBuffer buffer, final int ipStart) {
        int sum = 0;
        for (int i = 0; i < IPV4_BYTES; i += 2) {
            sum += buffer.getShort(ipStart + i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
