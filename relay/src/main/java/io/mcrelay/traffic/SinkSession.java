package io.mcrelay.traffic;

import java.net.Inet4Address;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.mcrelay.linux.sys.UdpReceiver;

/**
 * One {@code mcrelay sink} run on real sockets: opens a {@link UdpReceiver} (a socket per flow, joined to the group),
 * then feeds every datagram to a {@link Sink} until the expected packets arrived, no packet came for the idle
 * timeout, or the caller asks it to stop; then reads each socket's own drop counter, so that a loss in the sink is
 * told apart from a loss in the relay. Waits with {@code poll(2)} in slices of at most {@link #POLL_SLICE_MS}, so a
 * stop request is seen within one slice. Allocates nothing per packet (beyond what the {@link Sink}'s record writes).
 * Not thread-safe: one thread opens, runs and closes it.
 *
 * <p><b>Bursts.</b> The session counts the datagrams it reads from one socket in a row without finding it empty, and
 * reports the largest such streak as {@link Summary#burstMax}: the most packets that were waiting for the sink at
 * once, plus those that arrived while it read them. A sender that spreads its packets out keeps it small; one that
 * emits them in bunches shows the bunch, which an ordinary receiver must hold in its socket buffer. It measures the
 * sink as well as the sender (a sink that stalls lets packets pile up), so compare it between senders measured with
 * the same sink on the same machine.
 *
 * <p><b>Arrival times.</b> What the {@link Sink} is told (and records) as a datagram's arrival is the kernel's receive
 * time ({@link UdpReceiver#arrivalNs()}), not the moment the session read it, so the transit delays it reports show
 * the sender's and the relay's timing, not the sink's; the session's clock only where a datagram carries no time.
 *
 * <p>With a {@link Sink} that has a warm-up run, the burst and the socket drops count from the first packet of the
 * counted run: the drop counters are read then, and what they held is left out.
 */
public final class SinkSession implements AutoCloseable {
    /** The longest single wait, bounding how long a stop request goes unseen. */
    public static final int POLL_SLICE_MS = 100;
    /** Datagrams taken from one socket before the others get a turn, so one busy flow cannot starve the rest. */
    static final int DRAIN_MAX = 64;

    /**
     * What to receive: {@code flows} sockets on ports {@code port .. port + flows - 1}, joined to {@code group} on
     * {@code interfaceName} (from {@code source} only, when not null); a unicast {@code group} joins nothing.
     * {@code receiveBufferBytes} 0 keeps the system default.
     */
    public record Config(String interfaceName, Inet4Address group, Inet4Address source, int port, int flows,
                         int receiveBufferBytes) {
        public Config {
            Objects.requireNonNull(interfaceName, "interfaceName");
            Objects.requireNonNull(group, "group");
        }
    }

    /** Why a run ended. */
    public enum End {
        /** Every expected packet arrived. */
        EXPECTED,
        /** No datagram for the idle timeout. */
        IDLE,
        /** The caller asked it to stop (an interrupt, a signal). */
        STOPPED
    }

    /**
     * A run's counts (see {@link Sink}) and how it ended. {@code socketDrops} is what the sink's own sockets dropped
     * because their queues were full ({@code SO_RXQ_OVFL}, {@code SO_MEMINFO}): packets the relay delivered.
     */
    public record Summary(boolean runLocked, long runId, long received, long lost, long duplicates, long reordered,
                          long corrupt, long foreign, long socketDrops, long expected, End end,
                          int receiveBufferBytes, boolean receiveBufferForced, long burstMax, boolean warmupOnly,
                          Sink.Delay delay) {
        /**
         * True when packets of the counted run arrived, each once, intact, in order, none missing and none dropped by
         * the sink. {@code burstMax} is the largest burst seen (see the class comment); {@code warmupOnly} says that
         * a sink with a warm-up saw no run after it, so that every count is of the warm-up; {@code delay} the
         * transit delays, from the kernel's arrival times (see {@link Sink}).
         */
        public boolean clean() {
            return !warmupOnly && received > 0 && lost == 0 && duplicates == 0 && reordered == 0 && corrupt == 0
                && socketDrops == 0 && (expected < 0 || received >= expected);
        }
    }

    private final UdpReceiver receiver;
    private final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
    /** Per flow: datagrams read in a row since its socket was last found empty. */
    private final long[] streak;
    /** Per flow: the drop counter when the counted run began (0 without a warm-up). */
    private final long[] dropsBefore;
    private long burstMax;

    private SinkSession(final UdpReceiver receiver) {
        this.receiver = receiver;
        streak = new long[receiver.flows()];
        dropsBefore = new long[receiver.flows()];
    }

    /**
     * Opens the sockets; they queue datagrams from now on.
     *
     * @throws IllegalArgumentException for ports, flows or a source that {@link UdpReceiver#open} refuses
     * @throws RuntimeException naming the system call when the kernel refuses (no such interface, port in use...)
     */
    public static SinkSession open(final Config config) {
        return new SinkSession(UdpReceiver.open(config.interfaceName(), config.group(), config.source(),
            config.port(), config.flows(), config.receiveBufferBytes()));
    }

    /** The receive buffer of each socket as the kernel reports it (twice the size asked for). */
    public int receiveBufferBytes() {
        return receiver.receiveBufferBytes();
    }

    /** True if the receive buffer was set with {@code SO_RCVBUFFORCE} (past {@code net.core.rmem_max}). */
    public boolean receiveBufferForced() {
        return receiver.receiveBufferForced();
    }

    /**
     * Receives into {@code sink} (which must count as many flows as this session has) until it is complete, no
     * datagram came for {@code idleTimeoutNs}, or {@code stopRequested} says so (checked between waits and bursts).
     * {@code clockNs} is a monotonic clock in nanoseconds, the one arrival times are recorded in.
     */
    public Summary run(final Sink sink, final long idleTimeoutNs, final BooleanSupplier stopRequested,
                       final LongSupplier clockNs) {
        if (idleTimeoutNs <= 0) {
            throw new IllegalArgumentException("the idle timeout must be positive: " + idleTimeoutNs + " ns");
        }
        if (sink.flows() != receiver.flows()) {
            throw new IllegalArgumentException("the sink counts " + sink.flows() + " flows, the session has "
                + receiver.flows());
        }
        long lastDatagramNs = clockNs.getAsLong();
        End end = End.STOPPED;
        boolean warming = sink.warmingUp();
        // Once here, so that the first call of the run's start (a getsockopt) finds its native call linked already.
        receiver.refreshDrops();
        Arrays.fill(streak, 0);
        burstMax = 0;
        while (!stopRequested.getAsBoolean()) {
            if (sink.complete()) {
                end = End.EXPECTED;
                break;
            }
            final long idleNs = clockNs.getAsLong() - lastDatagramNs;
            if (idleNs >= idleTimeoutNs) {
                end = End.IDLE;
                break;
            }
            final long remainingMs = (idleTimeoutNs - idleNs + 999_999) / 1_000_000;
            if (receiver.poll((int) Math.min(POLL_SLICE_MS, remainingMs)) == 0) {
                continue;
            }
            for (int flow = 0; flow < receiver.flows(); flow++) {
                if (!receiver.isReady(flow)) {
                    continue;
                }
                for (int taken = 0; taken < DRAIN_MAX && !sink.complete(); ) {
                    final int got = receiver.receiveBatch(flow, Math.min(UdpReceiver.BATCH_MAX, DRAIN_MAX - taken));
                    if (got == 0) {
                        streak[flow] = 0;
                        break;
                    }
                    taken += got;
                    lastDatagramNs = clockNs.getAsLong();
                    // Datagrams of the batch past the last expected one are not counted: the run is complete.
                    for (int i = 0; i < got && !sink.complete(); i++) {
                        final int length = receiver.copy(i, buffer);
                        final long arrivalNs = receiver.arrivalNs(i);
                        sink.onDatagram(flow, buffer, 0, length, arrivalNs != 0 ? arrivalNs : lastDatagramNs);
                        // Tested as an inequality: false for every packet of a warm-up and of the counted run alike,
                        // so that the compiled loop meets a new outcome once, at the start of the counted run.
                        if (warming != sink.warmingUp()) {
                            warming = false;
                            startCountedRun(flow);
                        }
                        burstMax = Math.max(burstMax, ++streak[flow]);
                    }
                }
            }
        }
        receiver.refreshDrops();
        long socketDrops = 0;
        for (int flow = 0; flow < receiver.flows(); flow++) {
            socketDrops += receiver.drops(flow) - dropsBefore[flow];
        }
        assert socketDrops >= 0 : "drop counters only grow: " + socketDrops;
        return new Summary(sink.runLocked(), sink.runId(), sink.received(), sink.lost(), sink.duplicates(),
            sink.reordered(), sink.corrupt(), sink.foreign(), socketDrops, sink.expected(), end,
            receiver.receiveBufferBytes(), receiver.receiveBufferForced(), burstMax, warming, sink.delay());
    }

    /**
     * The first packet of the counted run was just read from {@code flow}: from here on, drops and bursts count.
     * Control path, once a run: one {@code getsockopt} per socket.
     */
    private void startCountedRun(final int flow) {
        receiver.refreshDrops();
        for (int i = 0; i < receiver.flows(); i++) {
            dropsBefore[i] = receiver.drops(i);
            streak[i] = 0;
        }
        burstMax = 0;
        assert streak[flow] == 0 : "the opening packet starts the first streak";
    }

    /** Closes the sockets, leaving the group. */
    @Override
    public void close() {
        receiver.close();
    }
}
