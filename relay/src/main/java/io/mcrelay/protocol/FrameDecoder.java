package io.mcrelay.protocol;

import java.util.Arrays;

/**
 * Reassembles length-prefixed frames ({@link Frames}) from a byte stream that arrives in arbitrary pieces.
 * One decoder per connection; not thread-safe. After a {@link CodecException} the stream is unusable and the
 * connection must be closed.
 *
 * <p>Memory follows the bytes that arrived, not the length announced: a frame's buffer starts at most
 * {@link #INITIAL_BUFFER_BYTES_MAX} long and at least doubles as its payload arrives, up to the announced length, so
 * a peer that announces a large frame and sends little of it costs little ({@link #bufferedBytes}).
 */
public final class FrameDecoder {
    /** The largest buffer allocated for a frame before any of its payload has arrived. */
    public static final int INITIAL_BUFFER_BYTES_MAX = 64 * 1024;

    /** Receives each whole frame's payload; the array is the handler's to keep. */
    @FunctionalInterface
    public interface FrameHandler {
        void onFrame(byte[] payload);
    }

    /**
     * Receives the frames of a worker channel, whose length prefix may carry {@link Frames#DESCRIPTOR_FLAG}: each
     * flagged frame is announced as soon as its first byte is consumed (the byte its descriptor rides on), then
     * delivered whole like any frame.
     */
    public interface FlaggedFrameHandler {
        /** A frame announcing a descriptor has begun: its first byte was just consumed. */
        void onDescriptorAnnounced();

        /** A whole frame; {@code carriesDescriptor} as its prefix announced. The array is the handler's to keep. */
        void onFrame(byte[] payload, boolean carriesDescriptor);
    }

    private final int frameBytesMax;
    private final byte[] header = new byte[Frames.HEADER_BYTES];
    private int headerFilled;
    private byte[] payload;
    private int payloadLength;
    private int payloadFilled;
    private boolean payloadFlagged;

    public FrameDecoder(final int frameBytesMax) {
        if (frameBytesMax <= 0) {
            throw new IllegalArgumentException("frameBytesMax must be positive: " + frameBytesMax);
        }
        this.frameBytesMax = frameBytesMax;
    }

    /**
     * Consumes {@code length} bytes, calling {@code handler} once for each frame they complete. A length prefix with
     * {@link Frames#DESCRIPTOR_FLAG} set is a length over the limit here.
     *
     * @return the number of frames completed
     * @throws CodecException on a length that is zero or over the maximum, before buffering its payload
     */
    public int feed(final byte[] bytes, final int offset, final int length, final FrameHandler handler) {
        return feed(bytes, offset, length, handler, null);
    }

    /**
     * Consumes {@code length} bytes of a worker channel, whose prefixes may carry {@link Frames#DESCRIPTOR_FLAG}:
     * announces each flagged frame at its first byte, and delivers each frame the bytes complete.
     *
     * @return the number of frames completed
     * @throws CodecException on a length (flag aside) that is zero or over the maximum, before buffering its payload;
     *                        or whatever {@code handler} throws to end the stream
     */
    public int feedFlagged(final byte[] bytes, final int offset, final int length,
        final FlaggedFrameHandler handler) {
        return feed(bytes, offset, length, null, handler);
    }

    private int feed(final byte[] bytes, final int offset, final int length, final FrameHandler plain,
        final FlaggedFrameHandler flagged) {
        int position = offset;
        final int end = offset + length;
        int frames = 0;
        while (position < end) {
            if (payload == null) {
                final boolean starting = headerFilled == 0;
                final int take = Math.min(Frames.HEADER_BYTES - headerFilled, end - position);
                System.arraycopy(bytes, position, header, headerFilled, take);
                headerFilled += take;
                position += take;
                final boolean announces = flagged != null && (header[0] & 0x80) != 0;
                if (starting && announces) {
                    flagged.onDescriptorAnnounced();
                }
                if (headerFilled == Frames.HEADER_BYTES) {
                    final long frameLength = (header[0] & (announces ? 0x7FL : 0xFFL)) << 24
                        | (header[1] & 0xFF) << 16 | (header[2] & 0xFF) << 8 | (header[3] & 0xFF);
                    Frames.checkLength(frameLength, frameBytesMax);
                    payloadLength = (int) frameLength;
                    payload = new byte[Math.min(payloadLength, INITIAL_BUFFER_BYTES_MAX)];
                    payloadFilled = 0;
                    payloadFlagged = announces;
                    headerFilled = 0;
                }
            } else {
                final int take = Math.min(payloadLength - payloadFilled, end - position);
                if (payloadFilled + take > payload.length) {
                    // Doubling keeps the copies of a large frame to about its own size in all.
                    final long doubled = 2L * payload.length;
                    payload = Arrays.copyOf(payload, (int) Math.min(payloadLength,
                        Math.max(doubled, payloadFilled + (long) take)));
                }
                System.arraycopy(bytes, position, payload, payloadFilled, take);
                payloadFilled += take;
                position += take;
                if (payloadFilled == payloadLength) {
                    assert payload.length == payloadLength;
                    final byte[] complete = payload;
                    payload = null;
                    frames++;
                    if (flagged != null) {
                        flagged.onFrame(complete, payloadFlagged);
                    } else {
                        plain.onFrame(complete);
                    }
                }
            }
        }
        return frames;
    }

    /** Bytes held for the frame in progress (its buffer's size; at most the announced length), 0 between frames. */
    public int bufferedBytes() {
        return payload == null ? 0 : payload.length;
    }

    /** True when a frame has begun but not finished: at EOF this means the peer was cut off mid-frame. */
    public boolean isMidFrame() {
        return headerFilled > 0 || payload != null;
    }

    @Override
    public String toString() {
        return "FrameDecoder{max=" + frameBytesMax + ", header=" + Arrays.toString(header) + "}";
    }
}
