package io.mcrelay.runtime;

import org.junit.jupiter.api.AfterEach;

import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.LogLevelsContract;

/** Logback's levels keep the {@link LogLevels} contract. */
class LogbackLogLevelsTest extends LogLevelsContract {
    private final LogbackLogLevels levels = new LogbackLogLevels();

    @Override
    protected LogLevels createLogLevels() {
        return levels;
    }

    @AfterEach
    void restoreTheTestLevel() {
        levels.set(null, "WARN"); // logback-test.xml's root level, for the tests that follow
    }
}
