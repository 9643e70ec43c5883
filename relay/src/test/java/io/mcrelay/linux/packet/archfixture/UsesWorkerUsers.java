package io.mcrelay.linux.packet.archfixture;

import io.mcrelay.linux.process.WorkerUser;

/**
 * Breaks the room rule of {@code linux.packet} on purpose (packet I/O refers to its sibling process): see
 * ArchRulesTest.
 */
public final class UsesWorkerUsers {
    private UsesWorkerUsers() {
    }

    public static long use() {
        return WorkerUser.class.getName().length();
    }
}
