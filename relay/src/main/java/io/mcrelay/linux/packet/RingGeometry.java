package io.mcrelay.linux.packet;

import java.util.Locale;

/**
 * The shape of a worker's receive ring on one input interface ({@code TPACKET_V3}): {@code blocks} blocks of
 * {@code blockBytes}, a block handed to the worker when full or after {@code retireMillis}. Chosen by its stall
 * tolerance (DESIGN, "Receive rings"): the longest pause of a worker that loses nothing,
 *
 * <pre>
 *   tolerance ≈ min(ring bytes ÷ (packets/s × slot bytes), blocks × retire timeout)
 *   slot bytes = align16(82 + frame bytes)    (the kernel's tpacket3 header, sockaddr_ll and padding)
 * </pre>
 *
 * The second term is the low-rate limit: a block retires half-empty after its timeout, so a slow stream uses a block
 * per timeout whatever its bytes. {@link #forBytes} keeps at least {@link #BLOCKS_TARGET} blocks (so that limit stays
 * above 100 ms) and grows the blocks, not their number, up to {@link #BLOCK_BYTES_MAX}.
 */
public record RingGeometry(int blockBytes, int blocks, int retireMillis) {
    /** The default ring: tolerates at least 100 ms at 200,000 packets/s of 1,514-byte frames. */
    public static final long DEFAULT_BYTES = 32L << 20;
    /** The smallest ring {@link #forBytes} builds: 4 blocks of the smallest size. */
    public static final long BYTES_MIN = 4L * (64 << 10);
    /** The largest: the kernel maps a ring of at most this much per socket here. */
    public static final long BYTES_MAX = 1L << 30;
    /** Blocks {@link #forBytes} aims for. */
    public static final int BLOCKS_TARGET = 256;
    static final int BLOCK_BYTES_MIN = 64 << 10;
    static final int BLOCK_BYTES_MAX = 4 << 20;
    /** How long the kernel holds a block before handing it over half-full. */
    public static final int RETIRE_MILLIS = 2;
    /** The reference load of the tolerance the daemon logs: DESIGN's 200 k packets/s of 1,500-byte packets. */
    public static final long REFERENCE_RATE_PPS = 200_000;
    public static final int REFERENCE_FRAME_BYTES = 1514;

    public RingGeometry {
        if (blockBytes < 4096 || blockBytes % 4096 != 0 || blocks < 1 || (long) blockBytes * blocks > BYTES_MAX
            || retireMillis < 1) {
            throw new IllegalArgumentException("a ring of " + blocks + " blocks of " + blockBytes
                + " bytes retired after " + retireMillis + " ms is not one the kernel takes");
        }
    }

    /**
     * The ring of about {@code ringBytes} (rounded down to whole blocks): blocks of a power of two from 64 KiB to 4 MiB,
     * as large as keeps {@link #BLOCKS_TARGET} of them, then more of the largest.
     *
     * @throws IllegalArgumentException outside {@link #BYTES_MIN} .. {@link #BYTES_MAX}, naming both
     */
    public static RingGeometry forBytes(final long ringBytes) {
        if (ringBytes < BYTES_MIN || ringBytes > BYTES_MAX) {
            throw new IllegalArgumentException("a receive ring must be " + describeBytes(BYTES_MIN) + " to "
                + describeBytes(BYTES_MAX) + ", not " + ringBytes + " bytes");
        }
        int blockBytes = BLOCK_BYTES_MIN;
        while (blockBytes < BLOCK_BYTES_MAX && ringBytes / (blockBytes * 2L) >= BLOCKS_TARGET) {
            blockBytes *= 2;
        }
        return new RingGeometry(blockBytes, (int) (ringBytes / blockBytes), RETIRE_MILLIS);
    }

    /** The ring's bytes. */
    public long bytes() {
        return (long) blockBytes * blocks;
    }

    /** The bytes one frame of {@code frameBytes} (from its Ethernet header on) takes in the ring. */
    public static long slotBytes(final int frameBytes) {
        return (82L + frameBytes + 15) & ~15L;
    }

    /** How long a worker may stall without loss at {@code ratePps} frames of {@code frameBytes}, in milliseconds. */
    public double toleranceMillis(final long ratePps, final int frameBytes) {
        final double byBytes = bytes() * 1000.0 / ((double) ratePps * slotBytes(frameBytes));
        return Math.min(byBytes, (double) blocks * retireMillis);
    }

    /** One line for the daemon's log: the geometry and its tolerance at the reference load and at low rates. */
    public String describe() {
        return String.format(Locale.ROOT, "%s per worker and input interface (%d blocks of %s, handed over within "
                + "%d ms): a worker may stall %.0f ms at %,d packets/s of %,d-byte frames without loss (%d ms at low "
                + "rates)", describeBytes(bytes()), blocks, describeBytes(blockBytes), retireMillis,
            toleranceMillis(REFERENCE_RATE_PPS, REFERENCE_FRAME_BYTES), REFERENCE_RATE_PPS, REFERENCE_FRAME_BYTES,
            (long) blocks * retireMillis);
    }

    /**
     * Parses a size as {@code --ring-size} takes it: bytes, or a number with {@code K}, {@code M} or {@code G}
     * (powers of 1024, optionally followed by {@code iB} or {@code B}).
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    public static long parseBytes(final String text) {
        final String trimmed = text.strip();
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,13})\\s*([kKmMgG]?)(i?[bB])?")
            .matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: give bytes, or a number with K, M or G "
                + "(e.g. 32M)");
        }
        final long number = Long.parseLong(m.group(1));
        final int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return number << shift;
    }

    static String describeBytes(final long bytes) {
        if (bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + " GiB";
        }
        if (bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + " MiB";
        }
        if (bytes % (1L << 10) == 0) {
            return bytes / (1L << 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
