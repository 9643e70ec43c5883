package io.mcrelay.seam.support;

import java.nio.charset.StandardCharsets;

import io.mcrelay.seam.RandomSource;

/**
 * The one {@link RandomSource} implementation, used by production (seeded once at start, the seed logged) and by
 * the simulator (from the run's root seed). SplitMix64 (Steele, Lea, Flood 2014), written out here so that the
 * sequence is fixed by this file, not by a JDK's choice of algorithm. Not thread-safe.
 */
public final class SeededRandom implements RandomSource {
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private final long seed;
    private long state;

    public SeededRandom(final long seed) {
        this.seed = seed;
        this.state = seed;
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    @Override
    public int nextInt(final int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // Lemire's multiply-shift with rejection: unbiased for every bound.
        long product = (nextLong() >>> 32) * bound;
        int low = (int) product;
        if (Integer.compareUnsigned(low, bound) < 0) {
            final int threshold = Integer.remainderUnsigned(-bound, bound);
            while (Integer.compareUnsigned(low, threshold) < 0) {
                product = (nextLong() >>> 32) * bound;
                low = (int) product;
            }
        }
        return (int) (product >>> 32);
    }

    @Override
    public double nextDouble() {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    @Override
    public RandomSource split(final String name) {
        long nameHash = 0xCBF2_9CE4_8422_2325L; // FNV-1a 64 over the UTF-8 name
        for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
            nameHash = (nameHash ^ (b & 0xFF)) * 0x0000_0100_0000_01B3L;
        }
        return new SeededRandom(mix64(seed ^ mix64(nameHash)));
    }

    static long mix64(final long value) {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
