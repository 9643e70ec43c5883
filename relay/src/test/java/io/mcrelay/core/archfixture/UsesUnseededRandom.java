package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesUnseededRandom {
    int draw() { return new java.util.Random().nextInt(); }
}
