package io.mcrelay.linux.packet;

/**
 * How a {@code PACKET_FANOUT} group spreads frames over its member sockets ({@code packet(7)}; values from
 * {@code linux/if_packet.h}; the Linux version that brought each mode in brackets). {@code PACKET_FANOUT_EBPF} (7)
 * is left out: it needs {@code bpf(2)}, which {@code kernel.unprivileged_bpf_disabled} keeps from us.
 */
public enum FanoutMode {
    /** {@code PACKET_FANOUT_HASH} = 0: by the kernel's flow hash of the packet (3.1). */
    HASH(0),
    /** {@code PACKET_FANOUT_LB} = 1: round robin (3.1). */
    LB(1),
    /** {@code PACKET_FANOUT_CPU} = 2: by the CPU that received the packet (3.1); on veth, one socket gets all. */
    CPU(2),
    /** {@code PACKET_FANOUT_ROLLOVER} = 3: fill one socket, then the next (3.10). */
    ROLLOVER(3),
    /** {@code PACKET_FANOUT_RND} = 4: at random (3.12). */
    RND(4),
    /** {@code PACKET_FANOUT_QM} = 5: by the receive queue the NIC recorded (3.14). */
    QM(5),
    /** {@code PACKET_FANOUT_CBPF} = 6: by a classic BPF program set with {@code PACKET_FANOUT_DATA} (4.3). */
    CBPF(6);

    private final int value;

    FanoutMode(final int value) {
        this.value = value;
    }

    /** The mode's number in {@code linux/if_packet.h}. */
    public int value() {
        return value;
    }

    /** The mode numbered {@code value}. */
    public static FanoutMode of(final int value) {
        for (final FanoutMode mode : values()) {
            if (mode.value == value) {
                return mode;
            }
        }
        throw new IllegalArgumentException("no fanout mode numbered " + value);
    }
}
