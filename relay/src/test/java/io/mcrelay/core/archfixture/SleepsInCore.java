package io.mcrelay.core.archfixture;

/** Breaks (or, for UsesTheClockSeam, keeps) the core rule on purpose: see ArchRulesTest. */
public final class SleepsInCore {
    void pause() throws InterruptedException { Thread.sleep(1); }
}
