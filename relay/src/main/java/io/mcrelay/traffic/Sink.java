package io.mcrelay.traffic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * What {@code mcrelay sink} counts: it parses each datagram with {@link TrafficPayload#parse} and sorts it into one
 * of received (intact, of this run and flow, first arrival), duplicate, reordered (also received: it came after a
 * higher sequence number of its flow), corrupt, or foreign.
 *
 * <p><b>The run.</b> A sink locks on the run id of the first intact traffic-kit packet it meets; from then on an
 * intact packet of another run counts as foreign, as does anything that is not a traffic-kit packet. A packet of this
 * run that arrives on another flow's socket (its payload names another flow: the relay leaked it) is foreign there
 * too, and is recorded with its own flow, so that {@link HistoryChecker} reports the leak.
 *
 * <p><b>Lost.</b> With an expected count N: N minus the unique intact packets. Without one: the gaps below each
 * flow's highest sequence number, since sequence numbers start at 0 (so a loss at the tail of a flow is not seen; a
 * flow that sent nothing is not seen at all). Duplicates are told apart by sequence number per flow, for sequence
 * numbers below {@link #SEQ_TRACKED_MAX} (a bitmap per flow, grown by doubling: no allocation per packet once grown).
 *
 * <p><b>Warm-up.</b> A sink made with {@code warmup} treats the first run it locks on as a warm-up (it lets the
 * receiver's JIT compile its loop, and a relay under test warm up, before anything is counted): it takes that run's
 * packets through the same code as a counted run's, and when an intact packet of another run arrives, it forgets
 * everything and locks on that run. Until then it is {@link #warmingUp()}, never {@link #complete()}, and records
 * nothing.
 *
 * <p><b>A named run.</b> A sink made for one run id counts that run only: every other run is foreign, and until the
 * named run's first packet it is {@link #warmingUp()} as above (nothing kept, nothing recorded, never complete), so
 * that a warm-up run, or stragglers of an earlier run, can precede it without being mistaken for it. Those runs'
 * packets take the counted run's code path meanwhile, as a warm-up's do: when the named run starts, the code that
 * counts it is compiled already, instead of being compiled then on the CPU the sink shares.
 *
 * <p><b>Transit delay.</b> For each unique intact packet of the counted run, the sink records how long it took from
 * the generator's send time in its payload to its arrival time as given ({@link SinkSession} gives the kernel's receive
 * time, so the sink's own speed does not count): {@link #delay()}. Both must be read from one clock
 * ({@link System#nanoTime()}: generator and sink on one machine). A relay that stalls and then sends what it held all
 * at once shows it here: the held packets' delay grows by the stall; a burst of {@code rate x stall} packets follows.
 *
 * <p>Each datagram is also written to {@code record}, when there is one, as a {@link HistoryFile} {@code R} line with
 * the arrival flow (that line's text is the only allocation per packet). Not thread-safe: one receiving thread.
 */
public final class Sink {
    /** Sequence numbers at or above this are counted but not checked for duplicates: 2^28 bits = 32 MiB a flow. */
    public static final long SEQ_TRACKED_MAX = 1L << 28;
    /** The longest transit delay told apart, in microseconds (60 s); longer ones count as this. */
    public static final long DELAY_US_MAX = 60_000_000L;

    private final int flows;
    private final long expected;
    private final Writer record;
    private final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
    private final long[] highestSeq;
    private final long[] uniqueCount;
    private final long[][] seen;
    private boolean warmingUp;
    private final boolean runNamed;
    /** The named run's id; meaningful only when {@link #runNamed}. */
    private final long namedRunId;
    private boolean runLocked;
    private long runId;
    private long received;
    private long duplicates;
    private long reordered;
    private long corrupt;
    private long foreign;
    /** Transit delays in microseconds, 1 µs to 60 s, 2 significant digits; recording allocates nothing. */
    private final Histogram delaysUs = new Histogram(1, DELAY_US_MAX, 2);

    /**
     * @param flows    the sockets, flow 0 to {@code flows - 1}
     * @param expected the packets expected in all (the run is complete when as many unique ones arrived), or -1
     * @param record   where to write the run's {@code R} lines (after a header it writes now), or null
     */
    public Sink(final int flows, final long expected, final Writer record) {
        this(flows, expected, record, false);
    }

    /**
     * @param flows    the sockets, flow 0 to {@code flows - 1}
     * @param expected the packets expected in the counted run (complete when as many unique ones arrived), or -1
     * @param record   where to write the counted run's {@code R} lines (after a header it writes now), or null
     * @param warmup   whether the first run is a warm-up, checked and then forgotten (see the class comment)
     */
    public Sink(final int flows, final long expected, final Writer record, final boolean warmup) {
        this(flows, expected, record, warmup, null);
    }

    /**
     * As above; with {@code namedRunId} not null, the sink counts that run only (see the class comment), and
     * {@code warmup} changes nothing.
     */
    public Sink(final int flows, final long expected, final Writer record, final boolean warmup,
                final Long namedRunId) {
        if (flows < 1 || flows > 0x1_0000) {
            throw new IllegalArgumentException("flows must be 1 to 65536, not " + flows);
        }
        if (expected < -1 || expected == 0) {
            throw new IllegalArgumentException("expected packets must be positive, or -1 for none: " + expected);
        }
        this.flows = flows;
        this.expected = expected;
        this.record = record;
        this.runNamed = namedRunId != null;
        this.namedRunId = runNamed ? namedRunId : 0;
        this.warmingUp = warmup || runNamed;
        if (runNamed) {
            runLocked = true;
            runId = namedRunId;
        }
        highestSeq = new long[flows];
        Arrays.fill(highestSeq, -1);
        uniqueCount = new long[flows];
        seen = new long[flows][];
        Arrays.fill(seen, new long[0]);
        if (record != null) {
            try {
                HistoryFile.writeHeader(record);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot write the run record", e);
            }
        }
    }

    /**
     * Counts one datagram of {@code length} bytes at {@code offset} that arrived on flow {@code arrivedFlow}'s socket
     * at {@code receivedNs}; returns its {@link TrafficPayload} status as judged (FOREIGN for a leaked packet).
     */
    public int onDatagram(final int arrivedFlow, final byte[] buffer, final int offset, final int length,
                          final long receivedNs) {
        Objects.checkIndex(arrivedFlow, flows);
        int status = TrafficPayload.parse(buffer, offset, length, runId, parsed);
        if (warmingUp || !runLocked) {
            status = beforeCountedRun(buffer, offset, length, status);
        }
        record(arrivedFlow, receivedNs, status);
        switch (status) {
            case TrafficPayload.OK -> {
                if (parsed.flow() != arrivedFlow) {
                    foreign++;
                    return TrafficPayload.FOREIGN;
                }
                // A warm-up's packets take this path too, so that it is compiled when the counted run starts; what
                // they leave here is forgotten then.
                if (countIntact(arrivedFlow, parsed.seq())) {
                    delaysUs.recordValue(Math.clamp((receivedNs - parsed.sentNs()) / 1_000, 1, DELAY_US_MAX));
                }
            }
            case TrafficPayload.CORRUPT -> corrupt++;
            default -> foreign++;
        }
        return status;
    }

    /**
     * Before the counted run (or before any run is locked on): finds the run of the packet just parsed with
     * {@code status}, locks on it, follows a warm-up, and starts the counted run at its first packet; returns the
     * packet's status as judged then.
     */
    private int beforeCountedRun(final byte[] buffer, final int offset, final int length, final int status) {
        int judged = status;
        if (judged == TrafficPayload.FOREIGN) {
            // An intact packet of another run than the current one leaves its run id in parsed; anything else leaves
            // a stale one, which the second parse refuses again.
            judged = TrafficPayload.parse(buffer, offset, length, parsed.runId(), parsed);
        }
        if (judged != TrafficPayload.OK) {
            return judged;
        }
        final long packetRunId = parsed.runId();
        if (runNamed) {
            if (packetRunId == namedRunId) {
                startCountedRun(); // the named run's first packet
            } else {
                // A warm-up, or a straggler of an earlier run: counted as a run is until the named one starts, so that
                // the receiver's code for a counted run is compiled by then, and then forgotten.
                runId = packetRunId;
            }
        } else if (!runLocked) {
            runLocked = true;
            runId = packetRunId;
        } else if (packetRunId != runId) {
            startCountedRun(); // the run after the warm-up
        }
        return judged;
    }

    /** The warm-up run is over: forget its counts; the packet in {@code parsed} opens the counted run. */
    private void startCountedRun() {
        assert warmingUp && runLocked && (runNamed ? parsed.runId() == namedRunId : parsed.runId() != runId)
            : "a counted run starts once, after the warm-up";
        warmingUp = false;
        runId = parsed.runId();
        received = 0;
        duplicates = 0;
        reordered = 0;
        corrupt = 0;
        foreign = 0;
        delaysUs.reset();
        Arrays.fill(highestSeq, -1);
        Arrays.fill(uniqueCount, 0);
        for (final long[] bits : seen) {
            Arrays.fill(bits, 0); // kept, not freed: the counted run needs as many
        }
        assert received == 0 && highestSeq[0] == -1 && uniqueCount[0] == 0 : "nothing of the warm-up is left";
    }

    /** Counts an intact packet; returns true if it was its first arrival (not a duplicate). */
    private boolean countIntact(final int flow, final long seq) {
        if (seq >= 0 && seq < SEQ_TRACKED_MAX) {
            final int word = (int) (seq >>> 6);
            if (word >= seen[flow].length) {
                seen[flow] = Arrays.copyOf(seen[flow], Math.max(word + 1, seen[flow].length * 2));
            }
            final long bit = 1L << seq;
            if ((seen[flow][word] & bit) != 0) {
                duplicates++;
                return false;
            }
            seen[flow][word] |= bit;
        }
        received++;
        uniqueCount[flow]++;
        if (seq < highestSeq[flow]) {
            reordered++;
        } else {
            highestSeq[flow] = seq;
        }
        return true;
    }

    private void record(final int arrivedFlow, final long receivedNs, final int status) {
        if (record == null || warmingUp) {
            return;
        }
        try {
            if (status == TrafficPayload.OK) {
                HistoryFile.writeReceived(record, arrivedFlow, parsed.flow(), parsed.seq(), receivedNs, status);
            } else {
                HistoryFile.writeReceived(record, arrivedFlow, -1, -1, receivedNs, status);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the run record", e);
        }
    }

    /** True when an expected count was given and as many unique intact packets arrived. */
    public boolean complete() {
        // Tested in this order, a warm-up's packets answer as the counted run's do until its end (a warm-up of at
        // least as many packets aside): false at the same test, which leaves the compiled code nothing to relearn.
        return expected > 0 && received >= expected && !warmingUp;
    }

    /** True while a sink made with {@code warmup} has not yet seen the counted run (see the class comment). */
    public boolean warmingUp() {
        return warmingUp;
    }

    /** True once an intact packet named the run. */
    public boolean runLocked() {
        return runLocked;
    }

    /** The run this sink counts (meaningful once {@link #runLocked}; a named run's id from the start). */
    public long runId() {
        return runNamed ? namedRunId : runId;
    }

    /**
     * True while a named run has not started: what a warm-up left in the counts is then another run's, and the
     * accessors below report the named run's (nothing arrived) and count the other runs' packets as foreign.
     */
    private boolean namedRunAwaited() {
        return runNamed && warmingUp;
    }

    /** Unique intact packets of this run on their own flow's socket. */
    public long received() {
        return namedRunAwaited() ? 0 : received;
    }

    /** See the class comment. */
    public long lost() {
        if (expected > 0) {
            return Math.max(0, expected - received());
        }
        if (namedRunAwaited()) {
            return 0;
        }
        long lost = 0;
        for (int flow = 0; flow < flows; flow++) {
            if (highestSeq[flow] >= 0) {
                lost += highestSeq[flow] + 1 - uniqueCount[flow];
            }
        }
        return lost;
    }

    public long duplicates() {
        return namedRunAwaited() ? 0 : duplicates;
    }

    public long reordered() {
        return namedRunAwaited() ? 0 : reordered;
    }

    public long corrupt() {
        return corrupt;
    }

    public long foreign() {
        return namedRunAwaited() ? foreign + received + duplicates : foreign;
    }

    /**
     * The transit delays of the counted run's unique intact packets (see the class comment): their median, 99th and
     * 99.9th percentiles and maximum, in microseconds, to two significant digits (all 0 when none arrived).
     */
    public Delay delay() {
        if (namedRunAwaited()) {
            return new Delay(0, 0, 0, 0, 0);
        }
        return new Delay(delaysUs.getTotalCount(), delaysUs.getValueAtPercentile(50),
            delaysUs.getValueAtPercentile(99), delaysUs.getValueAtPercentile(99.9), delaysUs.getMaxValue());
    }

    /** Transit delay percentiles in microseconds over {@code count} packets; see {@link #delay()}. */
    public record Delay(long count, long p50Us, long p99Us, long p999Us, long maxUs) {
    }

    /** The flows (sockets) this sink counts. */
    public int flows() {
        return flows;
    }

    /** The packets expected in all, or -1. */
    public long expected() {
        return expected;
    }
}
