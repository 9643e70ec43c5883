package io.mcrelay.linux.sys.archfixture;

import io.mcrelay.linux.packet.PacketRxRing;

/**
 * Breaks the room rule of {@code linux.sys} on purpose (the bindings refer to the packet layer above them): see
 * ArchRulesTest.
 */
public final class UsesTheRings {
    private UsesTheRings() {
    }

    public static long use() {
        return PacketRxRing.class.getName().length();
    }
}
