package io.mcrelay.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Frames survive any split of the stream; bad lengths are refused before their payload is buffered; a worker-channel
 * frame flagged as carrying a descriptor is announced at its first byte, wherever the stream is split.
 */
class FrameDecoderTest {
    @Test
    void shouldReassembleFramesSplitAtEveryPosition() {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        final List<byte[]> sent = List.of(new byte[] {1}, "hello".getBytes(), new byte[300]);
        for (final byte[] payload : sent) {
            stream.writeBytes(Frames.frame(payload, 1024));
        }
        final byte[] bytes = stream.toByteArray();
        for (int split = 0; split <= bytes.length; split++) {
            final FrameDecoder decoder = new FrameDecoder(1024);
            final List<byte[]> received = new ArrayList<>();
            decoder.feed(bytes, 0, split, received::add);
            decoder.feed(bytes, split, bytes.length - split, received::add);
            assertEquals(sent.size(), received.size(), "split at " + split);
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), received.get(i));
            }
            assertFalse(decoder.isMidFrame());
        }
    }

    @Test
    void shouldReassembleFramesFedOneByteAtATime() {
        final byte[] bytes = Frames.frame("abc".getBytes(), 16);
        final FrameDecoder decoder = new FrameDecoder(16);
        final List<byte[]> received = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            decoder.feed(bytes, i, 1, received::add);
            assertEquals(i < bytes.length - 1, decoder.isMidFrame());
        }
        assertEquals(1, received.size());
    }

    @Test
    void shouldRefuseAnOversizedLengthBeforeBufferingIt() {
        final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        final byte[] header = {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        final CodecException e = assertThrows(CodecException.class, () -> decoder.feed(header, 0, 4, p -> { }));
        assertEquals("frame length 2147483647 exceeds the limit of 16777216 bytes", e.getMessage());
    }

    /**
     * A peer that announces the largest frame and sends a little of it holds a little: the buffer grows with the
     * bytes that arrived (at most twice them, or the first 64 KiB), and the frame still arrives whole.
     */
    @Test
    void aFramesBufferGrowsWithTheBytesThatArriveNotWithTheLengthAnnounced() {
        final byte[] payload = new byte[Frames.CONTROL_BYTES_MAX];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 13 + 5);
        }
        final byte[] bytes = Frames.frame(payload, Frames.CONTROL_BYTES_MAX);
        final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        final List<byte[]> received = new ArrayList<>();
        assertEquals(0, decoder.bufferedBytes());
        decoder.feed(bytes, 0, Frames.HEADER_BYTES + 10, received::add);
        assertEquals(FrameDecoder.INITIAL_BUFFER_BYTES_MAX, decoder.bufferedBytes(), "announced 16 MiB, sent 10 bytes");
        int position = Frames.HEADER_BYTES + 10;
        while (position < bytes.length) {
            final int chunk = Math.min(100_003, bytes.length - position);
            decoder.feed(bytes, position, chunk, received::add);
            position += chunk;
            final long arrived = position - Frames.HEADER_BYTES;
            if (position < bytes.length) {
                assertTrue(decoder.bufferedBytes() >= arrived && decoder.bufferedBytes() <= 2 * arrived,
                    decoder.bufferedBytes() + " bytes held for " + arrived + " arrived");
            }
        }
        assertEquals(1, received.size());
        assertArrayEquals(payload, received.getFirst());
        assertEquals(0, decoder.bufferedBytes(), "nothing held between frames");
        assertFalse(decoder.isMidFrame());
    }

    @Test
    void shouldRefuseAnEmptyFrame() {
        final FrameDecoder decoder = new FrameDecoder(16);
        assertEquals("frame length 0 is invalid (a frame carries at least one byte)",
            assertThrows(CodecException.class, () -> decoder.feed(new byte[4], 0, 4, p -> { })).getMessage());
    }

    @Test
    void shouldReportAPeerCutOffMidFrame() {
        final byte[] bytes = Frames.frame(new byte[10], 16);
        final FrameDecoder decoder = new FrameDecoder(16);
        decoder.feed(bytes, 0, 7, p -> { });
        assertTrue(decoder.isMidFrame());
    }

    /** A frame whose prefix carries {@link Frames#DESCRIPTOR_FLAG}. */
    private static byte[] flagged(final byte[] payload) {
        final byte[] framed = Frames.frame(payload, 1024);
        framed[0] |= (byte) 0x80;
        return framed;
    }

    @Test
    void aFlaggedFrameIsAnnouncedAtItsFirstByteWhereverTheStreamIsSplit() {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(Frames.frame(new byte[] {1}, 1024));
        stream.writeBytes(flagged("two".getBytes()));
        stream.writeBytes(Frames.frame(new byte[] {3}, 1024));
        final byte[] bytes = stream.toByteArray();
        final int flaggedStart = 5;
        for (int split = 0; split <= bytes.length; split++) {
            final FrameDecoder decoder = new FrameDecoder(1024);
            final List<String> events = new ArrayList<>();
            final FrameDecoder.FlaggedFrameHandler handler = new FrameDecoder.FlaggedFrameHandler() {
                @Override
                public void onDescriptorAnnounced() {
                    events.add("announced");
                }

                @Override
                public void onFrame(final byte[] payload, final boolean carriesDescriptor) {
                    events.add((carriesDescriptor ? "flagged " : "plain ") + payload.length);
                }
            };
            decoder.feedFlagged(bytes, 0, split, handler);
            assertEquals(split > flaggedStart, events.contains("announced"), "announced once its first byte came, split "
                + split);
            decoder.feedFlagged(bytes, split, bytes.length - split, handler);
            assertEquals(List.of("plain 1", "announced", "flagged 3", "plain 1"), events, "split at " + split);
        }
    }

    @Test
    void theControlSocketsDecoderTakesTheFlagForALengthOverTheLimit() {
        final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
        final byte[] bytes = flagged(new byte[] {1});
        assertEquals("frame length 2147483649 exceeds the limit of 16777216 bytes",
            assertThrows(CodecException.class, () -> decoder.feed(bytes, 0, bytes.length, p -> { })).getMessage());
    }

    @Test
    void aFlaggedLengthIsCheckedWithoutItsFlag() {
        final FrameDecoder decoder = new FrameDecoder(16);
        final byte[] header = {(byte) 0x80, 0, 0, 17};
        final FrameDecoder.FlaggedFrameHandler handler = new FrameDecoder.FlaggedFrameHandler() {
            @Override
            public void onDescriptorAnnounced() {
            }

            @Override
            public void onFrame(final byte[] payload, final boolean carriesDescriptor) {
            }
        };
        assertEquals("frame length 17 exceeds the limit of 16 bytes",
            assertThrows(CodecException.class, () -> decoder.feedFlagged(header, 0, 4, handler)).getMessage());
        final byte[] empty = {(byte) 0x80, 0, 0, 0};
        assertThrows(CodecException.class, () -> new FrameDecoder(16).feedFlagged(empty, 0, 4, handler));
    }
}
