package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.UdpFrameEncoder;

/** Each outcome of the parser on a frame built to produce it. */
class PacketParserTest {
    private final PacketParser parser = new PacketParser();

    private static byte[] frame(final int payloadLength) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payloadLength, false)]);
        UdpFrameEncoder.write(buffer, 0, -1, 0x0A000001, 0xEF010203, 4000, 5000, 16, new byte[payloadLength]);
        return buffer.byteArray();
    }

    private int parse(final byte[] frame) {
        return parser.parse(new UnsafeBuffer(frame), 0, frame.length);
    }

    @Test
    void shouldParseAPlainFrame() {
        assertEquals(PacketParser.OK, parse(frame(100)));
        assertEquals(42, parser.payloadOffset());
        assertEquals(100, parser.payloadLength());
        assertEquals(5000, parser.destinationPort());
    }

    @Test
    void shouldCallNonIpv4OrNonUdpFramesNotUdp() {
        final byte[] arp = frame(10);
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertEquals(PacketParser.NOT_UDP, parse(arp));
        final byte[] tcp = frame(10);
        tcp[23] = 6;
        assertEquals(PacketParser.NOT_UDP, parse(tcp));
    }

    @Test
    void shouldRecogniseFragments() {
        final byte[] first = frame(10);
        first[20] = 0x20; // more fragments
        assertEquals(PacketParser.FRAGMENT, parse(first));
        final byte[] later = frame(10);
        later[20] = 0x00;
        later[21] = 0x10; // offset 16 * 8 bytes
        assertEquals(PacketParser.FRAGMENT, parse(later));
    }

    @Test
    void shouldNameWhatIsMalformed() {
        assertMalformed(new byte[13], PacketParser.REASON_TRUNCATED_ETHERNET);
        final byte[] version = frame(10);
        version[14] = 0x65;
        assertMalformed(version, PacketParser.REASON_BAD_IP_VERSION);
        final byte[] ihl = frame(10);
        ihl[14] = 0x44;
        assertMalformed(ihl, PacketParser.REASON_BAD_IP_HEADER_LENGTH);
        final byte[] total = frame(10);
        total[16] = 0x7F;
        assertMalformed(total, PacketParser.REASON_BAD_IP_TOTAL_LENGTH);
        final byte[] udp = frame(10);
        udp[38] = 0x7F;
        assertMalformed(udp, PacketParser.REASON_BAD_UDP_LENGTH);
        assertEquals("UDP length disagrees with the IPv4 packet",
            PacketParser.describeReason(PacketParser.REASON_BAD_UDP_LENGTH));
    }

    private void assertMalformed(final byte[] frame, final int reason) {
        assertEquals(PacketParser.MALFORMED, parse(frame));
        assertEquals(reason, parser.malformedReason(), PacketParser.describeReason(parser.malformedReason()));
    }
}
