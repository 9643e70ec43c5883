package io.mcrelay.linux.packetio;

import io.mcrelay.linux.packet.RingGeometry;

/**
 * The sizes of a backend ({@link IoUringPacketIo} or {@link EpollPacketIo}; both read {@code TPACKET_V3} rings in
 * place and send from the same slots): {@code sendSlots} sends in flight at most, each up to {@code slotBytes} of
 * payload (9216 carries a jumbo frame's); {@code stagingBytes} for frames read beyond a poll's limit (a ring block
 * suffices); {@code sendBufferBytes} for each egress socket ({@code SO_SNDBUF}, 0 for the system default);
 * {@code blockBytes} and {@code blocks}: the geometry of the rings {@link io.mcrelay.seam.PacketIo#attachInput}
 * adopts (the supervisor's, {@link WorkerIo.Config}).
 */
public record RingIoConfig(int sendSlots, int slotBytes, int stagingBytes, int sendBufferBytes, int blockBytes,
    int blocks) {
    public static final RingIoConfig DEFAULT = new RingIoConfig(1024, 9216, 1 << 20, 0);

    public RingIoConfig {
        if (stagingBytes < 2048 || stagingBytes > 1 << 30) {
            throw new IllegalArgumentException("staging must be 2048 bytes to 1 GiB, not " + stagingBytes);
        }
        if (blockBytes < 1 || blocks < 1) {
            throw new IllegalArgumentException("ring geometry must be positive: " + blocks + " x " + blockBytes);
        }
    }

    /** Sizes with rings of the default geometry ({@link RingGeometry#DEFAULT_BYTES}). */
    public RingIoConfig(final int sendSlots, final int slotBytes, final int stagingBytes, final int sendBufferBytes) {
        this(sendSlots, slotBytes, stagingBytes, sendBufferBytes,
            RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES).blockBytes(),
            RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES).blocks());
    }
}
