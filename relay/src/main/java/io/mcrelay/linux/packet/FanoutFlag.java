package io.mcrelay.linux.packet;

/**
 * Flags of a {@code PACKET_FANOUT} group, or-ed into the mode ({@code linux/if_packet.h}; the Linux version that
 * brought each flag in brackets). Every member must join with the same flags.
 */
public enum FanoutFlag {
    /** {@code PACKET_FANOUT_FLAG_ROLLOVER} = 0x1000: a full socket's frames go to the next member (3.10). */
    ROLLOVER(0x1000),
    /** {@code PACKET_FANOUT_FLAG_UNIQUEID} = 0x2000: the kernel picks an unused group id (join with id 0) (4.12). */
    UNIQUEID(0x2000),
    /** {@code PACKET_FANOUT_FLAG_DEFRAG} = 0x8000: IPv4 fragments are reassembled before the demux (3.1). */
    DEFRAG(0x8000);

    private final int value;

    FanoutFlag(final int value) {
        this.value = value;
    }

    /** The flag's bit in the 16-bit mode-and-flags half of {@code PACKET_FANOUT}'s argument. */
    public int value() {
        return value;
    }
}
