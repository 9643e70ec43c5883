package io.mcrelay.record.archfixture;

import io.mcrelay.runtime.SystemClock;

/** Breaks the room rule of {@code record} on purpose (record refers to its sibling runtime): see ArchRulesTest. */
public final class UsesTheSystemClock {
    private UsesTheSystemClock() {
    }

    public static long use() {
        return SystemClock.INSTANCE.nanoTime();
    }
}
