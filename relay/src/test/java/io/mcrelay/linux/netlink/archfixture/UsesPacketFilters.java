package io.mcrelay.linux.netlink.archfixture;

import io.mcrelay.linux.packet.ClassicBpf;

/**
 * Breaks the room rule of {@code linux.netlink} on purpose (netlink refers to its sibling packet): see ArchRulesTest.
 */
public final class UsesPacketFilters {
    private UsesPacketFilters() {
    }

    public static long use() {
        return ClassicBpf.class.getName().length();
    }
}
