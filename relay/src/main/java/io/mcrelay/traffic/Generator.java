package io.mcrelay.traffic;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.mcrelay.linux.sys.Errno;

/**
 * The sending side of {@code mcrelay gen}: sends {@link TrafficPayload} packets over {@code flows} flows at a steady
 * rate, in batches. Packet {@code k} of the run goes to flow {@code k mod flows} with the flow's next sequence number
 * (from 0), due {@code k / rate} seconds after the start ({@link SendSchedule}). Each turn reads the clock, sends
 * everything due, flow by flow, in batches of up to {@link Output#batchMax} messages, then parks until the next packet
 * is due (at most {@link #PARK_MAX_NS}, so that a stop is seen soon): it never spins.
 *
 * <p>A full send buffer ({@code EAGAIN}) or device queue ({@code ENOBUFS}) is counted and the same packets are tried
 * again after {@link #BACKOFF_NS}; the run falls behind and catches up. Any other error is counted and the one packet
 * it hit is given up (its sequence number stays unused: a receiver sees a gap, the record no {@code S} line). Only
 * packets the kernel took are {@link Listener#sent reported}.
 *
 * <p>The clock and the park are injected, so that tests step the generator without real time. Not thread-safe,
 * except {@link #stop} and {@link #sentCount}, which any thread may call while {@link #run} runs.
 */
public final class Generator {
    /** The longest park between turns: a stop or an interrupt is seen within about this long. */
    public static final long PARK_MAX_NS = 10_000_000;
    /** The park after {@code EAGAIN} or {@code ENOBUFS}: time for the socket's or the device's queue to drain. */
    public static final long BACKOFF_NS = 100_000;
    /** The most messages one flow sends in one turn, so that a run that fell far behind still turns and stops. */
    static final int TURN_MESSAGES_MAX = 4096;

    /** Where packets go: one connected socket per flow and one batch of native slots (see {@code UdpFlows}). */
    public interface Output {
        /** The most messages {@link #send} takes at once. */
        int batchMax();

        /** Copies {@code length} bytes of {@code payload} into message {@code index} of the batch. */
        void put(int index, byte[] payload, int length);

        /** Sends messages {@code [0, count)} on {@code flow}'s socket: how many the kernel took, or {@code -errno}. */
        int send(int flow, int count);
    }

    /** Told of each batch the kernel took: {@code count} packets of {@code flow} from {@code firstSeq}. */
    public interface Listener {
        void sent(int flow, long firstSeq, int count, long sentNs);
    }

    /**
     * @param flows     1 to 65536 (the payload's flow is 16 bits)
     * @param countMax  packets to send over all flows, or {@link Long#MAX_VALUE} to run until stopped
     * @param sizeBytes each packet's UDP payload, {@link TrafficPayload#BYTES_MIN} to {@link TrafficPayload#BYTES_MAX}
     * @param ratePps   packets per second over all flows, 1 to {@link SendSchedule#RATE_MAX_PPS}
     * @param runId     written into every payload, so that receivers tell this run from others
     */
    public record Config(int flows, long countMax, int sizeBytes, long ratePps, long runId) {
        public Config {
            if (flows < 1 || flows > 0x1_0000) {
                throw new IllegalArgumentException("flows must be 1 to 65536, not " + flows);
            }
            if (countMax < 1) {
                throw new IllegalArgumentException("count must be at least 1, not " + countMax);
            }
            if (sizeBytes < TrafficPayload.BYTES_MIN || sizeBytes > TrafficPayload.BYTES_MAX) {
                throw new IllegalArgumentException("size must be " + TrafficPayload.BYTES_MIN + " to "
                    + TrafficPayload.BYTES_MAX + " bytes, not " + sizeBytes);
            }
            if (ratePps < 1 || ratePps > SendSchedule.RATE_MAX_PPS) {
                throw new IllegalArgumentException("rate must be 1 to " + SendSchedule.RATE_MAX_PPS
                    + " packets/s, not " + ratePps);
            }
        }
    }

    /**
     * What a run did.
     *
     * @param sent       packets the kernel took
     * @param given      packets given up after an error other than {@code EAGAIN}/{@code ENOBUFS}
     * @param errors     failed sends by errno name ({@code EAGAIN}, {@code ECONNREFUSED}, {@code errno 123}), sorted
     * @param durationNs from the first clock reading to the last
     */
    public record Result(long sent, long given, Map<String, Long> errors, long durationNs) {
        /** Packets per second over the run's duration (0 for a run of no measurable length). */
        public double ratePps() {
            return durationNs <= 0 ? 0 : sent * 1e9 / durationNs;
        }
    }

    private final Config config;
    private final Output output;
    private final Listener listener;
    private final LongSupplier clockNs;
    private final LongConsumer parkNs;
    private final byte[] scratch;
    private final long[] nextSeqByFlow;
    private final TreeMap<String, Long> errors = new TreeMap<>();
    private volatile boolean stopped;
    private volatile long sentCount;
    private long given;

    /**
     * @param clockNs a monotonic clock in ns (the host's {@code CLOCK_MONOTONIC} in production, so that send times
     *     compare with a sink's receive times)
     * @param parkNs  waits about the given ns, or less (an interrupt ends it early)
     */
    public Generator(final Config config, final Output output, final Listener listener, final LongSupplier clockNs,
        final LongConsumer parkNs) {
        this.config = config;
        this.output = output;
        this.listener = listener;
        this.clockNs = clockNs;
        this.parkNs = parkNs;
        if (output.batchMax() < 1) {
            throw new IllegalArgumentException("an output must take at least one message at once");
        }
        scratch = new byte[config.sizeBytes()];
        nextSeqByFlow = new long[config.flows()];
    }

    /** Asks {@link #run} to return after its current turn. */
    public void stop() {
        stopped = true;
    }

    /** Packets sent so far (for progress from another thread). */
    public long sentCount() {
        return sentCount;
    }

    /** Sends until {@link Config#countMax} packets are done (sent or given up), {@link #stop} or an interrupt. */
    public Result run() {
        final long startNs = clockNs.getAsLong();
        long doneCount = 0;
        long nowNs = startNs;
        while (!stopped && !Thread.currentThread().isInterrupted() && doneCount < config.countMax()) {
            nowNs = clockNs.getAsLong();
            final long dueTotal = SendSchedule.dueTotal(nowNs - startNs, config.ratePps(), config.countMax());
            boolean blocked = false;
            boolean capped = false;
            for (int flow = 0; flow < config.flows() && !stopped; flow++) {
                final long dueInFlow = SendSchedule.dueInFlow(dueTotal, flow, config.flows());
                final long targetSeq = Math.min(dueInFlow, nextSeqByFlow[flow] + TURN_MESSAGES_MAX);
                capped |= targetSeq < dueInFlow;
                final long before = nextSeqByFlow[flow];
                blocked |= !sendFlow(flow, targetSeq);
                doneCount += nextSeqByFlow[flow] - before;
            }
            assert doneCount <= dueTotal : "done " + doneCount + " of " + dueTotal + " due";
            if (doneCount >= config.countMax()) {
                break;
            }
            if (blocked) {
                parkNs.accept(BACKOFF_NS);
            } else if (!capped) {
                // Everything due is done: wait for the next packet's time.
                final long waitNs = startNs + SendSchedule.dueAtNs(dueTotal, config.ratePps()) - clockNs.getAsLong();
                if (waitNs > 0) {
                    parkNs.accept(Math.min(waitNs, PARK_MAX_NS));
                }
            }
        }
        final long endNs = clockNs.getAsLong();
        return new Result(sentCount, given, Collections.unmodifiableMap(new TreeMap<>(errors)), endNs - startNs);
    }

    /** Sends {@code flow}'s packets up to {@code targetSeq}; false when a full queue stopped it short. */
    private boolean sendFlow(final int flow, final long targetSeq) {
        while (nextSeqByFlow[flow] < targetSeq) {
            final long firstSeq = nextSeqByFlow[flow];
            final int count = (int) Math.min(output.batchMax(), targetSeq - firstSeq);
            final long sentNs = clockNs.getAsLong();
            for (int i = 0; i < count; i++) {
                TrafficPayload.write(scratch, 0, scratch.length, config.runId(), flow, firstSeq + i, sentNs);
                output.put(i, scratch, scratch.length);
            }
            final int result = output.send(flow, count);
            if (result > 0) {
                assert result <= count : "the kernel took " + result + " of " + count;
                nextSeqByFlow[flow] += result;
                sentCount += result;
                listener.sent(flow, firstSeq, result, sentNs);
                continue;
            }
            final int errno = result == 0 ? Errno.EAGAIN : -result;
            errors.merge(errnoName(errno), 1L, Long::sum);
            if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) {
                return false;
            }
            nextSeqByFlow[flow]++; // the packet this error belongs to is given up; its successors go on
            given++;
        }
        return true;
    }

    /** {@code EAGAIN}, or {@code errno 123} for one {@link Errno} does not name. */
    static String errnoName(final int errno) {
        final String described = Errno.describe(errno);
        final int space = described.indexOf(" (");
        return space < 0 ? described : described.substring(0, space);
    }
}
