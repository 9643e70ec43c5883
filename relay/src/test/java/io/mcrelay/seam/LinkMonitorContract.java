package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * What every {@link LinkMonitor} guarantees: a sorted snapshot, every later change once and in order, and a
 * re-created interface seen as removed then added with a new index. Subclasses supply the world's interfaces (real
 * veth in a namespace, or scripted ones) with these verbs.
 */
public abstract class LinkMonitorContract {
    /** The interfaces the test may change, and the monitor watching them. */
    public interface Harness extends AutoCloseable {
        LinkMonitor monitor();

        void createLink(String name);

        void setUp(String name, boolean up);

        void deleteLink(String name);

        /** Lets the monitor observe what happened. */
        void settle();

        @Override
        void close();
    }

    protected abstract Harness createHarness();

    private static List<LinkMonitor.LinkEvent> events(final Harness harness, final String name) {
        final List<LinkMonitor.LinkEvent> events = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            harness.settle();
            harness.monitor().poll(event -> {
                if (event.name().equals(name) && event.kind() != LinkMonitor.LinkEvent.Kind.ADDRESS_CHANGED) {
                    events.add(event);
                }
            }, 100);
        }
        return events;
    }

    private static List<LinkMonitor.LinkEvent.Kind> kinds(final List<LinkMonitor.LinkEvent> events) {
        return events.stream().map(LinkMonitor.LinkEvent::kind).distinct().toList();
    }

    @Test
    void reportsUpDownAndARecreatedInterfaceInOrder() {
        try (Harness harness = createHarness()) {
            harness.createLink("mcr-c0");
            final List<LinkMonitor.LinkEvent> added = events(harness, "mcr-c0");
            assertEquals(LinkMonitor.LinkEvent.Kind.ADDED, added.getFirst().kind());
            harness.setUp("mcr-c0", true);
            assertTrue(kinds(events(harness, "mcr-c0")).contains(LinkMonitor.LinkEvent.Kind.UP));
            harness.setUp("mcr-c0", false);
            assertTrue(kinds(events(harness, "mcr-c0")).contains(LinkMonitor.LinkEvent.Kind.DOWN));
            harness.deleteLink("mcr-c0");
            harness.createLink("mcr-c0");
            final List<LinkMonitor.LinkEvent> recreated = events(harness, "mcr-c0");
            final List<LinkMonitor.LinkEvent.Kind> order = kinds(recreated);
            assertEquals(LinkMonitor.LinkEvent.Kind.REMOVED, order.getFirst(), recreated::toString);
            assertEquals(LinkMonitor.LinkEvent.Kind.ADDED, order.get(1), recreated::toString);
            assertNotEquals(added.getFirst().ifIndex(), recreated.getLast().ifIndex());
        }
    }

    @Test
    void theSnapshotIsSortedByName() {
        try (Harness harness = createHarness()) {
            harness.createLink("mcr-s2");
            harness.createLink("mcr-s1");
            harness.settle();
            final List<String> names = harness.monitor().links().stream().map(LinkMonitor.LinkState::name).toList();
            assertEquals(names.stream().sorted().toList(), names);
            assertTrue(names.contains("mcr-s1") && names.contains("mcr-s2"), names::toString);
        }
    }
}
