package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class UsesRandomUuid {
    String id() { return java.util.UUID.randomUUID().toString(); }
}
