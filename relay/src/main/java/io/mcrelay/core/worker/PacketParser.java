package io.mcrelay.core.worker;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * Parses one received Ethernet frame, with or without one 802.1Q/802.1ad tag, as IPv4/UDP, into its own fields: a
 * flyweight that allocates nothing, reused for every frame of a worker. Checksums are never validated: on veth the
 * UDP checksum is not filled in yet when AF_PACKET sees the frame ({@code TP_STATUS_CSUMNOTREADY}), and the NIC or
 * the sending stack has already vouched for the IP header. Not thread-safe.
 *
 * <p>Outcomes: {@link #OK} (the fields are valid), {@link #NOT_UDP} (well-formed but not IPv4/UDP: no rule can
 * match, counted as unmatched), {@link #FRAGMENT} (an IPv4 fragment: not reassembled, counted as a drop) and
 * {@link #MALFORMED} (with {@link #malformedReason()}). Any bytes give one of these; parsing never throws.
 */
public final class PacketParser {
    public static final int OK = 0;
    public static final int NOT_UDP = 1;
    public static final int FRAGMENT = 2;
    public static final int MALFORMED = 3;

    public static final int REASON_NONE = 0;
    public static final int REASON_TRUNCATED_ETHERNET = 1;
    public static final int REASON_TRUNCATED_IP_HEADER = 2;
    public static final int REASON_BAD_IP_VERSION = 3;
    public static final int REASON_BAD_IP_HEADER_LENGTH = 4;
    public static final int REASON_BAD_IP_TOTAL_LENGTH = 5;
    public static final int REASON_TRUNCATED_UDP_HEADER = 6;
    public static final int REASON_BAD_UDP_LENGTH = 7;

    private static final String[] REASONS = {
        "none", "truncated Ethernet header", "truncated IPv4 header", "IP version is not 4",
        "IPv4 header length under 20 bytes", "IPv4 total length disagrees with the frame",
        "truncated UDP header", "UDP length disagrees with the IPv4 packet"};

    /** EtherTypes, from {@code include/uapi/linux/if_ether.h}. */
    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_8021Q = 0x8100;
    static final int ETH_P_8021AD = 0x88A8;
    static final int ETH_HEADER_BYTES = 14;
    static final int VLAN_TAG_BYTES = 4;
    static final int IPV4_MIN_HEADER_BYTES = 20;
    static final int UDP_HEADER_BYTES = 8;
    static final int IPPROTO_UDP = 17;

    private int result;
    private int malformedReason;
    private int vlanId;
    private int sourceAddress;
    private int destinationAddress;
    private int sourcePort;
    private int destinationPort;
    private int ttl;
    private int payloadOffset;
    private int payloadLength;

    /**
     * Parses {@code length} bytes at {@code offset}; the fields stay valid until the next call.
     *
     * @return {@link #OK}, {@link #NOT_UDP}, {@link #FRAGMENT} or {@link #MALFORMED}
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length) {
        clear();
        if (length < ETH_HEADER_BYTES) {
            return malformed(REASON_TRUNCATED_ETHERNET);
        }
        int position = offset + 12;
        int etherType = u16(buffer, position);
        if (etherType == ETH_P_8021Q || etherType == ETH_P_8021AD) {
            if (length < ETH_HEADER_BYTES + VLAN_TAG_BYTES) {
                return malformed(REASON_TRUNCATED_ETHERNET);
            }
            vlanId = u16(buffer, position + 2) & 0x0FFF;
            position += VLAN_TAG_BYTES;
            etherType = u16(buffer, position);
        }
        if (etherType != ETH_P_IP) {
            return result = NOT_UDP; // ARP, IPv6, a second VLAN tag...: well-formed, but no rule of ours
        }
        final int ipStart = position + 2;
        final int ipAvailable = offset + length - ipStart;
        if (ipAvailable < IPV4_MIN_HEADER_BYTES) {
            return malformed(REASON_TRUNCATED_IP_HEADER);
        }
        final int versionAndLength = buffer.getByte(ipStart) & 0xFF;
        if (versionAndLength >>> 4 != 4) {
            return malformed(REASON_BAD_IP_VERSION);
        }
        final int headerBytes = (versionAndLength & 0x0F) * 4;
        if (headerBytes < IPV4_MIN_HEADER_BYTES) {
            return malformed(REASON_BAD_IP_HEADER_LENGTH);
        }
        if (headerBytes > ipAvailable) {
            return malformed(REASON_TRUNCATED_IP_HEADER);
        }
        final int totalLength = u16(buffer, ipStart + 2);
        // Frames may carry Ethernet padding after the IP packet, so the packet may be shorter than the frame.
        if (totalLength < headerBytes || totalLength > ipAvailable) {
            return malformed(REASON_BAD_IP_TOTAL_LENGTH);
        }
        final int flagsAndOffset = u16(buffer, ipStart + 6);
        final boolean moreFragments = (flagsAndOffset & 0x2000) != 0;
        if (moreFragments || (flagsAndOffset & 0x1FFF) != 0) {
            return result = FRAGMENT;
        }
        ttl = buffer.getByte(ipStart + 8) & 0xFF;
        final int protocol = buffer.getByte(ipStart + 9) & 0xFF;
        sourceAddress = buffer.getInt(ipStart + 12, ByteOrder.BIG_ENDIAN);
        destinationAddress = buffer.getInt(ipStart + 16, ByteOrder.BIG_ENDIAN);
        if (protocol != IPPROTO_UDP) {
            return result = NOT_UDP;
        }
        final int udpStart = ipStart + headerBytes;
        final int udpAvailable = totalLength - headerBytes;
        if (udpAvailable < UDP_HEADER_BYTES) {
            return malformed(REASON_TRUNCATED_UDP_HEADER);
        }
        final int udpLength = u16(buffer, udpStart + 4);
        if (udpLength < UDP_HEADER_BYTES || udpLength > udpAvailable) {
            return malformed(REASON_BAD_UDP_LENGTH);
        }
        sourcePort = u16(buffer, udpStart);
        destinationPort = u16(buffer, udpStart + 2);
        payloadOffset = udpStart + UDP_HEADER_BYTES - offset;
        payloadLength = udpLength - UDP_HEADER_BYTES;
        assert payloadOffset + payloadLength <= length;
        return result = OK;
    }

    private static int u16(final DirectBuffer buffer, final int index) {
        return buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private int malformed(final int reason) {
        malformedReason = reason;
        return result = MALFORMED;
    }

    private void clear() {
        result = MALFORMED;
        malformedReason = REASON_NONE;
        vlanId = -1;
        sourceAddress = 0;
        destinationAddress = 0;
        sourcePort = 0;
        destinationPort = 0;
        ttl = 0;
        payloadOffset = 0;
        payloadLength = 0;
    }

    /** The outcome of the last parse. */
    public int result() {
        return result;
    }

    /** Why the last frame was {@link #MALFORMED}, one of the {@code REASON_*} codes. */
    public int malformedReason() {
        return malformedReason;
    }

    /** A reason code as words, for traces and logs. */
    public static String describeReason(final int reason) {
        return reason >= 0 && reason < REASONS.length ? REASONS[reason] : "reason " + reason;
    }

    /** The VLAN id of the tag, or -1 without one. */
    public int vlanId() {
        return vlanId;
    }

    /** IPv4 source address, network order in an int (first octet in the high byte). */
    public int sourceAddress() {
        return sourceAddress;
    }

    /** IPv4 destination address (the group), network order in an int. */
    public int destinationAddress() {
        return destinationAddress;
    }

    public int sourcePort() {
        return sourcePort;
    }

    public int destinationPort() {
        return destinationPort;
    }

    public int ttl() {
        return ttl;
    }

    /** Offset of the UDP payload from the start of the frame. */
    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }
}
