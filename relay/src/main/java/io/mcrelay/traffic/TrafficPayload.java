package io.mcrelay.traffic;

import java.util.zip.CRC32C;

/**
 * The payload of a traffic-kit packet: every packet says which run and flow it belongs to, its sequence number and
 * when it was sent, and carries a checksum over all of it, so a receiver tells a good packet from a corrupt one, and
 * one of its run from a foreign one. Big-endian:
 *
 * <pre>
 *  0  magic "MCRT" (u32)      4  version (u8) = 1    5  reserved (u8) = 0    6  flow (u16)
 *  8  run id (u64)           16  sequence number (u64)                       24  send time, ns (u64)
 * 32  payload length (u16)   34  fill: byte i is (seq + i) mod 256 ...     L-4  CRC-32C of bytes [0, L-4) (u32)
 * </pre>
 *
 * Thread-safe; {@link Parsed} is a reusable holder, so that neither side allocates per packet.
 */
public final class TrafficPayload {
    /** "MCRT". */
    public static final int MAGIC = 0x4D435254;
    public static final int VERSION = 1;
    /** The smallest payload: header and checksum, no fill. */
    public static final int BYTES_MIN = 38;
    /** The largest UDP payload over IPv4. */
    public static final int BYTES_MAX = 65_507;
    private static final int LENGTH_OFFSET = 32;
    private static final int FILL_OFFSET = 34;

    /** {@link Parsed#status}: a packet of the expected run, intact. */
    public static final int OK = 0;
    /** Our format and run, but a byte changed, or the length does not match what was received. */
    public static final int CORRUPT = 1;
    /** Not a traffic-kit packet, a truncated one, or one of another run. */
    public static final int FOREIGN = 2;

    private TrafficPayload() {
    }

    /**
     * Writes one payload of {@code length} bytes at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code length} is outside [{@link #BYTES_MIN}, {@link #BYTES_MAX}], the
     *     flow outside 0..65535, or the buffer too small
     */
    public static void write(final byte[] buffer, final int offset, final int length, final long runId,
                             final int flow, final long seq, final long sentNs) {
        if (length < BYTES_MIN || length > BYTES_MAX) {
            throw new IllegalArgumentException("a payload is " + BYTES_MIN + " to " + BYTES_MAX + " bytes, not "
                + length);
        }
        if (flow < 0 || flow > 0xFFFF) {
            throw new IllegalArgumentException("flow must be 0 to 65535, not " + flow);
        }
        if (offset < 0 || offset + length > buffer.length) {
            throw new IllegalArgumentException("no room for " + length + " bytes at " + offset);
        }
        putInt(buffer, offset, MAGIC);
        buffer[offset + 4] = (byte) VERSION;
        buffer[offset + 5] = 0;
        putShort(buffer, offset + 6, flow);
        putLong(buffer, offset + 8, runId);
        putLong(buffer, offset + 16, seq);
        putLong(buffer, offset + 24, sentNs);
        putShort(buffer, offset + LENGTH_OFFSET, length);
        for (int i = FILL_OFFSET; i < length - 4; i++) {
            buffer[offset + i] = (byte) (seq + i);
        }
        putInt(buffer, offset + length - 4, checksum(buffer, offset, length - 4));
    }

    /** What {@link #parse} found; reused from packet to packet. */
    public static final class Parsed {
        private int status;
        private int flow;
        private long runId;
        private long seq;
        private long sentNs;

        /** {@link #OK}, {@link #CORRUPT} or {@link #FOREIGN}. */
        public int status() {
            return status;
        }

        /** The flow, valid when the status is {@link #OK}. */
        public int flow() {
            return flow;
        }

        /** The run id the packet names (valid when OK, or FOREIGN for another run's intact packet). */
        public long runId() {
            return runId;
        }

        public long seq() {
            return seq;
        }

        public long sentNs() {
            return sentNs;
        }
    }

    /**
     * Reads the payload of {@code length} bytes at {@code offset} into {@code into} and returns its status: a packet
     * of another run, or that is no traffic-kit packet at all, is {@link #FOREIGN}; one of our format whose checksum
     * or length does not match is {@link #CORRUPT}. Never throws on any bytes.
     */
    public static int parse(final byte[] buffer, final int offset, final int length, final long expectedRunId,
                            final Parsed into) {
        into.status = FOREIGN;
        if (length < BYTES_MIN || getInt(buffer, offset) != MAGIC || buffer[offset + 4] != VERSION) {
            return into.status;
        }
        final int claimed = getShort(buffer, offset + LENGTH_OFFSET);
        if (claimed != length || getInt(buffer, offset + length - 4) != checksum(buffer, offset, length - 4)) {
            into.status = CORRUPT;
            return into.status;
        }
        into.flow = getShort(buffer, offset + 6);
        into.runId = getLong(buffer, offset + 8);
        into.seq = getLong(buffer, offset + 16);
        into.sentNs = getLong(buffer, offset + 24);
        into.status = into.runId == expectedRunId ? OK : FOREIGN;
        return into.status;
    }

    // One checksum engine per thread, reset for each packet: neither sender nor receiver allocates per packet.
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private static int checksum(final byte[] buffer, final int offset, final int length) {
        final CRC32C crc = CRC.get();
        crc.reset();
        crc.update(buffer, offset, length);
        return (int) crc.getValue();
    }

    private static void putShort(final byte[] b, final int at, final int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    private static void putInt(final byte[] b, final int at, final int value) {
        putShort(b, at, value >>> 16);
        putShort(b, at + 2, value);
    }

    private static void putLong(final byte[] b, final int at, final long value) {
        putInt(b, at, (int) (value >>> 32));
        putInt(b, at + 4, (int) value);
    }

    private static int getShort(final byte[] b, final int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static int getInt(final byte[] b, final int at) {
        return getShort(b, at) << 16 | getShort(b, at + 2);
    }

    private static long getLong(final byte[] b, final int at) {
        return (long) getInt(b, at) << 32 | getInt(b, at + 4) & 0xFFFF_FFFFL;
    }
}
