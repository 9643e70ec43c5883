package io.mcrelay.linux.archfixture;

import io.mcrelay.core.worker.WorkerAgent;

/** Breaks the rule that the Linux layer does not wire the core: it refers to {@link WorkerAgent}. */
public final class WiresTheCore {
    private WiresTheCore() {
    }

    public static long epochOf(final WorkerAgent agent) {
        return agent.epoch();
    }
}
