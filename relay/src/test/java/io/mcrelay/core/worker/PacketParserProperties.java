package io.mcrelay.core.worker;

import static io.mcrelay.testing.Generators.booleans;
import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.Arrays;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.testing.Generators;

/**
 * The packet parser against a reference encoder: every frame the encoder writes parses back to the fields it was
 * written with, wherever it sits in the buffer and whatever Ethernet padding follows; and any bytes at all either
 * parse or are refused with a reason, never an exception.
 */
class PacketParserProperties {

    /** What the reference encoder is asked to write, and where. */
    record Frame(boolean tagged, int vlanId, int source, int group, int sourcePort, int destinationPort, int ttl,
                 byte[] payload, int offset, int padding) {
        @Override
        public String toString() {
            return "Frame[tagged=" + tagged + ", vlanId=" + vlanId + ", source=" + source + ", group=" + group
                + ", sourcePort=" + sourcePort + ", destinationPort=" + destinationPort + ", ttl=" + ttl
                + ", payload=" + Arrays.toString(payload) + ", offset=" + offset + ", padding=" + padding + "]";
        }
    }

    @Test
    void framesFromTheReferenceEncoderParseBack() {
        qt().withExamples(2000)
            .forAll(encoderFrames())
            .checkAssert(frame -> {
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[frame.offset()
                    + UdpFrameEncoder.frameLength(frame.payload().length, true) + frame.padding()]);
                final int length = UdpFrameEncoder.write(buffer, frame.offset(), frame.tagged() ? frame.vlanId() : -1,
                    frame.source(), frame.group(), frame.sourcePort(), frame.destinationPort(), frame.ttl(),
                    frame.payload());
                final PacketParser parser = new PacketParser();
                assertEquals(PacketParser.OK, parser.parse(buffer, frame.offset(), length + frame.padding()));
                assertEquals(frame.tagged() ? frame.vlanId() : -1, parser.vlanId());
                assertEquals(frame.source(), parser.sourceAddress());
                assertEquals(frame.group(), parser.destinationAddress());
                assertEquals(frame.sourcePort(), parser.sourcePort());
                assertEquals(frame.destinationPort(), parser.destinationPort());
                assertEquals(frame.ttl(), parser.ttl());
                assertEquals(frame.payload().length, parser.payloadLength());
                final byte[] parsed = new byte[parser.payloadLength()];
                buffer.getBytes(frame.offset() + parser.payloadOffset(), parsed);
                assertArrayEquals(frame.payload(), parsed);
            });
    }

    @Test
    void anyBytesParseOrAreRefusedWithAReason() {
        qt().withExamples(5000)
            .forAll(frames())
            .checkAssert(bytes -> {
                final PacketParser parser = new PacketParser();
                final int result = parser.parse(new UnsafeBuffer(bytes), 0, bytes.length);
                assertTrue(result >= PacketParser.OK && result <= PacketParser.MALFORMED);
                if (result == PacketParser.MALFORMED) {
                    assertTrue(parser.malformedReason() != PacketParser.REASON_NONE);
                }
                if (result == PacketParser.OK) {
                    assertTrue(parser.payloadOffset() >= 42
                        && parser.payloadOffset() + parser.payloadLength() <= bytes.length);
                }
            });
    }

    private static Gen<Frame> encoderFrames() {
        final Gen<Boolean> tagged = booleans();
        final Gen<Integer> vlanIds = ints(0, 4095);
        final Gen<Integer> addresses = ints();
        final Gen<Integer> ports = ints(0, 65535);
        final Gen<Integer> ttls = ints(0, 255);
        final Gen<byte[]> payloads = byteArrays(1472);
        final Gen<Integer> offsets = ints(0, 64);
        final Gen<Integer> paddings = ints(0, 32);
        return in -> new Frame(tagged.generate(in), vlanIds.generate(in), addresses.generate(in),
            addresses.generate(in), ports.generate(in), ports.generate(in), ttls.generate(in), payloads.generate(in),
            offsets.generate(in), paddings.generate(in));
    }

    /** Random bytes, and real frames with a few bytes changed or cut short: both reach the deep checks. */
    private static Gen<byte[]> frames() {
        final Gen<byte[]> random = byteArrays(120);
        final Gen<Integer> draws = ints(0, 1 << 20);
        final Gen<byte[]> damaged = ints(0, 200).zip(draws, draws, draws, (payloadLength, vlanDraw, position, flip) -> {
            final byte[] payload = new byte[payloadLength];
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payloadLength, true)]);
            final int length = UdpFrameEncoder.write(buffer, 0, vlanDraw % 2 == 0 ? -1 : 7, 0x0A000001,
                0xEF010101, 5000, 5000, 1, payload);
            final byte[] frame = Arrays.copyOf(buffer.byteArray(), length);
            frame[position % frame.length] ^= (byte) (1 + flip % 255);
            final int cut = flip % 3 == 0 ? position % (frame.length + 1) : frame.length;
            return Arrays.copyOf(frame, cut);
        });
        return Generators.oneOf(random, damaged.describedAs(Arrays::toString));
    }
}
