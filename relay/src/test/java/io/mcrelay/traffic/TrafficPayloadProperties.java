package io.mcrelay.traffic;

import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.longs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.quicktheories.QuickTheory.qt;

import org.junit.jupiter.api.Test;

/**
 * Whatever arrives, the sink's parser answers with a status and never throws; a payload of our run with any one bit
 * flipped is never taken for an intact one.
 */
class TrafficPayloadProperties {
    @Test
    void anyBytesParseToAStatus() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        qt().withExamples(3000)
            .forAll(byteArrays(300), longs())
            .checkAssert((bytes, run) -> {
                final int status = TrafficPayload.parse(bytes, 0, bytes.length, run, parsed);
                assertEquals(status, parsed.status());
            });
    }

    @Test
    void oneFlippedBitIsNeverTakenForAnIntactPacket() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        qt().withExamples(2000)
            .forAll(ints(TrafficPayload.BYTES_MIN, 1500), longs(), ints(0, 65_535), ints(0, Integer.MAX_VALUE))
            .checkAssert((length, seq, flow, where) -> {
                final byte[] bytes = new byte[length];
                TrafficPayload.write(bytes, 0, length, 77, flow, seq, seq);
                assertEquals(TrafficPayload.OK, TrafficPayload.parse(bytes, 0, length, 77, parsed));
                final int bit = where % (length * 8);
                bytes[bit / 8] ^= (byte) (1 << (bit % 8));
                assertNotEquals(TrafficPayload.OK, TrafficPayload.parse(bytes, 0, length, 77, parsed));
            });
    }
}
