package io.mcrelay.cli.archfixture;

/** Breaks the relay-stands-alone rule on purpose: see ArchRulesTest. */
public final class UsesJUnit {
    void check() { org.junit.jupiter.api.Assertions.fail("fixture"); }
}
