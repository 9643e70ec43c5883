package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * The traffic kit's payload: what the generator writes, the sink reads back exactly; a changed byte anywhere makes it
 * corrupt (or, in the magic and version, foreign), a packet of another run is foreign, and bad sizes are refused.
 */
class TrafficPayloadTest {
    private static final long RUN = 0x1234_5678_9ABC_DEF0L;

    private static byte[] payload(final int length, final int flow, final long seq) {
        final byte[] bytes = new byte[length];
        TrafficPayload.write(bytes, 0, length, RUN, flow, seq, 42_000_000_000L);
        return bytes;
    }

    @Test
    void whatIsWrittenIsReadBack() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        for (final int length : new int[] {TrafficPayload.BYTES_MIN, 64, 1200, 9000, TrafficPayload.BYTES_MAX}) {
            assertEquals(TrafficPayload.OK, TrafficPayload.parse(payload(length, 7, 99), 0, length, RUN, parsed));
            assertEquals(7, parsed.flow());
            assertEquals(99, parsed.seq());
            assertEquals(RUN, parsed.runId());
            assertEquals(42_000_000_000L, parsed.sentNs());
        }
    }

    @Test
    void aPayloadAtAnOffsetIsReadThere() {
        final byte[] buffer = new byte[200];
        Arrays.fill(buffer, (byte) 0x55);
        TrafficPayload.write(buffer, 30, 100, RUN, 65_535, Long.MAX_VALUE, 1);
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        assertEquals(TrafficPayload.OK, TrafficPayload.parse(buffer, 30, 100, RUN, parsed));
        assertEquals(65_535, parsed.flow());
        assertEquals(Long.MAX_VALUE, parsed.seq());
        assertEquals(0x55, buffer[29] & 0xFF, "nothing written before the payload");
        assertEquals(0x55, buffer[130] & 0xFF, "nor after it");
    }

    @Test
    void everyChangedByteIsCaught() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        final byte[] good = payload(100, 3, 5);
        for (int i = 0; i < good.length; i++) {
            final byte[] bad = good.clone();
            bad[i] ^= 0x01;
            final int status = TrafficPayload.parse(bad, 0, bad.length, RUN, parsed);
            final int expected = i < 5 ? TrafficPayload.FOREIGN : TrafficPayload.CORRUPT;
            assertEquals(expected, status, "byte " + i + " flipped");
        }
    }

    @Test
    void aTruncatedOrExtendedPacketIsCorruptAndATinyOneForeign() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        final byte[] good = payload(100, 3, 5);
        assertEquals(TrafficPayload.CORRUPT, TrafficPayload.parse(good, 0, 99, RUN, parsed));
        assertEquals(TrafficPayload.CORRUPT, TrafficPayload.parse(Arrays.copyOf(good, 101), 0, 101, RUN, parsed));
        assertEquals(TrafficPayload.FOREIGN, TrafficPayload.parse(good, 0, 37, RUN, parsed));
    }

    @Test
    void aPacketOfAnotherRunIsForeignButItsFieldsAreRead() {
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        assertEquals(TrafficPayload.FOREIGN, TrafficPayload.parse(payload(64, 1, 2), 0, 64, RUN + 1, parsed));
        assertEquals(RUN, parsed.runId());
    }

    @Test
    void badSizesAndFlowsAreRefused() {
        final byte[] buffer = new byte[70_000];
        assertThrows(IllegalArgumentException.class, () -> TrafficPayload.write(buffer, 0, 37, RUN, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
            () -> TrafficPayload.write(buffer, 0, TrafficPayload.BYTES_MAX + 1, RUN, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> TrafficPayload.write(buffer, 0, 64, RUN, 65_536, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> TrafficPayload.write(new byte[63], 0, 64, RUN, 0, 0, 0));
    }
}
