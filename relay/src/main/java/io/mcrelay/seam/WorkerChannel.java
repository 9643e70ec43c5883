package io.mcrelay.seam;

import org.agrona.DirectBuffer;

/**
 * One end of the supervisor ⇄ worker channel: whole frames (the payloads of {@code WorkerMessageCodec}), in
 * order. Production: a Unix {@code SOCK_STREAM} socket with length-prefixed frames of up to 64 MiB
 * ({@code io.mcrelay.linux.process.StreamWorkerChannel}); simulation: an in-memory pipe with a bounded buffer that the
 * fault layer may delay, drop, duplicate or reorder.
 *
 * <p>Contract: a frame sent is delivered whole, never split or merged, in send order (faults aside); {@link #send}
 * never blocks: when the bounded buffer cannot take the frame it returns {@link SendResult#FULL} and nothing of the
 * frame is queued; after either end closes, sends return {@link SendResult#CLOSED}, the other end still receives
 * the frames sent before the close and then sees {@link #isClosed()} true (EOF). A frame passed to the handler is
 * lent for the duration of the call only.
 */
public interface WorkerChannel extends AutoCloseable {
    /** The outcome of a send. */
    enum SendResult {
        /** Queued for delivery. */
        SENT,
        /** The buffer cannot take the frame now; nothing was queued. Try again later. */
        FULL,
        /** The channel is closed; the frame is dropped. */
        CLOSED
    }

    /** Receives one frame, lent for the duration of the call. */
    @FunctionalInterface
    interface FrameHandler {
        void onFrame(DirectBuffer buffer, int offset, int length);
    }

    /** Offers one frame. Frames larger than {@link #frameBytesMax()} are a programming error. */
    SendResult send(DirectBuffer buffer, int offset, int length);

    /** Delivers up to {@code limit} received frames; returns how many. */
    int poll(FrameHandler handler, int limit);

    /** True once this end was closed, or the peer closed and every frame it sent before was delivered. */
    boolean isClosed();

    /** The largest frame this channel carries. */
    int frameBytesMax();

    /** Closes this end; idempotent. */
    @Override
    void close();
}
