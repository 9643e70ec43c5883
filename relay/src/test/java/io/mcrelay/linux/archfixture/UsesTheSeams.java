package io.mcrelay.linux.archfixture;

import io.mcrelay.seam.PacketIo;

/** Keeps the rule: the Linux layer implements and uses the seams. */
public final class UsesTheSeams {
    private UsesTheSeams() {
    }

    public static int capacityOf(final PacketIo io) {
        return io.sendCapacity();
    }
}
