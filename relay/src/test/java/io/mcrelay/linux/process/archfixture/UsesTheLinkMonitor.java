package io.mcrelay.linux.process.archfixture;

import io.mcrelay.linux.netlink.NetlinkLinkMonitor;

/**
 * Breaks the room rule of {@code linux.process} on purpose (worker processes refer to their sibling netlink): see
 * ArchRulesTest.
 */
public final class UsesTheLinkMonitor {
    private UsesTheLinkMonitor() {
    }

    public static long use() {
        return NetlinkLinkMonitor.class.getName().length();
    }
}
