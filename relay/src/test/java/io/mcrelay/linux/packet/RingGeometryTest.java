package io.mcrelay.linux.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RingGeometryTest {
    @Test
    void theDefaultToleratesAtLeast100MsAt200kPacketsPerSecondOfFullFrames() {
        final RingGeometry ring = RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES);
        assertEquals(new RingGeometry(128 << 10, 256, 2), ring);
        assertEquals(1600, RingGeometry.slotBytes(1514), "82 bytes of header, 16-byte aligned");
        final double tolerance = ring.toleranceMillis(200_000, 1514);
        assertTrue(tolerance >= 100, () -> tolerance + " ms");
        assertEquals(512, ring.toleranceMillis(1, 1514), 1e-9, "a slow stream: one block per 2 ms");
        assertEquals("32 MiB per worker and input interface (256 blocks of 128 KiB, handed over within 2 ms): a worker "
            + "may stall 105 ms at 200,000 packets/s of 1,514-byte frames without loss (512 ms at low rates)",
            ring.describe());
    }

    @Test
    void smallRingsKeepTheSmallestBlocksAndLargeOnesTheLargest() {
        assertEquals(new RingGeometry(64 << 10, 16, 2), RingGeometry.forBytes(1 << 20));
        assertEquals(new RingGeometry(64 << 10, 4, 2), RingGeometry.forBytes(RingGeometry.BYTES_MIN));
        assertEquals(new RingGeometry(4 << 20, 256, 2), RingGeometry.forBytes(1L << 30));
        assertEquals(new RingGeometry(64 << 10, 20, 2), RingGeometry.forBytes((1 << 20) + (300 << 10)),
            "rounded down to whole blocks");
    }

    @Test
    void sizesOutsideTheRangeAreRefusedNamingIt() {
        final IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
            () -> RingGeometry.forBytes(4096));
        assertEquals("a receive ring must be 256 KiB to 1 GiB, not 4096 bytes", small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RingGeometry.forBytes((1L << 30) + 1));
    }

    @Test
    void sizesParseWithBinarySuffixes() {
        assertEquals(32L << 20, RingGeometry.parseBytes("32M"));
        assertEquals(32L << 20, RingGeometry.parseBytes("32MiB"));
        assertEquals(512L << 10, RingGeometry.parseBytes("512k"));
        assertEquals(1L << 30, RingGeometry.parseBytes("1G"));
        assertEquals(1_048_576, RingGeometry.parseBytes("1048576"));
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> RingGeometry.parseBytes("lots"));
        assertEquals("'lots' is not a size: give bytes, or a number with K, M or G (e.g. 32M)", bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RingGeometry.parseBytes("-1M"));
    }
}
