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
 */
public final class Frames {
    public static final int HEADER_BYTES = 4;
    /** Largest control frame: 16 MiB, which holds a full table of 65,536 rules as JSON. */
    public static final int CONTROL_BYTES_MAX = 16 * 1024 * 1024;
    /** Largest worker-channel frame: a {@code Sync} of the largest table the limits allow. */
    public static final int WORKER_BYTES_MAX = 64 * 1024 * 1024;

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
