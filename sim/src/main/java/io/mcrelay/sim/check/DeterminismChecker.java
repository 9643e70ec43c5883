package io.mcrelay.sim.check;

import java.util.Optional;
import java.util.function.LongFunction;

/**
 * Determinism: the same seed gives the same run, bit for bit, so two runs of one seed print the same digest. Unlike
 * the other checkers it watches no single run: it runs a seed twice and compares. A core that lets identity-hash order
 * reach what it sends is what it exists to catch.
 */
public final class DeterminismChecker {
    public static final String NAME = "determinism";

    private DeterminismChecker() {
    }

    /**
     * Runs {@code seed} twice through {@code digestOfRun} (a seed's run, to its digest); the failure if the digests
     * differ, empty if they are equal.
     */
    public static Optional<String> check(final long seed, final LongFunction<String> digestOfRun) {
        final String first = digestOfRun.apply(seed);
        final String second = digestOfRun.apply(seed);
        if (first.equals(second)) {
            return Optional.empty();
        }
        return Optional.of(NAME + ": seed " + seed + " gave digest " + first + ", then " + second);
    }
}
