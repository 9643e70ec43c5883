package io.mcrelay.traffic;

/**
 * When the generator's packets are due, as pure arithmetic: packet {@code k} (counting from 0 over all flows) is due
 * {@code k / rate} seconds after the start, and goes to flow {@code k mod flows} with sequence number
 * {@code k div flows}, so that flows take turns and each flow's sequence numbers count from 0 without gaps. No clock
 * here: the caller passes elapsed time, which keeps the arithmetic testable without timing. Products are split so that
 * nothing overflows for rates up to {@link #RATE_MAX_PPS} and runs of centuries.
 */
public final class SendSchedule {
    /** The highest rate accepted: 100 million packets a second is far beyond what one sender reaches. */
    public static final long RATE_MAX_PPS = 100_000_000;
    private static final long NS_PER_S = 1_000_000_000;

    private SendSchedule() {
    }

    /**
     * How many packets are due {@code elapsedNs} after the start: the first at once, then one every
     * {@code 1 / ratePps} seconds, never more than {@code countMax}.
     */
    public static long dueTotal(final long elapsedNs, final long ratePps, final long countMax) {
        checkRate(ratePps);
        if (elapsedNs < 0) {
            throw new IllegalArgumentException("elapsed time must not be negative: " + elapsedNs);
        }
        final long due = elapsedNs / NS_PER_S * ratePps + elapsedNs % NS_PER_S * ratePps / NS_PER_S + 1;
        return Math.min(due, countMax);
    }

    /** When packet {@code index} (from 0) is due, in ns after the start: the first instant it counts as due. */
    public static long dueAtNs(final long index, final long ratePps) {
        checkRate(ratePps);
        if (index < 0) {
            throw new IllegalArgumentException("packet index must not be negative: " + index);
        }
        // ceil(index * 1e9 / rate), split to stay in range.
        final long remainder = index % ratePps * NS_PER_S;
        return index / ratePps * NS_PER_S + (remainder + ratePps - 1) / ratePps;
    }

    /** How many of the first {@code total} packets go to {@code flow} of {@code flows} (k with k mod flows = flow). */
    public static long dueInFlow(final long total, final int flow, final int flows) {
        if (flows < 1 || flow < 0 || flow >= flows) {
            throw new IllegalArgumentException("flow " + flow + " of " + flows);
        }
        return total <= flow ? 0 : (total - flow - 1) / flows + 1;
    }

    private static void checkRate(final long ratePps) {
        if (ratePps < 1 || ratePps > RATE_MAX_PPS) {
            throw new IllegalArgumentException("rate must be 1 to " + RATE_MAX_PPS + " packets/s, not " + ratePps);
        }
    }
}
