package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesSystemClockImplementation {
    long now() { return io.mcrelay.runtime.SystemClock.INSTANCE.nanoTime(); }
}
