package io.mcrelay.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import io.mcrelay.entries.JournalSchema;
import io.mcrelay.seam.Journal;

/**
 * Encodes a journal entry into the bytes of one Chronicle document, and decodes and checks them. Little-endian, after
 * Chronicle's own 4-byte document header:
 * <pre>
 *  0        4        8            16         24           32     36      38        38+s     42+s      42+s+p
 *  +--------+--------+------------+----------+------------+------+-------+---------+--------+---------+
 *  | crc32c | schema | index      | timeNs   | wallMillis | kind | s     | source  | p      | payload |
 *  | u32    | i32    | i64        | i64      | i64        | i32  | u16   | UTF-8   | i32    | bytes   |
 *  +--------+--------+------------+----------+------------+------+-------+---------+--------+---------+
 *  crc32c covers bytes 4 to the end; the document is exactly 42 + s + p bytes
 * </pre>
 * Schema versions 1 and 2 share this envelope (they differ in the payloads of the core's entries,
 * {@link JournalSchema}); the codec writes {@link JournalSchema#VERSION} and reads every version from
 * {@link JournalSchema#OLDEST} on. Every later version keeps the first eight bytes (a CRC-32C of the rest, then the
 * version), so that an entry this code cannot read (checksum good, version newer) is told from a corrupt one.
 *
 * <p>Not thread-safe: each journal and each reader has its own codec, whose buffers it reuses.
 */
final class JournalEntryCodec {

    static final int CRC_OFFSET = 0;
    static final int SCHEMA_OFFSET = 4;
    static final int INDEX_OFFSET = 8;
    static final int TIME_NS_OFFSET = 16;
    static final int WALL_MILLIS_OFFSET = 24;
    static final int KIND_OFFSET = 32;
    static final int SOURCE_LENGTH_OFFSET = 36;
    static final int SOURCE_OFFSET = 38;
    /** The bytes of an entry with an empty source and payload. */
    static final int FIXED_BYTES = SOURCE_OFFSET + 4;
    static final int SOURCE_BYTES_MAX = 0xFFFF;

    private final int documentBytesMax;
    private final CRC32C crc = new CRC32C();
    private byte[] buffer = new byte[256];
    private String lastSource = "";
    private byte[] lastSourceBytes = new byte[0];

    JournalEntryCodec(final int documentBytesMax) {
        assert documentBytesMax > FIXED_BYTES : documentBytesMax;
        this.documentBytesMax = documentBytesMax;
    }

    /** Why a document is not a valid entry. */
    static final class DamagedEntryException extends Exception {
        private static final long serialVersionUID = 1L;

        DamagedEntryException(final String message) {
            super(message, null, false, false);
        }
    }

    /** A whole entry (its checksum holds) of a schema version newer than this code reads: not damage. */
    static final class NewerEntryException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int version;

        NewerEntryException(final int version) {
            super("schema version " + version, null, false, false);
            this.version = version;
        }

        int version() {
            return version;
        }
    }

    /**
     * Encodes {@code entry} with {@code index} into this codec's buffer and returns its length; the bytes are valid
     * until the next call.
     *
     * @throws IllegalArgumentException if the source or the whole entry is larger than a journal entry may be
     */
    int encode(final long index, final Journal.Entry entry) {
        final byte[] source = sourceBytes(entry.source());
        if (source.length > SOURCE_BYTES_MAX) {
            throw new IllegalArgumentException("a journal entry's source has at most " + SOURCE_BYTES_MAX
                + " UTF-8 bytes, this one " + source.length);
        }
        final long length = (long) FIXED_BYTES + source.length + entry.payload().length;
        if (length > documentBytesMax) {
            throw new IllegalArgumentException("a journal entry has at most " + documentBytesMax + " bytes, this one "
                + length + " (a payload of " + entry.payload().length + ")");
        }
        final int size = (int) length;
        if (buffer.length < size) {
            buffer = new byte[Math.max(size, Math.min(documentBytesMax, buffer.length * 2))];
        }
        final ByteBuffer out = ByteBuffer.wrap(buffer, 0, size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(SCHEMA_OFFSET, JournalSchema.VERSION)
            .putLong(INDEX_OFFSET, index)
            .putLong(TIME_NS_OFFSET, entry.timeNs())
            .putLong(WALL_MILLIS_OFFSET, entry.wallMillis())
            .putInt(KIND_OFFSET, entry.kind())
            .putShort(SOURCE_LENGTH_OFFSET, (short) source.length)
            .put(SOURCE_OFFSET, source)
            .putInt(SOURCE_OFFSET + source.length, entry.payload().length)
            .put(FIXED_BYTES + source.length, entry.payload());
        out.putInt(CRC_OFFSET, checksum(buffer, size));
        return size;
    }

    /** The buffer {@link #encode} wrote into, and {@link #decode} reads from. */
    byte[] buffer() {
        return buffer;
    }

    /** A buffer of at least {@code length} bytes for the next {@link #decode}. */
    byte[] bufferFor(final int length) {
        assert length >= 0 && length <= documentBytesMax : length;
        if (buffer.length < length) {
            buffer = new byte[Math.max(length, Math.min(documentBytesMax, buffer.length * 2))];
        }
        return buffer;
    }

    /**
     * Decodes the {@code length} bytes in {@link #buffer()} as the entry with index {@code expectedIndex} (-1: any
     * index), checking the checksum first, then the schema version, then the layout and the index.
     *
     * @throws NewerEntryException   if the entry is whole but of a newer schema version
     * @throws DamagedEntryException if the bytes are not an entry this code or an older one wrote
     */
    Journal.IndexedEntry decode(final int length, final long expectedIndex)
        throws DamagedEntryException, NewerEntryException {
        if (length < FIXED_BYTES) {
            throw new DamagedEntryException("a document of " + length + " bytes, shorter than the " + FIXED_BYTES
                + " bytes of the smallest entry (corrupt)");
        }
        final ByteBuffer in = ByteBuffer.wrap(buffer, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        final int stored = in.getInt(CRC_OFFSET);
        final int computed = checksum(buffer, length);
        if (stored != computed) {
            throw new DamagedEntryException(String.format("checksum mismatch (stored 0x%08x, computed 0x%08x): the "
                + "entry's bytes were changed after it was written (corrupt)", stored, computed));
        }
        // The checksum holds, so these are the bytes someone wrote: a version above ours is a newer writer's entry.
        final int schema = in.getInt(SCHEMA_OFFSET);
        if (schema > JournalSchema.VERSION) {
            throw new NewerEntryException(schema);
        }
        if (!JournalSchema.readable(schema)) {
            throw new DamagedEntryException("unknown schema version " + schema + " (no mcrelay writes it; this one "
                + "reads versions " + JournalSchema.OLDEST + " to " + JournalSchema.VERSION + "): corrupt");
        }
        final int sourceLength = Short.toUnsignedInt(in.getShort(SOURCE_LENGTH_OFFSET));
        if (SOURCE_OFFSET + sourceLength + 4 > length) {
            throw new DamagedEntryException("a source of " + sourceLength + " bytes does not fit in a document of "
                + length + " bytes (corrupt)");
        }
        final int payloadLength = in.getInt(SOURCE_OFFSET + sourceLength);
        if (payloadLength < 0 || (long) FIXED_BYTES + sourceLength + payloadLength != length) {
            throw new DamagedEntryException("a payload of " + payloadLength + " bytes after a source of "
                + sourceLength + " does not fill a document of " + length + " bytes (corrupt)");
        }
        final long index = in.getLong(INDEX_OFFSET);
        if (expectedIndex >= 0 && index != expectedIndex) {
            throw new DamagedEntryException("holds index " + index + " where index " + expectedIndex + " belongs "
                + "(entries are missing or out of place)");
        }
        final String source;
        try {
            source = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(buffer, SOURCE_OFFSET, sourceLength)).toString();
        } catch (final CharacterCodingException e) {
            throw new DamagedEntryException("a source that is not UTF-8 (corrupt)");
        }
        final byte[] payload = new byte[payloadLength];
        System.arraycopy(buffer, FIXED_BYTES + sourceLength, payload, 0, payloadLength);
        return new Journal.IndexedEntry(index, new Journal.Entry(in.getLong(TIME_NS_OFFSET),
            in.getLong(WALL_MILLIS_OFFSET), in.getInt(KIND_OFFSET), source, payload), schema);
    }

    /** The checksum of an entry: CRC-32C of every byte after the checksum itself. */
    int checksum(final byte[] bytes, final int length) {
        crc.reset();
        crc.update(bytes, SCHEMA_OFFSET, length - SCHEMA_OFFSET);
        return (int) crc.getValue();
    }

    /** Sources repeat ({@code supervisor}, {@code worker:2}): the last one's bytes are kept. */
    private byte[] sourceBytes(final String source) {
        if (!source.equals(lastSource)) {
            lastSourceBytes = source.getBytes(StandardCharsets.UTF_8);
            lastSource = source;
        }
        return lastSourceBytes;
    }
}
