package io.mcrelay.cli.archfixture;

import io.mcrelay.daemon.SupervisorDaemon;

/**
 * Breaks the room rule of {@code cli} on purpose (a client command reaches the daemon other than through its socket):
 * see ArchRulesTest.
 */
public final class UsesTheDaemon {
    private UsesTheDaemon() {
    }

    public static long use() {
        return SupervisorDaemon.class.getName().length();
    }
}
