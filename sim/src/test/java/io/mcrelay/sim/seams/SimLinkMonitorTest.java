package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.LinkMonitor.LinkEvent;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LinkMonitorContract;

/** The scripted monitor keeps the {@link LinkMonitor} contract over a {@link SimNetwork}. */
class SimLinkMonitorTest extends LinkMonitorContract {
    @Override
    protected Harness createHarness() {
        final SimNetwork network = new SimNetwork();
        final SimLinkMonitor monitor = network.monitor();
        return new Harness() {
            @Override
            public LinkMonitor monitor() {
                return monitor;
            }

            @Override
            public void createLink(final String name) {
                network.createLink(name);
            }

            @Override
            public void setUp(final String name, final boolean up) {
                network.setUp(name, up);
            }

            @Override
            public void deleteLink(final String name) {
                network.deleteLink(name);
            }

            @Override
            public void settle() {
                // events are queued as the network changes
            }

            @Override
            public void close() {
                monitor.close();
            }
        };
    }

    private static List<LinkEvent> poll(final SimLinkMonitor monitor) {
        final List<LinkEvent> events = new ArrayList<>();
        monitor.poll(events::add, 100);
        return events;
    }

    @Test
    void reportsEveryChangeExactlyOnceWithItsIndex() {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp("early0"); // before the monitor: in its snapshot, not its events
        final SimLinkMonitor monitor = network.monitor();
        assertEquals(List.of(new LinkMonitor.LinkState("early0", 1, true)), monitor.links());
        final int index = network.createLink("late0");
        network.setUp("late0", true);
        network.setUp("late0", true); // no change, no event
        network.deleteLink("late0");
        assertEquals(List.of(
            new LinkEvent(LinkEvent.Kind.ADDED, "late0", index),
            new LinkEvent(LinkEvent.Kind.UP, "late0", index),
            new LinkEvent(LinkEvent.Kind.DOWN, "late0", index),
            new LinkEvent(LinkEvent.Kind.REMOVED, "late0", index)), poll(monitor));
        assertEquals(List.of(), poll(monitor));
    }

    @Test
    void anOverflowingMonitorStopsTheSimulationInsteadOfLosingEvents() {
        final SimNetwork network = new SimNetwork();
        network.monitor(2);
        network.createLink("a0");
        network.createLink("b0");
        assertThrows(IllegalStateException.class, () -> network.createLink("c0"));
    }
}
