package io.mcrelay.journal.archfixture;

import io.mcrelay.core.supervisor.Supervisor;

/** Breaks the room rule of {@code journal} on purpose (the journal refers to a core class): see ArchRulesTest. */
public final class UsesTheSupervisor {
    private UsesTheSupervisor() {
    }

    public static long use(final Supervisor supervisor) {
        return supervisor.epoch();
    }
}
