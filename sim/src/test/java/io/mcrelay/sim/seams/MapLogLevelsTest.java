package io.mcrelay.sim.seams;

import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.LogLevelsContract;

/** The simulator's log levels keep the {@link LogLevels} contract. */
class MapLogLevelsTest extends LogLevelsContract {
    @Override
    protected LogLevels createLogLevels() {
        return new MapLogLevels();
    }
}
