package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesInstantNow {
    java.time.Instant now() { return java.time.Instant.now(); }
}
