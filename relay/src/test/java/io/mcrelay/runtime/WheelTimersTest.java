package io.mcrelay.runtime;

import io.mcrelay.seam.Timers;
import io.mcrelay.seam.TimersContract;

/** The production timer wheel keeps the {@link Timers} contract. */
class WheelTimersTest extends TimersContract {
    @Override
    protected Timers createTimers(final long startNs) {
        return new WheelTimers(startNs);
    }
}
