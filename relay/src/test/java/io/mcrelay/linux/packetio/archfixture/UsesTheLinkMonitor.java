package io.mcrelay.linux.packetio.archfixture;

import io.mcrelay.linux.netlink.NetlinkLinkMonitor;

/**
 * Breaks the room rule of {@code linux.packetio} on purpose (packet I/O refers to netlink):
 * see ArchRulesTest.
 */
public final class UsesTheLinkMonitor {
    private UsesTheLinkMonitor() {
    }

    public static long use() {
        return NetlinkLinkMonitor.class.getName().length();
    }
}
