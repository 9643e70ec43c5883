package io.mcrelay.seam.archfixture;

import io.mcrelay.protocol.WireWriter;

/**
 * Breaks the room rule of {@code seam} on purpose (a seam refers to the protocol floor above it): see ArchRulesTest.
 */
public final class UsesTheWireFormat {
    private UsesTheWireFormat() {
    }

    public static long use() {
        return new WireWriter().toByteArray().length;
    }
}
