package io.mcrelay.core.worker.archfixture;

import io.mcrelay.core.supervisor.Supervisor;

/**
 * Breaks the room rule of {@code core.worker} on purpose (the worker core refers to the supervisor core): see
 * ArchRulesTest.
 */
public final class UsesTheSupervisor {
    private UsesTheSupervisor() {
    }

    public static long use(final Supervisor supervisor) {
        return supervisor.epoch();
    }
}
