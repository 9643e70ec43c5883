package io.mcrelay.rules.archfixture;

import io.mcrelay.seam.Clock;

/**
 * Breaks the room rule of {@code rules} on purpose (the rule model (the bottom floor) refers to a seam): see
 * ArchRulesTest.
 */
public final class UsesTheSeams {
    private UsesTheSeams() {
    }

    public static long use(final Clock clock) {
        return clock.nanoTime();
    }
}
