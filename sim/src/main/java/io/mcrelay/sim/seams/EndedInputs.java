package io.mcrelay.sim.seams;

import io.mcrelay.seam.PacketIo;

/**
 * What the inputs of ended worker incarnations had counted when they ended, over every supervisor life (each life
 * has a launcher of its own; the network outlives them all): the counts each had read (a dead process reads nothing
 * more: what its members counted after its last reading stays with them) and the frames it was lent. The other half
 * of the conservation checker's cross-check against the network. Single-threaded.
 */
public final class EndedInputs {
    private long packets;
    private long ringFull;
    private long stagingFull;
    private long framesDelivered;

    void add(final PacketIo.InputCounts input) {
        packets += input.packets();
        ringFull += input.ringFull();
        stagingFull += input.stagingFull();
    }

    void addFramesDelivered(final long frames) {
        framesDelivered += frames;
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

    /** Frames the ended incarnations' I/Os lent to their workers. */
    public long framesDelivered() {
        return framesDelivered;
    }
}
