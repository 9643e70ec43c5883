package io.mcrelay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The swarm rule covers every fault kind in any K consecutive seeds, negative seeds included. */
class FaultKindTest {
    @Test
    void everyRunOfConsecutiveSeedsEnablesEveryKind() {
        final int kinds = FaultKind.values().length;
        for (final long start : new long[] {0, 17, -5, Long.MAX_VALUE - kinds}) {
            final Set<FaultKind> enabled = EnumSet.noneOf(FaultKind.class);
            for (long seed = start; seed < start + kinds; seed++) {
                enabled.add(FaultKind.forSeed(seed));
            }
            assertEquals(EnumSet.allOf(FaultKind.class), enabled, "seeds from " + start);
        }
        assertEquals(FaultKind.WORKER_CRASH_BEFORE_APPLY, FaultKind.forSeed(0));
        assertEquals(FaultKind.values()[kinds - 1], FaultKind.forSeed(-1));
    }
}
