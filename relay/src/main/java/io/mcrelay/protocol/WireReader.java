package io.mcrelay.protocol;

import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.rules.IpAddress;

/**
 * Reads the fields {@link WireWriter} writes, checking every length against the bytes that are really there:
 * bad input becomes a {@link CodecException} that names the field, never an index error or a huge allocation.
 * Not thread-safe.
 */
public final class WireReader {
    private final DirectBuffer buffer;
    private final int limit;
    private int position;

    public WireReader(final DirectBuffer buffer, final int offset, final int length) {
        if (offset < 0 || length < 0 || offset + length > buffer.capacity()) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside buffer of "
                + buffer.capacity());
        }
        this.buffer = buffer;
        this.position = offset;
        this.limit = offset + length;
    }

    public static WireReader of(final byte[] bytes) {
        return new WireReader(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    public int remaining() {
        return limit - position;
    }

    private void need(final int bytes, final String field) {
        need(bytes, field, "");
    }

    /** {@link #need} for the field named {@code field + suffix}, a name put together only for the error. */
    private void need(final int bytes, final String field, final String suffix) {
        if (bytes > limit - position) {
            throw new CodecException("truncated: " + field + suffix + " needs " + bytes + " bytes, "
                + (limit - position) + " left");
        }
    }

    public int u8(final String field) {
        need(1, field);
        return buffer.getByte(position++) & 0xFF;
    }

    public int u16(final String field) {
        return u16(field, "");
    }

    private int u16(final String field, final String suffix) {
        need(2, field, suffix);
        final int value = buffer.getShort(position, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        position += 2;
        return value;
    }

    public int i32(final String field) {
        return i32(field, "");
    }

    private int i32(final String field, final String suffix) {
        need(4, field, suffix);
        final int value = buffer.getInt(position, ByteOrder.BIG_ENDIAN);
        position += 4;
        return value;
    }

    public long i64(final String field) {
        need(8, field);
        final long value = buffer.getLong(position, ByteOrder.BIG_ENDIAN);
        position += 8;
        return value;
    }

    /** The longest varint: 9 bytes of 7 bits hold every non-negative {@code long}. */
    static final int VARINT_BYTES_MAX = 9;

    /**
     * A varint ({@link WireWriter#varint}); refuses one longer than {@value #VARINT_BYTES_MAX} bytes, one cut off, and
     * one not in its shortest form (a last byte of 0 after others), so that each value has exactly one encoding.
     */
    public long varint(final String field) {
        long value = 0;
        for (int i = 0; i < VARINT_BYTES_MAX; i++) {
            if (position >= limit) {
                throw new CodecException("truncated: " + field + " (a varint) is cut off after " + i + " bytes");
            }
            final int b = buffer.getByte(position++) & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new CodecException(field + ": a varint not in its shortest form");
                }
                return value;
            }
        }
        throw new CodecException(field + ": a varint longer than " + VARINT_BYTES_MAX + " bytes");
    }

    /** A varint count of items that follow, each at least {@code itemBytesMin} long, at most {@code max}. */
    public int varintCount(final String field, final int max, final int itemBytesMin) {
        final long count = varint(field + " count");
        if (count > max) {
            throw new CodecException(field + ": " + count + " items, at most " + max + " allowed");
        }
        if (count * itemBytesMin > remaining()) {
            throw new CodecException("truncated: " + field + " claims " + count + " items, only " + remaining()
                + " bytes left");
        }
        return (int) count;
    }

    public boolean bool(final String field) {
        final int value = u8(field);
        if (value > 1) {
            throw new CodecException(field + ": expected 0 or 1, found " + value);
        }
        return value == 1;
    }

    public String string(final String field) {
        final int length = u16(field, " length");
        need(length, field);
        final byte[] utf8 = new byte[length];
        buffer.getBytes(position, utf8);
        position += length;
        if (isAscii(utf8)) {
            // Names, ids and interfaces are ASCII nearly always: such bytes are valid UTF-8 and decode one to one,
            // without a decoder per string (a table of thousands of rules decodes several strings per rule).
            return new String(utf8, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(utf8))
                .toString();
        } catch (final CharacterCodingException e) {
            throw new CodecException(field + ": not valid UTF-8", e);
        }
    }

    private static boolean isAscii(final byte[] bytes) {
        for (final byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    public IpAddress address(final String field) {
        need(1, field, " length");
        final int length = buffer.getByte(position++) & 0xFF;
        if (length != 4 && length != 16) {
            throw new CodecException(field + ": an address has 4 or 16 bytes, found length " + length);
        }
        need(length, field);
        final byte[] raw = new byte[length];
        buffer.getBytes(position, raw);
        position += length;
        return IpAddress.ofBytes(raw);
    }

    /** A count of items that follow, each at least {@code itemBytesMin} long: refuses counts the input cannot hold. */
    public int count(final String field, final int max, final int itemBytesMin) {
        final int count = u16(field, " count");
        if (count > max) {
            throw new CodecException(field + ": " + count + " items, at most " + max + " allowed");
        }
        if ((long) count * itemBytesMin > remaining()) {
            throw new CodecException("truncated: " + field + " claims " + count + " items, only " + remaining()
                + " bytes left");
        }
        return count;
    }

    /** A 32-bit count, for lists that can exceed 65,535 items. */
    public int count32(final String field, final int max, final int itemBytesMin) {
        final int count = i32(field, " count");
        if (count < 0 || count > max) {
            throw new CodecException(field + ": " + Integer.toUnsignedString(count) + " items, at most " + max
                + " allowed");
        }
        if ((long) count * itemBytesMin > remaining()) {
            throw new CodecException("truncated: " + field + " claims " + count + " items, only " + remaining()
                + " bytes left");
        }
        return count;
    }

    /** Checks that every byte was consumed. */
    public void end(final String what) {
        if (position != limit) {
            throw new CodecException(what + ": " + (limit - position) + " unexpected bytes after the end");
        }
    }
}
