package io.mcrelay.seam.support;

import org.agrona.DirectBuffer;

/**
 * The input fan-out's flow hash and member choice, as the kernel runs them for the relay's {@code PACKET_FANOUT_CBPF}
 * program ({@code io.mcrelay.linux.packet.PacketPrograms#flowHashFanout}, checked against this reference by an
 * interpreter and on the real kernel) and as the simulated input sockets must model them: a flow (IPv4 destination
 * and UDP destination port) always lands on the same member. Pure functions; thread-safe.
 */
public final class FlowHash {
    public static final int MULTIPLIER_1 = 0x9E3779B1;
    public static final int MULTIPLIER_2 = 0x85EBCA6B;
    public static final int MULTIPLIER_3 = 0xC2B2AE35;

    private static final int ETHERNET_HEADER_BYTES = 14;
    private static final int ETH_P_IP = 0x0800;
    private static final int IPPROTO_UDP = 17;
    private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private FlowHash() {
    }

    /**
     * The flow hash in unsigned 32-bit arithmetic:
     * <pre>
     *   h = address * 0x9E3779B1;  h ^= h >>> 16;  h ^= port;
     *   h *= 0x85EBCA6B;           h ^= h >>> 13;
     *   h *= 0xC2B2AE35;           h ^= h >>> 16;
     * </pre>
     * {@code address} is the IPv4 destination in network order (first octet high), {@code port} the UDP destination
     * port (0 for a non-first fragment).
     */
    public static int of(final int address, final int port) {
        int h = address * MULTIPLIER_1;
        h ^= h >>> 16;
        h ^= port;
        h *= MULTIPLIER_2;
        h ^= h >>> 13;
        h *= MULTIPLIER_3;
        h ^= h >>> 16;
        return h;
    }

    /**
     * The member a fanout program's result selects: {@code result % members}, unsigned ({@code fanout_demux_bpf} in
     * {@code net/packet/af_packet.c}); members are numbered in the order they joined, until one leaves.
     */
    public static int member(final int result, final int members) {
        if (members < 1) {
            throw new IllegalArgumentException("a fanout group has at least one member, not " + members);
        }
        return Integer.remainderUnsigned(result, members);
    }

    /**
     * What the program returns for a whole Ethernet frame: the flow hash of an IPv4/UDP frame (port 0 for a non-first
     * fragment), 0 for anything else (so it goes to the first member).
     */
    public static int ofFrame(final DirectBuffer frame, final int offset, final int length) {
        final int ip = offset + ETHERNET_HEADER_BYTES;
        if (length < ETHERNET_HEADER_BYTES + 20
            || (frame.getShort(offset + 12, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF) != ETH_P_IP
            || (frame.getByte(ip + 9) & 0xFF) != IPPROTO_UDP) {
            return 0;
        }
        final int address = frame.getInt(ip + 16, java.nio.ByteOrder.BIG_ENDIAN);
        if ((frame.getShort(ip + 6, java.nio.ByteOrder.BIG_ENDIAN) & FRAGMENT_OFFSET_MASK) != 0) {
            return of(address, 0);
        }
        final int udp = ip + 4 * (frame.getByte(ip) & 0x0F);
        if (udp + 4 > offset + length) {
            return 0; // the kernel's load past the packet ends the program with 0
        }
        return of(address, frame.getShort(udp + 2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF);
    }
}
