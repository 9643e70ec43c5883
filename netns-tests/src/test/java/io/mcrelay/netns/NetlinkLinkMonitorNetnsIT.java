package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.linux.netlink.NetlinkLinkMonitor;
import io.mcrelay.seam.LinkMonitor.LinkEvent.Kind;
import io.mcrelay.seam.LinkMonitor.LinkEvent;
import io.mcrelay.seam.LinkMonitor.LinkState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The production {@link NetlinkLinkMonitor} in a namespace the test creates: the snapshot, a veth created, brought
 * up and down, given an address, deleted and created again, each reported once and in order, as the
 * {@code LinkMonitor} contract says.
 */
class NetlinkLinkMonitorNetnsIT {
    private static final String PREFIX = "mcrnl";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void linkChangesAreReportedOnceInOrder() throws Exception {
        Netns.requireRoot();
        try (Netns netns = Netns.create(PREFIX);
            NetlinkLinkMonitor monitor = netns.call(NetlinkLinkMonitor::open)) {
            final List<LinkState> snapshot = monitor.links();
            assertEquals(List.of("lo"), snapshot.stream().map(LinkState::name).toList(), snapshot.toString());
            assertTrue(snapshot.getFirst().up(), "lo is up in a fresh Netns");

            final List<LinkEvent> seen = new ArrayList<>();
            netns.execOrThrow("ip", "link", "add", "va", "type", "veth", "peer", "name", "vb");
            // The kernel registers the peer first: the two ADDED events come in its order, so await each from here.
            final int beforeAdd = seen.size();
            final LinkEvent addedA = await(monitor, seen, beforeAdd, Kind.ADDED, "va");
            await(monitor, seen, beforeAdd, Kind.ADDED, "vb");

            netns.execOrThrow("ip", "link", "set", "vb", "up");
            netns.execOrThrow("ip", "link", "set", "va", "up");
            await(monitor, seen, Kind.UP, "va");
            assertTrue(monitor.links().stream().anyMatch(l -> l.name().equals("va") && l.up()));

            netns.execOrThrow("ip", "link", "set", "va", "down");
            await(monitor, seen, Kind.DOWN, "va");

            netns.execOrThrow("ip", "addr", "add", "10.77.0.1/24", "dev", "vb");
            await(monitor, seen, Kind.ADDRESS_CHANGED, "vb");

            netns.execOrThrow("ip", "link", "set", "va", "up");
            await(monitor, seen, Kind.UP, "va");
            netns.execOrThrow("ip", "link", "del", "va");
            final int beforeDelete = seen.size();
            await(monitor, seen, beforeDelete, Kind.REMOVED, "va");
            await(monitor, seen, beforeDelete, Kind.REMOVED, "vb");
            assertEquals(List.of("lo"), monitor.links().stream().map(LinkState::name).toList());

            netns.execOrThrow("ip", "link", "add", "va", "type", "veth", "peer", "name", "vb");
            final LinkEvent addedAgain = await(monitor, seen, Kind.ADDED, "va");
            assertNotEquals(addedA.ifIndex(), addedAgain.ifIndex(), "a re-created link has a new index");

            // Once and in order: the whole link story of va, with no duplicates from the overlapping dump. (Address
            // changes are left out: the kernel adds and removes IPv6 link-local addresses as the link goes up and
            // down, and those are reported too.)
            final List<Kind> story = seen.stream().filter(e -> e.name().equals("va"))
                .filter(e -> e.kind() != Kind.ADDRESS_CHANGED).map(LinkEvent::kind).toList();
            assertEquals(List.of(Kind.ADDED, Kind.UP, Kind.DOWN, Kind.UP, Kind.DOWN, Kind.REMOVED, Kind.ADDED), story,
                seen.toString());
            assertFalse(seen.stream().anyMatch(e -> e.name().equals("lo")), "nothing happened to lo: " + seen);
        }
    }

    /**
     * Polls until the {@code kind} event for {@code name} arrives (every event goes to {@code seen}); a
     * {@link Waits.Pace#DELIVERY} wait.
     */
    private static LinkEvent await(final NetlinkLinkMonitor monitor, final List<LinkEvent> seen, final Kind kind,
        final String name) {
        return await(monitor, seen, seen.size(), kind, name);
    }

    /** As above, also matching events already seen from index {@code from} on. */
    private static LinkEvent await(final NetlinkLinkMonitor monitor, final List<LinkEvent> seen, final int from,
        final Kind kind, final String name) {
        return Waits.until(Waits.Pace.DELIVERY, "the " + kind + " event for " + name, () -> {
            monitor.poll(seen::add, 64);
            for (int i = from; i < seen.size(); i++) {
                if (seen.get(i).kind() == kind && seen.get(i).name().equals(name)) {
                    return seen.get(i);
                }
            }
            return null;
        }, Objects::nonNull, () -> "events seen: " + seen);
    }
}
