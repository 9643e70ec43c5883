package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class ReadsSystemClock {
    long now() { return System.nanoTime(); }
}
