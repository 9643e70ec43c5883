package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.protocol.UdpFrameEncoder;

/**
 * The packet parser against a reference encoder: every frame the encoder writes parses back to the fields it was
 * written with, wherever it sits in the buffer and whatever Ethernet padding follows; and any bytes at all either
 * parse or are refused with a reason, never an exception.
 */
class PacketParserProperties {

    @Property(tries = 2000)
    void framesFromTheReferenceEncoderParseBack(
        @ForAll final boolean tagged, @ForAll @IntRange(max = 4095) final int vlanId, @ForAll final int source,
        @ForAll final int group, @ForAll @IntRange(max = 65535) final int sourcePort,
        @ForAll @IntRange(max = 65535) final int destinationPort, @ForAll @IntRange(max = 255) final int ttl,
        @ForAll @Size(max = 1472) final byte[] payload, @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 32) final int padding) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[offset + UdpFrameEncoder.frameLength(payload.length,
            true) + padding]);
        final int length = UdpFrameEncoder.write(buffer, offset, tagged ? vlanId : -1, source, group, sourcePort,
            destinationPort, ttl, payload);
        final PacketParser parser = new PacketParser();
        assertEquals(PacketParser.OK, parser.parse(buffer, offset, length + padding));
        assertEquals(tagged ? vlanId : -1, parser.vlanId());
        assertEquals(source, parser.sourceAddress());
        assertEquals(group, parser.destinationAddress());
        assertEquals(sourcePort, parser.sourcePort());
        assertEquals(destinationPort, parser.destinationPort());
        assertEquals(ttl, parser.ttl());
        assertEquals(payload.length, parser.payloadLength());
        final byte[] parsed = new byte[parser.payloadLength()];
        buffer.getBytes(offset + parser.payloadOffset(), parsed);
        assertArrayEquals(payload, parsed);
    }

    @Property(tries = 5000)
    void anyBytesParseOrAreRefusedWithAReason(@ForAll("frames") final byte[] bytes) {
        final PacketParser parser = new PacketParser();
        final int result = parser.parse(new UnsafeBuffer(bytes), 0, bytes.length);
        assertTrue(result >= PacketParser.OK && result <= PacketParser.MALFORMED);
        if (result == PacketParser.MALFORMED) {
            assertTrue(parser.malformedReason() != PacketParser.REASON_NONE);
        }
        if (result == PacketParser.OK) {
            assertTrue(parser.payloadOffset() >= 42 && parser.payloadOffset() + parser.payloadLength() <= bytes.length);
        }
    }

    /** Random bytes, and real frames with a few bytes changed or cut short: both reach the deep checks. */
    @Provide
    Arbitrary<byte[]> frames() {
        final Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(120);
        final Arbitrary<byte[]> damaged = Arbitraries.integers().between(0, 200).flatMap(payloadLength ->
            Arbitraries.integers().between(0, 1 << 20).tuple3().map(t -> {
                final byte[] payload = new byte[payloadLength];
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payloadLength,
                    true)]);
                final int length = UdpFrameEncoder.write(buffer, 0, t.get1() % 2 == 0 ? -1 : 7, 0x0A000001,
                    0xEF010101, 5000, 5000, 1, payload);
                final byte[] frame = java.util.Arrays.copyOf(buffer.byteArray(), length);
                frame[t.get2() % frame.length] ^= (byte) (1 + t.get3() % 255);
                final int cut = t.get3() % 3 == 0 ? t.get2() % (frame.length + 1) : frame.length;
                return java.util.Arrays.copyOf(frame, cut);
            }));
        return Arbitraries.oneOf(random, damaged);
    }
}
