package io.mcrelay.cli.archfixture;

/** Breaks the FFM rule on purpose: see ArchRulesTest. */
public final class UsesForeignMemory {
    long size() { return java.lang.foreign.MemorySegment.NULL.byteSize(); }
}
