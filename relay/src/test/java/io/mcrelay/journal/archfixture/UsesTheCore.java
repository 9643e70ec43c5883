package io.mcrelay.journal.archfixture;

import io.mcrelay.core.supervisor.Supervisor;

/** Breaks the rule that the journal imports no core class: it refers to {@link Supervisor}. */
public final class UsesTheCore {
    private UsesTheCore() {
    }

    public static long snapshotEveryCommits() {
        return Supervisor.SNAPSHOT_EVERY_COMMITS + 0L * Supervisor.class.getModifiers();
    }
}
