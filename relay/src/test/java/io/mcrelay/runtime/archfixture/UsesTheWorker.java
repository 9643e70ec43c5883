package io.mcrelay.runtime.archfixture;

import io.mcrelay.core.worker.WorkerAgent;

/** Breaks the room rule of {@code runtime} on purpose (a seam implementation refers to the core): see ArchRulesTest. */
public final class UsesTheWorker {
    private UsesTheWorker() {
    }

    public static long use(final WorkerAgent agent) {
        return agent.epoch();
    }
}
