package io.mcrelay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.SeededRandom;

/**
 * The decorators that break one recovery each: a launcher that refuses to start a worker again in a slot that had one
 * (the refused launch exits at once), a channel that drops every Sync and nothing else, memberships whose joins are
 * answered as made and never reach the kernel; and the real daemon's fault seams refuse the simulator's kinds.
 */
class BrokenRecoveryDecoratorsTest {
    /** A launcher that records calls and hands out a connection for each launch. */
    private static final class RecordingLauncher implements WorkerLauncher {
        final List<String> calls = new ArrayList<>();
        final List<WorkerHandle> toConnect = new ArrayList<>();
        private long launches;

        @Override
        public WorkerHandle launch(final int workerIndex) {
            final WorkerHandle handle = new WorkerHandle(workerIndex, launches++, 1000 + launches);
            calls.add("launch " + workerIndex);
            toConnect.add(handle);
            return handle;
        }

        @Override
        public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
            calls.add("kill " + handle.launchId());
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            int delivered = 0;
            while (!toConnect.isEmpty() && delivered < limit) {
                listener.onConnected(toConnect.removeFirst(), new Recording());
                delivered++;
            }
            return delivered;
        }
    }

    /** A channel that records the type byte of each frame sent. */
    private static final class Recording implements WorkerChannel {
        final List<Integer> sent = new ArrayList<>();

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            sent.add((int) buffer.getByte(offset));
            return SendResult.SENT;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
                               final PassedDescriptor descriptor) {
            return send(buffer, offset, length);
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            return null;
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            return 0;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public int frameBytesMax() {
            return 1 << 20;
        }

        @Override
        public void close() {
        }
    }

    private static final Clock CLOCK = new Clock() {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public long epochMillis() {
            return 0;
        }
    };

    private static FaultPlan noFaults() {
        return FaultPlan.none(new SeededRandom(1));
    }

    @Test
    void underARespawnBreakASlotsSecondLaunchStartsNothingAndExitsAtOnce() {
        final RecordingLauncher inner = new RecordingLauncher();
        final FaultyLauncher launcher = new FaultyLauncher(inner, CLOCK, noFaults(), Set.of(Break.RESPAWN));
        final WorkerLauncher.WorkerHandle first = launcher.launch(0);
        final WorkerLauncher.WorkerHandle other = launcher.launch(1);
        final WorkerLauncher.WorkerHandle again = launcher.launch(0);
        assertEquals(List.of("launch 0", "launch 1"), inner.calls, "the refused launch starts nothing");
        final List<String> events = new ArrayList<>();
        launcher.poll(new WorkerLauncher.Listener() {
            @Override
            public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
                events.add("connected " + handle.workerIndex() + "/" + handle.launchId());
            }

            @Override
            public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
                events.add("exited " + handle.workerIndex() + "/" + handle.launchId() + " " + exitStatus);
            }
        }, 10);
        assertEquals(List.of("exited 0/" + again.launchId() + " " + FaultyLauncher.REFUSED_STATUS,
            "connected 0/" + first.launchId(), "connected 1/" + other.launchId()), events);
        launcher.kill(again, RestartReason.REQUESTED, "test");
        assertEquals(2, inner.calls.size(), "a refused launch has nothing to kill");
    }

    @Test
    void withoutBreaksEveryLaunchStarts() {
        final RecordingLauncher inner = new RecordingLauncher();
        final FaultyLauncher launcher = new FaultyLauncher(inner, CLOCK, noFaults(), Set.of());
        launcher.launch(0);
        launcher.launch(0);
        assertEquals(List.of("launch 0", "launch 0"), inner.calls);
    }

    @Test
    void underASyncBreakTheChannelDropsEverySyncAndNothingElse() {
        final Recording inner = new Recording();
        final SyncDroppingChannel channel = new SyncDroppingChannel(inner);
        for (final int type : new int[] {WorkerMessageCodec.TYPE_SYNC, WorkerMessageCodec.TYPE_APPLY,
            WorkerMessageCodec.TYPE_SYNC, WorkerMessageCodec.TYPE_SHUTDOWN}) {
            assertEquals(WorkerChannel.SendResult.SENT, channel.send(new UnsafeBuffer(new byte[] {(byte) type, 0}),
                0, 2), "the sender believes it went");
        }
        assertEquals(List.of(WorkerMessageCodec.TYPE_APPLY, WorkerMessageCodec.TYPE_SHUTDOWN), inner.sent);
        assertEquals(2, channel.dropped());
    }

    @Test
    void aLauncherUnderTheSyncBreakWrapsTheChannelsOfReplacementsOnly() {
        final RecordingLauncher inner = new RecordingLauncher();
        final FaultyLauncher launcher = new FaultyLauncher(inner, CLOCK, noFaults(), Set.of(Break.SYNC));
        launcher.launch(0);
        launcher.launch(1);
        launcher.launch(0);
        final List<WorkerChannel> channels = new ArrayList<>();
        launcher.poll(new WorkerLauncher.Listener() {
            @Override
            public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
                channels.add(channel);
            }

            @Override
            public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
            }
        }, 10);
        assertInstanceOf(Recording.class, channels.get(0), "slot 0's first worker gets its Syncs");
        assertInstanceOf(Recording.class, channels.get(1), "slot 1's first worker too");
        assertInstanceOf(SyncDroppingChannel.class, channels.get(2), "slot 0's replacement does not");
    }

    @Test
    void underAJoinsBreakJoinsAreAnsweredAsMadeAndNeverReachTheKernel() {
        final List<String> calls = new ArrayList<>();
        final GroupMemberships kernel = new GroupMemberships() {
            @Override
            public Limits limits() {
                return new Limits(20, 10);
            }

            @Override
            public String join(final String interfaceName, final int socket, final Membership membership) {
                calls.add("join");
                return null;
            }

            @Override
            public void leave(final String interfaceName, final int socket, final Membership membership) {
                calls.add("leave");
            }

            @Override
            public void forget(final String interfaceName) {
                calls.add("forget " + interfaceName);
            }
        };
        final JoinIgnoringMemberships memberships = new JoinIgnoringMemberships(kernel);
        final GroupMemberships.Membership group = new GroupMemberships.Membership(0xEF010101, 0);
        assertNull(memberships.join("in0", 0, group), "answered as joined");
        memberships.leave("in0", 0, group);
        memberships.forget("in0");
        assertEquals(new GroupMemberships.Limits(20, 10), memberships.limits());
        assertEquals(List.of("forget in0"), calls, "no join or leave reached the kernel");
        assertEquals(1, memberships.ignored());
    }

    @Test
    void underALinksBreakEveryEventAfterTheStartIsLostAndTheStartsLinksGoThrough() {
        final List<LinkMonitor.LinkEvent> events = new ArrayList<>(List.of(
            new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.DOWN, "in0", 3),
            new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.REMOVED, "in0", 3)));
        final LinkMonitor kernel = new LinkMonitor() {
            @Override
            public List<LinkState> links() {
                return List.of(new LinkState("in0", 3, true));
            }

            @Override
            public int poll(final Listener listener, final int limit) {
                int delivered = 0;
                while (!events.isEmpty() && delivered < limit) {
                    listener.onLinkEvent(events.removeFirst());
                    delivered++;
                }
                return delivered;
            }

            @Override
            public void close() {
            }
        };
        final EventDroppingLinkMonitor links = new EventDroppingLinkMonitor(kernel);
        assertEquals(List.of(new LinkMonitor.LinkState("in0", 3, true)), links.links());
        final List<LinkMonitor.LinkEvent> seen = new ArrayList<>();
        assertEquals(2, links.poll(seen::add, 10), "read from the kernel");
        assertEquals(List.of(), seen, "and lost");
        assertEquals(2, links.dropped());
    }

    @Test
    void theRealDaemonTakesOnlyTheChannelKindsAndSaysWhichOnAnyOther() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new FaultySupervisorSeams(1, 0.1, EnumSet.of(FaultKind.LINK_DOWN_UP), Set.of()));
        assertTrue(e.getMessage().startsWith("fault kind link-down-up is the simulator's only; a real daemon takes "
            + "[channel-delay, channel-duplication, channel-loss, channel-reorder, worker-crash-before-apply]"),
            e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> new FaultySupervisorSeams(1, 0, EnumSet.noneOf(FaultKind.class), Set.of()));
        assertEquals(Break.SYNC, Break.of("sync"));
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Break.of("all"));
        assertEquals("no recovery called 'all' can be broken; the choices are [respawn, sync, joins, links, restore, space]",
            unknown.getMessage());
        assertEquals(FaultKind.CHANNEL_LOSS, FaultKind.ofWord("channel-loss"));
    }
}
