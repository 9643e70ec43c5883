package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesTheClockSeam {
    long now(final io.mcrelay.seam.Clock clock) { return clock.nanoTime(); }
}
