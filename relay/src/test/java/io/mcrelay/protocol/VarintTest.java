package io.mcrelay.protocol;

import static io.mcrelay.testing.Generators.longs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;

import org.junit.jupiter.api.Test;

/**
 * Varints (unsigned LEB128 of a non-negative {@code long}): every value round-trips in at most 9 bytes, small ones in
 * one, and a varint cut off, too long or not in its shortest form is refused naming the field, so that each value
 * has exactly one encoding.
 */
class VarintTest {
    private static long read(final int... bytes) {
        final byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        final WireReader in = WireReader.of(raw);
        final long value = in.varint("counter");
        in.end("varint");
        return value;
    }

    @Test
    void decodeInvertsEncodeInAtMostNineBytes() {
        qt().withExamples(2000).forAll(longs(0, Long.MAX_VALUE)).checkAssert(value -> {
            final byte[] bytes = new WireWriter().varint(value).toByteArray();
            assertEquals(value, WireReader.of(bytes).varint("v"));
            assertEquals(Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7), bytes.length);
        });
    }

    @Test
    void smallValuesTakeOneByteAndTheBoundariesTheirOwn() {
        assertEquals(0, read(0));
        assertEquals(127, read(0x7F));
        assertEquals(128, read(0x80, 0x01));
        assertEquals(1, new WireWriter().varint(127).position());
        assertEquals(2, new WireWriter().varint(128).position());
        assertEquals(9, new WireWriter().varint(Long.MAX_VALUE).position());
        assertEquals(Long.MAX_VALUE, read(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F));
    }

    @Test
    void aVarintCutOffTooLongOrNotShortestIsRefusedNamingTheField() {
        assertEquals("truncated: counter (a varint) is cut off after 1 bytes",
            assertThrows(CodecException.class, () -> read(0x80)).getMessage());
        assertEquals("counter: a varint longer than 9 bytes", assertThrows(CodecException.class,
            () -> read(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01)).getMessage());
        assertEquals("counter: a varint not in its shortest form",
            assertThrows(CodecException.class, () -> read(0x81, 0x00)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WireWriter().varint(-1));
    }
}
