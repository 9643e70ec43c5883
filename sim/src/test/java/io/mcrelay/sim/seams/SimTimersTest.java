package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.Timers;
import io.mcrelay.seam.TimersContract;

/** The simulator's timers keep the {@link Timers} contract, exactly. */
class SimTimersTest extends TimersContract {
    @Override
    protected Timers createTimers(final long startNs) {
        return new SimTimers();
    }

    @Test
    void tiesFireInSchedulingOrderAndTheNextDeadlineIsKnown() {
        final SimTimers timers = new SimTimers();
        final long a = timers.schedule(100);
        final long b = timers.schedule(100);
        timers.schedule(50);
        assertEquals(50, timers.nextDeadlineNs());
        final java.util.List<Long> fired = new java.util.ArrayList<>();
        timers.poll(100, (id, now) -> fired.add(id), 10);
        assertEquals(java.util.List.of(3L, a, b), fired);
        assertEquals(Long.MAX_VALUE, timers.nextDeadlineNs());
    }
}
