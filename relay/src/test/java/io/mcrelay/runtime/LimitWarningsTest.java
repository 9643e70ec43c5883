package io.mcrelay.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * A limit that bites a million times costs the log one WARN line per interval, each counting every occurrence so
 * far; each limit keeps its own schedule.
 */
class LimitWarningsTest {
    private static final long SECOND_NS = 1_000_000_000L;

    @Test
    void aFloodOfOccurrencesIsOneLinePerIntervalPerLimitCountingThemAll() {
        final Logger logger = (Logger) LoggerFactory.getLogger("test.LimitWarningsTest");
        final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            final LimitWarnings warnings = new LimitWarnings(logger, 10 * SECOND_NS);
            long nowNs = 5 * SECOND_NS;
            assertTrue(warnings.bit(LimitWarnings.Limit.IDLE, nowNs, () -> "idle"));
            for (int i = 0; i < 1_000_000; i++) {
                assertFalse(warnings.bit(LimitWarnings.Limit.IDLE, nowNs + i, () -> "idle"));
            }
            assertTrue(warnings.bit(LimitWarnings.Limit.FRAMING, nowNs, () -> "framing"), "its own schedule");
            nowNs += 10 * SECOND_NS - 1;
            assertFalse(warnings.bit(LimitWarnings.Limit.IDLE, nowNs, () -> "idle"), "not yet 10 s");
            nowNs += 1;
            assertTrue(warnings.bit(LimitWarnings.Limit.IDLE, nowNs, () -> "idle"));
            assertEquals(1_000_003, warnings.count(LimitWarnings.Limit.IDLE));
            final List<String> lines = appender.list.stream()
                .map(event -> event.getLevel() + " " + event.getFormattedMessage()).toList();
            assertEquals(List.of(
                "WARN idle (1 so far; at most one such line every 10 s)",
                "WARN framing (1 so far; at most one such line every 10 s)",
                "WARN idle (1000003 so far; at most one such line every 10 s)"), lines);
            assertEquals(Level.WARN, appender.list.getFirst().getLevel());
        } finally {
            logger.detachAppender(appender);
        }
    }
}
