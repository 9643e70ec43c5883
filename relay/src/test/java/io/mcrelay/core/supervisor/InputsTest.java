package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.Rule;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LinkMonitor.LinkEvent.Kind;

/** The inputs: which sockets the seam is asked for as links come and go, and when a link change concerns the rules. */
class InputsTest {
    private final TestKit.RecordingInputSockets sockets = new TestKit.RecordingInputSockets();
    private final Inputs inputs = new Inputs(sockets);
    private final List<Rule> rules = List.of(TestKit.rule("cam-1", "eth0", "eth1"),
        TestKit.rule("cam-2", "eth2", "eth1"));

    private boolean link(final Kind kind, final String name, final int ifIndex) {
        return inputs.onLinkEvent(new LinkMonitor.LinkEvent(kind, name, ifIndex), rules);
    }

    @Test
    void onlyInputInterfacesThatExistAreWanted() {
        inputs.start(List.of(new LinkMonitor.LinkState("eth0", 2, true), new LinkMonitor.LinkState("eth1", 3, true)),
            rules);
        assertEquals(List.of("wanted [eth0]"), sockets.calls, "eth1 is only an output, eth2 does not exist");
        assertTrue(link(Kind.ADDED, "eth2", 4));
        assertEquals("wanted [eth0, eth2]", sockets.calls.getLast());
        assertTrue(link(Kind.REMOVED, "eth0", 2));
        assertEquals("wanted [eth2]", sockets.calls.getLast());
    }

    @Test
    void anInputInterfaceCreatedAgainHasItsSocketsReopened() {
        inputs.start(List.of(new LinkMonitor.LinkState("eth0", 2, true)), rules);
        assertTrue(link(Kind.UP, "eth0", 2));
        assertFalse(sockets.calls.contains("reopen eth0"), "the same interface: its sockets still work");
        assertTrue(link(Kind.ADDED, "eth0", 9));
        assertEquals(List.of("wanted [eth0]", "wanted [eth0]", "wanted [eth0]", "reopen eth0"), sockets.calls);
    }

    @Test
    void aChangeToAnInterfaceNoRuleNamesAsksForNoResync() {
        inputs.start(List.of(), rules);
        assertFalse(link(Kind.ADDED, "wlan0", 5));
        assertTrue(link(Kind.ADDED, "eth1", 3), "an output interface: workers relearn its index");
        final int calls = sockets.calls.size();
        assertFalse(link(Kind.ADDRESS_CHANGED, "eth0", 2));
        assertEquals(calls, sockets.calls.size(), "an address change touches no socket");
    }

    @Test
    void aRuleIsWaitingActiveOrDownWithItsInputInterface() {
        inputs.start(List.of(), rules);
        assertEquals("waiting", inputs.stateOf(rules.getFirst()));
        link(Kind.ADDED, "eth0", 2);
        assertEquals("down", inputs.stateOf(rules.getFirst()));
        link(Kind.UP, "eth0", 2);
        assertEquals("active", inputs.stateOf(rules.getFirst()));
        link(Kind.DOWN, "eth0", 2);
        assertEquals("down", inputs.stateOf(rules.getFirst()));
    }
}
