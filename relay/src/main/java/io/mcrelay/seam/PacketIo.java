package io.mcrelay.seam;

import org.agrona.DirectBuffer;

/**
 * A worker's packet I/O: frames in from its packet sockets, UDP payloads out to its destinations. Production:
 * io_uring over AF_PACKET and UDP sockets (or the epoll fallback); simulation: links with bounded queues, flaps and
 * full buffers.
 *
 * <p>Semantics fixed for the io_uring data path: a received frame is lent only for the duration of the callback;
 * sends are asynchronous and complete later through {@link #pollCompletions}; {@code EAGAIN}/{@code ENOBUFS} and
 * other send failures come back as completions with a negative errno, never as exceptions; the worker calls
 * {@link #submit()} once per duty cycle, and sends become visible to the world only then. Nothing here allocates per
 * packet.
 */
public interface PacketIo extends AutoCloseable {
    /** errno values that completions carry, from {@code asm-generic/errno-base.h} and {@code errno.h}. */
    int EAGAIN = 11;
    int ENOBUFS = 105;
    int ENETDOWN = 100;
    /** What a send out of an interface that is down or gone completes with on Linux 6.x. */
    int ENETUNREACH = 101;
    int ENXIO = 6;
    int ENODEV = 19;

    /** Why a send failed, as the stats contract counts it. */
    enum SendFailure {
        /** {@code EAGAIN}, {@code ENOBUFS}: the socket buffer or queue is full. */
        BUFFER_FULL("buffer_full"),
        /** {@code ENETDOWN}, {@code ENETUNREACH}, {@code ENXIO}, {@code ENODEV}: the output link is down or gone. */
        LINK_DOWN("link_down"),
        /** Anything else. */
        SEND_ERROR("send_error");

        private final String reason;

        SendFailure(final String reason) {
            this.reason = reason;
        }

        /** The name the stats and traces use. */
        public String reason() {
            return reason;
        }

        /** The class of a send completion's negative {@code result}. */
        public static SendFailure of(final int result) {
            return switch (-result) {
                case EAGAIN, ENOBUFS -> BUFFER_FULL;
                case ENETDOWN, ENETUNREACH, ENXIO, ENODEV -> LINK_DOWN;
                default -> SEND_ERROR;
            };
        }
    }

    /** Returned by {@link #send} when the submission queue is full: the packet was not taken. */
    int SEND_QUEUE_FULL = -1;

    /** Receives one frame: the whole Ethernet frame as received on interface {@code ifIndex}, lent. */
    @FunctionalInterface
    interface FrameHandler {
        void onFrame(int ifIndex, DirectBuffer frame, int offset, int length);
    }

    /** Receives the outcome of one send: bytes sent (≥ 0) or a negative errno. */
    @FunctionalInterface
    interface CompletionHandler {
        void onSendComplete(long userData, int result);
    }

    /**
     * The index of the named interface as this I/O sees it now (the {@code ifIndex} its frames arrive with), or 0
     * when it has no such interface. An interface deleted and re-created gets a new index.
     */
    int interfaceIndex(String interfaceName);

    /**
     * A number that changes whenever any interface index this I/O knows may have changed (an interface created,
     * deleted or re-created, new sockets handed over). A worker compares it every cycle and recompiles its table when
     * it moved, so a re-created interface is forwarded again without waiting for the supervisor.
     */
    long interfacesVersion();

    /**
     * Prepares a destination for sends: a UDP socket out of {@code interfaceName} to {@code group}:{@code port},
     * with {@code ttl} (0 for the default). Returns a handle for {@link #send}; opening the same destination again
     * returns the same handle.
     */
    int openDestination(String interfaceName, byte[] groupAddress, int port, int ttl);

    /** Releases a destination handle; pending sends to it still complete. */
    void closeDestination(int destination);

    /**
     * Queues a send of {@code length} bytes of UDP payload to {@code destination}; the bytes are copied before this
     * returns. Returns 0 when queued (the outcome arrives as a completion with {@code userData}) or
     * {@link #SEND_QUEUE_FULL}.
     */
    int send(int destination, DirectBuffer payload, int offset, int length, long userData);

    /**
     * How many more sends {@link #send} would take right now. A worker reads no more frames in a cycle than it can
     * forward, so a burst waits in the receive ring (where the kernel counts what overflows) instead of being
     * dropped after it was read.
     */
    int sendCapacity();

    /** Hands queued sends and receive requests to the kernel; once per duty cycle. Returns how many were submitted. */
    int submit();

    /** Delivers up to {@code limit} received frames; returns how many. */
    int pollFrames(FrameHandler handler, int limit);

    /** Delivers up to {@code limit} send completions; returns how many. */
    int pollCompletions(CompletionHandler handler, int limit);

    @Override
    void close();
}
