package io.mcrelay.seam;

import java.util.List;
import java.util.Objects;

import org.agrona.DirectBuffer;

/**
 * A worker's packet I/O: frames in from its packet sockets, UDP payloads out to its destinations. Production:
 * io_uring over AF_PACKET and UDP sockets (or the epoll fallback); simulation: links with bounded queues, flaps and
 * full buffers.
 *
 * <p>Semantics fixed for the io_uring data path: a received frame is lent only for the duration of the callback;
 * sends are asynchronous and complete later through {@link #pollCompletions}; {@code EAGAIN}/{@code ENOBUFS} and
 * other send failures come back as completions with a negative errno, never as exceptions; the worker calls
 * {@link #submit()} once per duty cycle, and sends become visible to the world only then. Sends to one destination
 * leave in the order they were queued. Nothing here allocates per packet.
 *
 * <p><b>A full socket buffer.</b> An I/O may hold a send that meets a full buffer and send it, in order, once there
 * is room, as a blocking socket would wait; a held send keeps its share of {@link #sendCapacity()}, so the worker
 * reads fewer frames and the rest wait in the receive ring. While some other destination has room it holds a bounded
 * number per blocked buffer (the production backends share one socket, and so one buffer, among the destinations out
 * of one interface with one TTL: half their send slots for one socket, three quarters for all), so one slow output
 * cannot starve the others; a send beyond that completes with {@code -EAGAIN}. When every open destination is
 * blocked, it may hold every slot. The simulated I/O holds none: its bounded egress queue stands for the socket buffer
 * and what the production I/O holds beyond it.
 *
 * <p><b>Inputs while running.</b> An I/O receives from the packet sockets it was given: at launch, and while it runs
 * through {@link #attachInput}, which hands it one more socket (in production its member of an input's fanout group,
 * passed over the worker channel); {@link #releaseInput} gives one back, once the frames that already wait in it are
 * delivered. Counts of an input survive its release ({@link #inputCounts()}).
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
        /** {@code EAGAIN}: the socket's send buffer is full (or the submission queue was). */
        BUFFER_FULL("buffer_full"),
        /**
         * {@code ENOBUFS}: the device's queue is full (a qdisc dropped it). Linux reports it for UDP only to a socket
         * with {@code IP_RECVERR}; without it the send counts as success.
         */
        NO_BUFFER_SPACE("no_buffer_space"),
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
                case EAGAIN -> BUFFER_FULL;
                case ENOBUFS -> NO_BUFFER_SPACE;
                case ENETDOWN, ENETUNREACH, ENXIO, ENODEV -> LINK_DOWN;
                default -> SEND_ERROR;
            };
        }
    }

    /**
     * What one input interface brought to this I/O, cumulative since it opened (DESIGN's {@code inputs[]}):
     * {@code packets} frames the kernel offered to the I/O's socket on it ({@code tp_packets}, which counts the ring's
     * drops too), {@code ringFull} of them dropped by the kernel because the receive ring was full ({@code tp_drops}),
     * {@code stagingFull} dropped after they were read because the I/O's staging area was full. Every other one was
     * delivered to {@link #pollFrames}'s handler or still waits: for an I/O whose queues are empty, {@code packets} =
     * {@code ringFull} + {@code stagingFull} + frames delivered.
     */
    record InputCounts(String interfaceName, long packets, long ringFull, long stagingFull) {
        public InputCounts {
            Objects.requireNonNull(interfaceName, "interfaceName");
            if (packets < 0 || ringFull < 0 || stagingFull < 0 || ringFull + stagingFull > packets) {
                throw new IllegalArgumentException("input counts of " + interfaceName + " do not add up: packets "
                    + packets + ", ring_full " + ringFull + ", staging_full " + stagingFull);
            }
        }
    }

    /** Receives one report from the kernel about a packet already sent (the socket's error queue). */
    @FunctionalInterface
    interface SendErrorHandler {
        /** A packet sent to {@code destination} (a handle {@link #openDestination} gave) met {@code errno} later. */
        void onSendError(int destination, int errno);
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

    /**
     * Starts receiving from {@code socket}, a packet socket on input interface {@code interfaceName} passed to this
     * I/O: in production an {@code AF_PACKET} socket bound to that interface, already a member of the input's fanout
     * group, with its receive ring ({@code TPACKET_V3}, of the geometry the I/O was configured with) for the io_uring
     * backend or without one for the epoll backend; in simulation a member of a simulated fanout group. The I/O takes
     * the handle in every case: from a successful call on it owns the socket and closes it at {@link #releaseInput}
     * or {@link #close()}; a refused handle is closed before the exception is thrown. Frames from the socket arrive
     * through {@link #pollFrames} with the interface index returned here, which {@link #interfaceIndex} reports from
     * now on; {@link #interfacesVersion()} moves. Control path: allocates and makes system calls.
     *
     * @return the index of the interface the socket is bound to
     * @throws IllegalStateException when an input named {@code interfaceName} is attached (or still being released),
     *     or the I/O is closed
     * @throws IllegalArgumentException naming the problem when the handle is not a packet socket this I/O can read
     *     (not a packet socket, not bound to {@code interfaceName}, a ring of another geometry)
     */
    int attachInput(String interfaceName, PassedDescriptor socket);

    /**
     * Gives input {@code interfaceName} back: from now on the I/O stops taking new frames from it once what already
     * waits is delivered. Frames waiting in its socket (its ring, or copied to the I/O's staging area) are still
     * delivered by later {@link #pollFrames} calls; once none is left, the I/O closes the socket and returns true. The
     * worker calls it every cycle until it returns true. Frames the kernel queues on the socket between its last read
     * and its close are lost with it (the fanout group then hashes them to the remaining members). An unknown name,
     * or one already released, returns true: nothing to release. The input's entry in {@link #inputCounts()} stays
     * (cumulative counts never go backwards, and a later {@link #attachInput} of the same name continues them).
     */
    boolean releaseInput(String interfaceName);

    /** Delivers up to {@code limit} received frames; returns how many. */
    int pollFrames(FrameHandler handler, int limit);

    /** Delivers up to {@code limit} send completions; returns how many. */
    int pollCompletions(CompletionHandler handler, int limit);

    /**
     * The counts of every input interface this I/O receives or received from (released inputs included), sorted by
     * name, cumulative since it opened. In
     * production this reads the kernel's {@code PACKET_STATISTICS}, which resets them: only the I/O's owner calls it,
     * at heartbeat pace (it makes a system call per input and allocates).
     */
    List<InputCounts> inputCounts();

    /**
     * Delivers up to {@code limit} reports the kernel queued for packets already sent (with {@code IP_RECVERR}: an
     * ICMP error such as port unreachable for a unicast output, or a local error); returns how many. The packets were
     * counted as sent: a report is counted in the outputs' {@code errors}, never as a drop.
     */
    int pollSendErrors(SendErrorHandler handler, int limit);

    @Override
    void close();
}
