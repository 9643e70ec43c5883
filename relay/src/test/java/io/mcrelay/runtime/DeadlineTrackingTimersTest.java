package io.mcrelay.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The worker loop sleeps until {@link DeadlineTrackingTimers#nextDeadlineNs()}: it is the earliest pending deadline,
 * forgets fired and cancelled timers, sees a timer scheduled from inside a firing one, and timers still fire as the
 * wrapped wheel fires them.
 */
class DeadlineTrackingTimersTest {
    private static final long MS = 1_000_000L;

    @Test
    void theNextDeadlineIsTheEarliestPendingOne() {
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(0));
        assertEquals(DeadlineTrackingTimers.NONE, timers.nextDeadlineNs());
        final long late = timers.schedule(300 * MS);
        final long early = timers.schedule(100 * MS);
        timers.schedule(200 * MS);
        assertEquals(100 * MS, timers.nextDeadlineNs());
        assertTrue(timers.cancel(early));
        assertEquals(200 * MS, timers.nextDeadlineNs(), "a cancelled timer is forgotten");
        final List<Long> fired = new ArrayList<>();
        assertEquals(1, timers.poll(250 * MS, (id, now) -> fired.add(id), 10));
        assertEquals(300 * MS, timers.nextDeadlineNs(), "a fired timer is forgotten");
        assertFalse(fired.contains(late));
        assertEquals(1, timers.pending());
    }

    @Test
    void aTimerScheduledWhileOneFiresIsTheNextDeadline() {
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(0));
        timers.schedule(10 * MS);
        final List<Long> fired = new ArrayList<>();
        timers.poll(20 * MS, (id, now) -> {
            fired.add(now);
            timers.schedule(now + 250 * MS); // as a heartbeat reschedules itself
        }, 10);
        assertEquals(1, fired.size());
        assertEquals(fired.get(0) + 250 * MS, timers.nextDeadlineNs());
        assertEquals(1, timers.pending());
        assertEquals(WheelTimers.TICK_NS, timers.resolutionNs());
    }

    @Test
    void manyTimersGrowTheTables() {
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(0));
        for (int i = 100; i > 0; i--) {
            timers.schedule(i * MS);
        }
        assertEquals(MS, timers.nextDeadlineNs());
        assertEquals(100, timers.poll(1000 * MS, (id, now) -> { }, 1000));
        assertEquals(DeadlineTrackingTimers.NONE, timers.nextDeadlineNs());
    }
}
