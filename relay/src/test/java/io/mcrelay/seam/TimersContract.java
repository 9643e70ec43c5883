package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** What every {@link Timers} guarantees. Time is passed in, so these tests need no clock at all. */
public abstract class TimersContract {
    private static final long START_NS = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    /** New timers whose time starts at {@code startNs}. */
    protected abstract Timers createTimers(long startNs);

    /** Polls until nothing more fires at {@code nowNs}; returns the ids fired in order. */
    private static List<Long> drain(final Timers timers, final long nowNs) {
        final List<Long> fired = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            if (timers.poll(nowNs, (id, now) -> fired.add(id), 100) == 0 && i > 2) {
                break;
            }
        }
        return fired;
    }

    @Test
    void neverFiresBeforeTheDeadline() {
        final Timers timers = createTimers(START_NS);
        final long deadline = START_NS + 50 * MS;
        timers.schedule(deadline);
        for (long now = START_NS; now < deadline; now += MS / 2) {
            assertEquals(List.of(), drain(timers, now), "fired early at " + (now - START_NS) + " ns");
        }
        assertEquals(1, timers.pending());
    }

    @Test
    void firesOnceWhenDueAndOnlyOnce() {
        final Timers timers = createTimers(START_NS);
        final long id = timers.schedule(START_NS + 10 * MS);
        final long late = START_NS + 10 * MS + timers.resolutionNs() + 1;
        assertEquals(List.of(id), drain(timers, late));
        assertEquals(List.of(), drain(timers, late + 100 * MS));
        assertEquals(0, timers.pending());
    }

    @Test
    void cancelledTimersNeverFire() {
        final Timers timers = createTimers(START_NS);
        final long cancelled = timers.schedule(START_NS + 5 * MS);
        final long kept = timers.schedule(START_NS + 6 * MS);
        assertTrue(timers.cancel(cancelled));
        assertFalse(timers.cancel(cancelled));
        assertEquals(List.of(kept), drain(timers, START_NS + 100 * MS));
        assertFalse(timers.cancel(kept));
    }

    @Test
    void dueTimersFireInDeadlineOrderUpToTheResolution() {
        final Timers timers = createTimers(START_NS);
        final long step = Math.max(timers.resolutionNs() * 2, MS);
        final long third = timers.schedule(START_NS + 3 * step);
        final long first = timers.schedule(START_NS + step);
        final long second = timers.schedule(START_NS + 2 * step);
        assertEquals(List.of(first, second, third), drain(timers, START_NS + 10 * step));
    }

    @Test
    void pollFiresAtMostTheLimit() {
        final Timers timers = createTimers(START_NS);
        for (int i = 0; i < 10; i++) {
            timers.schedule(START_NS + MS);
        }
        final long now = START_NS + 10 * MS + timers.resolutionNs();
        int fired = 0;
        for (int i = 0; i < 5 && fired == 0; i++) {
            fired = timers.poll(now, (id, n) -> { }, 3);
        }
        assertEquals(3, fired);
        assertEquals(7, timers.pending());
        assertEquals(7, drain(timers, now).size());
    }

    @Test
    void aLongPauseFiresEverythingDue() {
        final Timers timers = createTimers(START_NS);
        for (int i = 1; i <= 100; i++) {
            timers.schedule(START_NS + i * 7 * MS);
        }
        final long farFuture = timers.schedule(START_NS + 3_600_000 * MS);
        final List<Long> fired = drain(timers, START_NS + 60_000 * MS);
        assertEquals(100, fired.size());
        assertFalse(fired.contains(farFuture));
        assertEquals(1, timers.pending());
    }
}
