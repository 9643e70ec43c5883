package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesThreadLocalRandom {
    int draw() { return java.util.concurrent.ThreadLocalRandom.current().nextInt(); }
}
