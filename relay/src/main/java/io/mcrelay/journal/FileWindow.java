package io.mcrelay.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Little-endian reads through a 1 MiB window of a journal file, with plain positional reads: what the file checks
 * ({@link CycleFileCheck}) and the schema probe ({@link SchemaProbe}) use to look at a file before, or instead of,
 * Chronicle mapping it. Not thread-safe; the channel stays the caller's.
 */
final class FileWindow {
    static final int WINDOW_BYTES = 1 << 20;

    private final FileChannel channel;
    private final long length;
    private final ByteBuffer buffer = ByteBuffer.allocate(WINDOW_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long base = -1;

    FileWindow(final FileChannel channel, final long length) {
        this.channel = channel;
        this.length = length;
    }

    /** The int at {@code position}, which must lie within the file. */
    int intAt(final long position) throws IOException {
        assert position >= 0 && position + 4 <= length : position + " of " + length;
        if (base < 0 || position < base || position + 4 > base + buffer.limit()) {
            fill(position);
        }
        return buffer.getInt((int) (position - base));
    }

    /** The int at {@code position}, or {@link Integer#MIN_VALUE} when it does not lie within the file. */
    int intAtOrMin(final long position) throws IOException {
        return position < 0 || position + 4 > length ? Integer.MIN_VALUE : intAt(position);
    }

    /** {@code count} bytes at {@code position}, in a new array. */
    byte[] bytesAt(final long position, final int count) throws IOException {
        final byte[] bytes = new byte[count];
        read(position, bytes, count);
        return bytes;
    }

    /** Reads {@code count} bytes at {@code position} into {@code into}, through the window when they fit in it. */
    void read(final long position, final byte[] into, final int count) throws IOException {
        if (count <= WINDOW_BYTES) {
            if (base < 0 || position < base || position + count > base + buffer.limit()) {
                fill(position);
            }
            if (position + count > base + buffer.limit()) {
                throw new IOException("end of file at " + (base + buffer.limit()));
            }
            buffer.get((int) (position - base), into, 0, count);
            return;
        }
        final ByteBuffer target = ByteBuffer.wrap(into, 0, count);
        while (target.hasRemaining()) {
            if (channel.read(target, position + target.position()) < 0) {
                throw new IOException("end of file at " + (position + target.position()));
            }
        }
    }

    private void fill(final long position) throws IOException {
        buffer.clear();
        buffer.limit((int) Math.max(0, Math.min(WINDOW_BYTES, length - position)));
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("end of file at " + (position + buffer.position()));
            }
        }
        buffer.flip();
        base = position;
    }
}
