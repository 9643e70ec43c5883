package io.mcrelay.linux.packet;

import java.nio.ByteBuffer;

/** Crafted Ethernet frames for the classic-BPF tests: IPv4 (with options and fragments), UDP, and others. */
final class TestFrames {
    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ETH_P_ARP = 0x0806;

    private TestFrames() {
    }

    /** An IPv4/UDP frame from 10.0.0.1 to {@code address}:{@code port} with a 5-word header and 16 bytes of data. */
    static byte[] udp(final int address, final int port) {
        return ipv4(address, 17, 5, 0, false, port, 16);
    }

    /**
     * An IPv4 frame: {@code headerWords} 32-bit words of IPv4 header (5 = 20 bytes, more = options filled with
     * NOPs, less = a malformed header), fragment offset {@code fragmentOffset} (in 8-byte units) and the MF flag,
     * then for UDP a header to {@code port} followed by {@code payloadBytes} bytes, or {@code payloadBytes} bytes
     * for other protocols.
     */
    static byte[] ipv4(final int address, final int protocol, final int headerWords, final int fragmentOffset,
        final boolean moreFragments, final int port, final int payloadBytes) {
        final int headerBytes = Math.max(headerWords, 5) * 4;
        final boolean udpHeader = protocol == 17 && fragmentOffset == 0;
        final int transportBytes = (udpHeader ? 8 : 0) + payloadBytes;
        final ByteBuffer frame = ByteBuffer.allocate(14 + headerBytes + transportBytes);
        frame.put(new byte[] {1, 0, 0x5e, 1, 2, 3, 2, 0, 0, 0, 0, 1}); // destination, source MAC
        frame.putShort((short) ETH_P_IP);
        frame.put((byte) (0x40 | headerWords & 0xF));
        frame.put((byte) 0); // DSCP
        frame.putShort((short) (headerBytes + transportBytes));
        frame.putShort((short) 0x1234); // identification
        frame.putShort((short) ((moreFragments ? 0x2000 : 0) | fragmentOffset & 0x1FFF));
        frame.put((byte) 8); // TTL
        frame.put((byte) protocol);
        frame.putShort((short) 0); // checksum: not checked by the programs
        frame.putInt(0x0A000001); // 10.0.0.1
        frame.putInt(address);
        for (int i = 20; i < headerBytes; i++) {
            frame.put((byte) 1); // IP option NOP
        }
        if (udpHeader) {
            frame.putShort((short) 40000); // source port
            frame.putShort((short) port);
            frame.putShort((short) (8 + payloadBytes));
            frame.putShort((short) 0);
        }
        for (int i = 0; i < payloadBytes; i++) {
            frame.put((byte) (i * 7));
        }
        return frame.array();
    }

    /** A frame of another EtherType with {@code bytes} bytes after the Ethernet header. */
    static byte[] other(final int etherType, final int bytes) {
        final ByteBuffer frame = ByteBuffer.allocate(14 + bytes);
        frame.put(new byte[12]);
        frame.putShort((short) etherType);
        return frame.array();
    }

    /** 239.x.y.z as an int. */
    static int group(final int x, final int y, final int z) {
        return 239 << 24 | (x & 0xFF) << 16 | (y & 0xFF) << 8 | z & 0xFF;
    }
}
