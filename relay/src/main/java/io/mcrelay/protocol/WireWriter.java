package io.mcrelay.protocol;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

import io.mcrelay.rules.IpAddress;

/**
 * Appends big-endian fields to a growable buffer. The primitive layer of the binary codecs; not thread-safe.
 * Strings are a u16 byte length then UTF-8; addresses a u8 family length (4 or 16) then the bytes; a varint is a
 * non-negative {@code long} in unsigned LEB128 (7 bits a byte, least significant first, the high bit set on every
 * byte but the last: 1 byte up to 127, at most 9 bytes), always in its shortest form.
 */
public final class WireWriter {
    private final MutableDirectBuffer buffer;
    private int position;

    public WireWriter() {
        this(new ExpandableArrayBuffer(256));
    }

    public WireWriter(final MutableDirectBuffer buffer) {
        this.buffer = buffer;
    }

    public MutableDirectBuffer buffer() {
        return buffer;
    }

    public int position() {
        return position;
    }

    /** Forgets what was written, keeping the buffer. */
    public WireWriter reset() {
        position = 0;
        return this;
    }

    /** A copy of the bytes written so far. */
    public byte[] toByteArray() {
        final byte[] out = new byte[position];
        buffer.getBytes(0, out);
        return out;
    }

    public WireWriter u8(final int value) {
        assert value >= 0 && value <= 0xFF : value;
        buffer.putByte(position, (byte) value);
        position += 1;
        return this;
    }

    public WireWriter u16(final int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException("value does not fit in 16 bits: " + value);
        }
        buffer.putShort(position, (short) value, ByteOrder.BIG_ENDIAN);
        position += 2;
        return this;
    }

    public WireWriter i32(final int value) {
        buffer.putInt(position, value, ByteOrder.BIG_ENDIAN);
        position += 4;
        return this;
    }

    public WireWriter i64(final long value) {
        buffer.putLong(position, value, ByteOrder.BIG_ENDIAN);
        position += 8;
        return this;
    }

    /** Appends {@code value} (not negative) as a varint: small counters take one byte. */
    public WireWriter varint(final long value) {
        if (value < 0) {
            throw new IllegalArgumentException("a varint holds a non-negative value, not " + value);
        }
        long rest = value;
        while (rest >= 0x80) {
            buffer.putByte(position++, (byte) (rest & 0x7F | 0x80));
            rest >>>= 7;
        }
        buffer.putByte(position++, (byte) rest);
        return this;
    }

    public WireWriter bool(final boolean value) {
        return u8(value ? 1 : 0);
    }

    public WireWriter bytes(final byte[] value) {
        buffer.putBytes(position, value);
        position += value.length;
        return this;
    }

    public WireWriter string(final String value) {
        final byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        u16(utf8.length);
        return bytes(utf8);
    }

    public WireWriter address(final IpAddress address) {
        final byte[] raw = address.toBytes();
        u8(raw.length);
        return bytes(raw);
    }
}
