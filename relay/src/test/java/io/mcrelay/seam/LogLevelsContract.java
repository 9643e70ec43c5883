package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** What every {@link LogLevels} guarantees: levels set in any case, refusals that change nothing, the root named. */
public abstract class LogLevelsContract {
    protected abstract LogLevels createLogLevels();

    @Test
    void aLevelSetIsListedInUpperCase() {
        final LogLevels levels = createLogLevels();
        assertNull(levels.set("io.mcrelay.contract.test", "debug"));
        assertEquals("DEBUG", levels.levels().get("io.mcrelay.contract.test"));
        assertNull(levels.set(null, "Warn"));
        assertEquals("WARN", levels.levels().get(LogLevels.ROOT));
        assertEquals(levels.levels().keySet().stream().sorted().toList(), levels.levels().keySet().stream().toList());
    }

    @Test
    void aBadLevelIsRefusedAndChangesNothing() {
        final LogLevels levels = createLogLevels();
        assertNull(levels.set("io.mcrelay.contract.other", "INFO"));
        final var before = levels.levels();
        assertEquals("\"loud\" is not a log level (TRACE, DEBUG, INFO, WARN, ERROR or OFF)",
            levels.set("io.mcrelay.contract.other", "loud"));
        assertEquals(before, levels.levels());
    }
}
