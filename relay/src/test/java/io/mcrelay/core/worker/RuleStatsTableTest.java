package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/** A retired rule's packets in stay in the worker's counters as the removed rules' total. */
class RuleStatsTableTest {
    private static Rule rule(final String id) {
        return new Rule(new RuleId(id), null, new RuleInput("eth0", IpAddress.parse("239.1.1.1"), 5000, null),
            List.of(new RuleOutput(IpAddress.parse("239.2.2.2"), 5000, "eth1", RuleOutput.TTL_UNSET)));
    }

    @Test
    void aRetiredRulesPacketsInGoToTheRemovedTotalOnceAndANewRuleOfItsIdStartsAtZero() {
        final RuleStatsTable table = new RuleStatsTable(new CounterReport(1));
        final RuleStats a = table.statsFor(rule("a"));
        final RuleStats b = table.statsFor(rule("b"));
        a.packetsIn = 7;
        a.bytesIn = 700;
        b.packetsIn = 2;
        b.bytesIn = 20;

        table.retire(new RuleId("a"));
        table.retire(new RuleId("a")); // a second retirement of a gone rule moves nothing
        assertEquals(7, table.removedPacketsIn());
        assertEquals(700, table.removedBytesIn());
        assertEquals(List.of(new RuleId("b")), table.all().stream().map(c -> c.id()).toList());

        final RuleStats again = table.statsFor(rule("a"));
        assertNotSame(a, again);
        assertEquals(0, again.packetsIn);
        assertEquals(7, table.removedPacketsIn());
    }
}
