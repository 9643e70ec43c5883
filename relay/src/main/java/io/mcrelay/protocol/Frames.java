package io.mcrelay.protocol;

/**
 * Length-prefixed framing shared by the control socket and the worker channel.
 *
 * <pre>
 *  +--------------------+---------------------------+
 *  | u32 length (BE)    | payload (length bytes)    |
 *  +--------------------+---------------------------+
 * </pre>
 * A length of 0 or above the channel's maximum is a protocol error: the connection is closed with a message that
 * names the length, before any of the payload is buffered.
 *
 * <p>On the worker channel, bit 31 of the length ({@link #DESCRIPTOR_FLAG}) says that the frame carries one
 * descriptor, passed with {@code SCM_RIGHTS} on the frame's first byte; the length proper is the low 31 bits (at
 * most {@link #WORKER_BYTES_MAX}, so the bit is otherwise always clear). The control socket has no such bit: a
 * length with it set is over the limit.
 */
public final class Frames {
    public static final int HEADER_BYTES = 4;
    /** Largest control frame: 16 MiB, which holds a full table of 65,536 rules as JSON. */
    public static final int CONTROL_BYTES_MAX = 16 * 1024 * 1024;
    /** Largest worker-channel frame: a {@code Sync} of the largest table the limits allow. */
    public static final int WORKER_BYTES_MAX = 64 * 1024 * 1024;
    /** Bit 31 of a worker-channel length prefix: the frame carries one descriptor. */
    public static final int DESCRIPTOR_FLAG = 0x8000_0000;

    private Frames() {
    }

    /** The payload with its length prefix, as one array. */
    public static byte[] frame(final byte[] payload, final int bytesMax) {
        checkLength(payload.length, bytesMax);
        final byte[] out = new byte[HEADER_BYTES + payload.length];
        out[0] = (byte) (payload.length >>> 24);
        out[1] = (byte) (payload.length >>> 16);
        out[2] = (byte) (payload.length >>> 8);
        out[3] = (byte) payload.length;
        System.arraycopy(payload, 0, out, HEADER_BYTES, payload.length);
        return out;
    }

    /** Refuses a length the channel does not accept. */
    public static void checkLength(final long length, final int bytesMax) {
        if (length <= 0) {
            throw new CodecException("frame length " + length + " is invalid (a frame carries at least one byte)");
        }
        if (length > bytesMax) {
            throw new CodecException("frame length " + length + " exceeds the limit of " + bytesMax + " bytes");
        }
    }
}
