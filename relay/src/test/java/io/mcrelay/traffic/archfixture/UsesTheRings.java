package io.mcrelay.traffic.archfixture;

import io.mcrelay.linux.packet.PacketRxRing;

/**
 * Breaks the room rule of {@code traffic} on purpose (the traffic kit reads the relay's receive rings, a sibling's
 * concern): see ArchRulesTest.
 */
public final class UsesTheRings {
    private UsesTheRings() {
    }

    public static long use() {
        return PacketRxRing.class.getName().length();
    }
}
