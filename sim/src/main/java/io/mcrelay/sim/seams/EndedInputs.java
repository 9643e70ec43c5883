package io.mcrelay.sim.seams;

import io.mcrelay.seam.PacketIo;

/**
 * What the inputs of ended worker incarnations had counted when they ended, over every supervisor life (each life
 * has a launcher of its own; the network outlives them all): the other half of the conservation checker's
 * cross-check against the network. Single-threaded.
 */
public final class EndedInputs {
    private long packets;
    private long ringFull;
    private long stagingFull;

    void add(final PacketIo.InputCounts input) {
        packets += input.packets();
        ringFull += input.ringFull();
        stagingFull += input.stagingFull();
    }

    public long packets() {
        return packets;
    }

    public long ringFull() {
        return ringFull;
    }

    public long stagingFull() {
        return stagingFull;
    }
}
