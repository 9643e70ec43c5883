package io.mcrelay.linux.packetio;

import java.util.Objects;

import io.mcrelay.linux.packet.PacketRxRing;

/**
 * An input interface and the {@code TPACKET_V3} ring that receives from it, handed to a backend when it opens (a
 * worker gets its sockets from the supervisor instead, through {@link io.mcrelay.seam.PacketIo#attachInput}).
 */
public record RingInput(String interfaceName, PacketRxRing ring) {
    public RingInput {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(ring, "ring");
    }
}
