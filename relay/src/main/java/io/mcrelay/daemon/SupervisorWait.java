package io.mcrelay.daemon;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.mcrelay.linux.sys.PollSet;
import io.mcrelay.seam.support.DutyCycleRunner;

/**
 * The supervisor's one wait set: after a cycle that did no work, it sleeps in one {@code poll(2)} on every descriptor
 * whose readability means work (the control socket and its connections, the launcher's listening socket and pending
 * connections, the workers' pidfds and channels, the netlink socket) until one is readable or the earliest deadline
 * falls due (the next timer, or a control connection's timeout), and at most {@link #WAIT_MAX_MS}. So an idle daemon
 * wakes for its timers and its workers' heartbeats only, and a control request is taken the moment it arrives.
 *
 * <p>It does not sleep when events were read already (the next cycle takes them at once), and sleeps at most
 * {@link #BUSY_WAIT_MS} while bytes wait for room in a socket (a worker channel or a control answer: the next cycle
 * writes what fits) or when a source cannot name its descriptors, as the daemon did before it had a wait set. Counts why it woke, for tests and the idle-cost figures. Not thread-safe.
 */
final class SupervisorWait implements DutyCycleRunner.Idle {
    /** The longest sleep: an upper bound on how late a stop request is seen. */
    static final int WAIT_MAX_MS = 1_000;
    /** The sleep while output waits for room, or when a descriptor cannot be watched. */
    static final int BUSY_WAIT_MS = 1;

    /** What the wait set watches for one part of the daemon; the defaults are those of a part without them. */
    interface Source {
        /**
         * Adds the part's descriptors to {@code set}; false when it cannot name them all (the loop must not sleep
         * long on it).
         */
        boolean descriptors(PollSet set);

        /** True when the part has read events the core has not taken yet: no sleep at all. */
        default boolean eventsWaiting() {
            return false;
        }

        /** True when bytes wait for room in one of the part's sockets: a short sleep only. */
        default boolean outputPending() {
            return false;
        }

        /** The part's earliest deadline, or {@link Long#MAX_VALUE}. */
        default long nextDeadlineNs() {
            return Long.MAX_VALUE;
        }
    }

    private final Source[] sources;
    private final LongSupplier clockNs;
    private final BooleanSupplier stopRequested;
    private final PollSet set = new PollSet();
    private long wokenByDescriptor;
    private long wokenByDeadline;
    private long busyWaits;
    private boolean lastByDescriptor;

    SupervisorWait(final LongSupplier clockNs, final BooleanSupplier stopRequested, final Source... sources) {
        this.clockNs = Objects.requireNonNull(clockNs, "clockNs");
        this.stopRequested = Objects.requireNonNull(stopRequested, "stopRequested");
        this.sources = sources.clone();
    }

    @Override
    public void idle(final long nowNs) {
        if (stopRequested.getAsBoolean()) {
            return;
        }
        set.clear();
        boolean watched = true;
        boolean output = false;
        long deadlineNs = Long.MAX_VALUE;
        for (final Source source : sources) {
            if (source.eventsWaiting()) {
                return; // the next cycle takes them at once
            }
            watched &= source.descriptors(set);
            output |= source.outputPending();
            deadlineNs = Math.min(deadlineNs, source.nextDeadlineNs());
        }
        int timeoutMs = timeoutMs(deadlineNs - clockNs.getAsLong());
        if (output || !watched) {
            busyWaits++;
            timeoutMs = Math.min(timeoutMs, BUSY_WAIT_MS);
        }
        lastByDescriptor = set.await(timeoutMs) > 0;
        if (lastByDescriptor) {
            wokenByDescriptor++;
        } else {
            wokenByDeadline++;
        }
    }

    /** Milliseconds until a deadline {@code remainingNs} away, rounded up, within 0 and {@link #WAIT_MAX_MS}. */
    static int timeoutMs(final long remainingNs) {
        if (remainingNs <= 0) {
            return 0;
        }
        final long ms = (remainingNs + 999_999) / 1_000_000;
        return (int) Math.min(ms, WAIT_MAX_MS);
    }

    /** Sleeps that ended because a watched descriptor became readable. */
    long wokenByDescriptor() {
        return wokenByDescriptor;
    }

    /** Sleeps that ended at their deadline (a timer due, a connection timeout, or {@link #WAIT_MAX_MS}). */
    long wokenByDeadline() {
        return wokenByDeadline;
    }

    /** True when the last sleep ended because a watched descriptor became readable. */
    boolean lastWokenByDescriptor() {
        return lastByDescriptor;
    }

    /** Sleeps cut short because output waited for room or a descriptor could not be watched. */
    long busyWaits() {
        return busyWaits;
    }
}
