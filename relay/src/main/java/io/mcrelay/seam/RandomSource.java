package io.mcrelay.seam;

/**
 * Seeded randomness: the only randomness the core may use. The same seed gives the same sequence on every JVM.
 *
 * <p>Contract: two sources with the same seed produce the same values; {@link #split(String)} gives a child whose
 * sequence depends only on this source's seed and the name (not on how many values were drawn before), so adding a
 * component or a draw in one place does not shift the randomness of another.
 */
public interface RandomSource {
    /** The seed this source started from, for logs and reproduce commands. */
    long seed();

    long nextLong();

    /** A value in {@code [0, bound)}; {@code bound} must be positive. */
    int nextInt(int bound);

    /** A value in {@code [0, 1)}. */
    double nextDouble();

    /** True with the given probability (0 never, 1 always). */
    default boolean chance(final double probability) {
        return nextDouble() < probability;
    }

    /** An independent child source for the named component. */
    RandomSource split(String name);
}
