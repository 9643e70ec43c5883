package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The generator's schedule as arithmetic: the first packet is due at once, then one every 1/rate seconds, never more
 * than the count; {@code dueAtNs} is the exact instant {@code dueTotal} first counts a packet; flows take turns.
 */
class SendScheduleTest {
    private static final long S = 1_000_000_000;

    @Test
    void theFirstPacketIsDueAtOnceAndThenOneEveryIntervalOfTheRate() {
        assertEquals(1, SendSchedule.dueTotal(0, 1000, Long.MAX_VALUE));
        assertEquals(1, SendSchedule.dueTotal(999_999, 1000, Long.MAX_VALUE));
        assertEquals(2, SendSchedule.dueTotal(1_000_000, 1000, Long.MAX_VALUE));
        assertEquals(1001, SendSchedule.dueTotal(S, 1000, Long.MAX_VALUE));
        assertEquals(3, SendSchedule.dueTotal(S, 2, Long.MAX_VALUE));
    }

    @Test
    void neverMoreThanTheCountIsDue() {
        assertEquals(5, SendSchedule.dueTotal(10 * S, 1000, 5));
        assertEquals(1, SendSchedule.dueTotal(0, 1000, 1));
    }

    @Test
    void dueAtIsTheFirstInstantThePacketCountsAsDue() {
        for (final long rate : new long[] {1, 3, 7, 1000, 999_983, SendSchedule.RATE_MAX_PPS}) {
            for (long index = 0; index < 50; index++) {
                final long atNs = SendSchedule.dueAtNs(index, rate);
                assertEquals(index + 1, SendSchedule.dueTotal(atNs, rate, Long.MAX_VALUE), "rate " + rate);
                if (atNs > 0) {
                    assertEquals(index, SendSchedule.dueTotal(atNs - 1, rate, Long.MAX_VALUE), "rate " + rate);
                }
            }
        }
    }

    @Test
    void aLongRunAtTheHighestRateDoesNotOverflow() {
        final long tenYearsNs = 10L * 365 * 24 * 3600 * S;
        final long due = SendSchedule.dueTotal(tenYearsNs, SendSchedule.RATE_MAX_PPS, Long.MAX_VALUE);
        assertEquals(10L * 365 * 24 * 3600 * SendSchedule.RATE_MAX_PPS + 1, due);
        assertEquals(tenYearsNs, SendSchedule.dueAtNs(due - 1, SendSchedule.RATE_MAX_PPS));
    }

    @Test
    void flowsTakeTurnsSoTheirShareDiffersByAtMostOne() {
        assertEquals(0, SendSchedule.dueInFlow(0, 0, 3));
        assertEquals(1, SendSchedule.dueInFlow(1, 0, 3));
        assertEquals(0, SendSchedule.dueInFlow(1, 1, 3));
        assertEquals(4, SendSchedule.dueInFlow(10, 0, 3));
        assertEquals(3, SendSchedule.dueInFlow(10, 1, 3));
        assertEquals(3, SendSchedule.dueInFlow(10, 2, 3));
        for (long total = 0; total < 40; total++) {
            long sum = 0;
            for (int flow = 0; flow < 4; flow++) {
                sum += SendSchedule.dueInFlow(total, flow, 4);
            }
            assertEquals(total, sum);
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SendSchedule.dueTotal(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> SendSchedule.dueTotal(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> SendSchedule.dueAtNs(0, SendSchedule.RATE_MAX_PPS + 1));
        assertThrows(IllegalArgumentException.class, () -> SendSchedule.dueInFlow(1, 3, 3));
    }
}
