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
 *
 * <p>Descriptors: a frame may carry one {@link PassedDescriptor} ({@link #send(DirectBuffer, int, int,
 * PassedDescriptor)}), which arrives with that frame and no other, in the frame's place among the plain frames.
 * The sender keeps its own handle whatever the result (the channel passes a duplicate, as {@code SCM_RIGHTS}
 * passes a copy); the receiver takes the one that arrived with {@link #takeDescriptor()} while the frame is being
 * handled, or the channel closes it when the handler returns. Descriptors held by a channel (sent but not yet
 * received, received but not yet delivered) are closed when it closes: none leaks. Production ends the channel with
 * a named protocol error when a frame announces a descriptor that did not come, or one comes unannounced.
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

    /**
     * Offers one frame that carries {@code descriptor} (open, non-null): the peer receives a new handle on the same
     * open file with this frame. Results as {@link #send(DirectBuffer, int, int)}: on {@code FULL} nothing is queued
     * and no descriptor goes; on {@code CLOSED} nothing goes. Whatever the result, the caller still owns
     * {@code descriptor} and closes it when done with it; the channel never closes it.
     */
    SendResult send(DirectBuffer buffer, int offset, int length, PassedDescriptor descriptor);

    /** Delivers up to {@code limit} received frames; returns how many. */
    int poll(FrameHandler handler, int limit);

    /**
     * The descriptor that arrived with the frame being handled, or {@code null} when it carried none (or it was
     * taken already). Only inside {@link FrameHandler#onFrame}, on the channel whose poll is delivering the frame (or
     * a decorator of it); the caller owns the handle from then on. A descriptor not taken by the end of the call is
     * closed by the channel.
     *
     * @throws IllegalStateException outside a {@link FrameHandler#onFrame} call
     */
    PassedDescriptor takeDescriptor();

    /** True once this end was closed, or the peer closed and every frame it sent before was delivered. */
    boolean isClosed();

    /** The largest frame this channel carries. */
    int frameBytesMax();

    /** Closes this end; idempotent. */
    @Override
    void close();
}
