package io.mcrelay.core.supervisor.archfixture;

import io.mcrelay.journal.ChronicleJournal;

/**
 * Breaks the room rule of {@code core.supervisor} on purpose (the core refers to the Chronicle journal above it): see
 * ArchRulesTest.
 */
public final class UsesTheChronicleJournal {
    private UsesTheChronicleJournal() {
    }

    public static long use() {
        return ChronicleJournal.class.getName().length();
    }
}
