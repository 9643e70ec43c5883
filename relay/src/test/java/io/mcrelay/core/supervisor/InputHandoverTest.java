package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The supervisor's half of a live input handover: an input opened by a change is handed to every connected worker
 * ({@code AttachInput} with the worker's member socket) before the change's {@code Apply}, so the Apply's ack means
 * the worker holds it; a Sync hands every open input over first; an interface re-created is released and handed over
 * again under a new generation; the last rule of an input gone releases it. The handles given to the channel are
 * closed by the supervisor (the channel passes its own copy).
 */
class InputHandoverTest {
    /** Input sockets that open a generation per open or reopen and hand out members as shared handles. */
    private static final class HandingSockets implements InputSockets {
        final TreeMap<String, Long> open = new TreeMap<>();
        final List<SharedDescriptor> handed = new ArrayList<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public void setFilter(final String interfaceName, final SortedSet<Destination> destinations) {
            calls.add("filter " + interfaceName + " " + destinations.size());
        }
        long generations;

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            calls.add("wanted " + interfaceNames);
            open.keySet().retainAll(interfaceNames);
            for (final String name : interfaceNames) {
                open.computeIfAbsent(name, n -> ++generations);
            }
        }

        @Override
        public void reopen(final String interfaceName) {
            if (open.containsKey(interfaceName)) {
                open.put(interfaceName, ++generations);
            }
        }

        @Override
        public long generation(final String interfaceName) {
            return open.getOrDefault(interfaceName, -1L);
        }

        @Override
        public void closeReleased(final String interfaceName, final long generation) {
            calls.add("close " + interfaceName + " " + generation);
        }

        @Override
        public PassedDescriptor member(final String interfaceName, final int workerIndex) {
            if (!open.containsKey(interfaceName)) {
                return null;
            }
            final SharedDescriptor member = SharedDescriptor.of(interfaceName + "/" + workerIndex);
            handed.add(member);
            return member;
        }
    }

    private final RuleTable table = new RuleTable(Limits.DEFAULT);
    private final HandingSockets sockets = new HandingSockets();
    private final Inputs inputs = new Inputs(sockets);
    private final WorkerHealth health = new WorkerHealth(Supervisor.Config.defaults(2), table,
        new TestKit.FakeLauncher(), new TestKit.QuietActions());
    private final WorkerCommands commands = new WorkerCommands(table, new TraceLog(), health, (index, restarts) -> true,
        health::slots, inputs, WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX);
    private final TestKit.FakeChannel[] channels = {new TestKit.FakeChannel(), new TestKit.FakeChannel()};

    InputHandoverTest() {
        for (final WorkerSlot slot : health.slots()) {
            slot.channel = channels[slot.index];
            slot.state = WorkerSlot.State.READY;
        }
        inputs.start(List.of(new LinkMonitor.LinkState("eth0", 7, true), new LinkMonitor.LinkState("eth1", 8, true)),
            List.of());
        assertTrue(inputs.handover().isEmpty(), "no rule: no input");
    }

    /** Commits as the supervisor does: the inputs, their handover, the epoch's hash, then the Apply. */
    private void commit(final List<Rule> upserts, final List<io.mcrelay.rules.RuleId> removals) {
        final long epoch = table.commit(removals, upserts);
        inputs.updateWanted(table.rules());
        final Inputs.Handover handover = inputs.handover();
        commands.handOver(handover);
        inputs.releasedIn(handover, epoch);
        table.setInputsHash(inputs.hash());
        commands.broadcastApply(epoch, upserts, removals);
    }

    @Test
    void theExpectedHashCoversTheInputsHandedOverByNameAndIndex() {
        final Rule rule = TestKit.rule("cam-1", "eth0", "eth1");
        commit(List.of(rule), List.of());
        final long withEth0 = RulesetHash.of(List.of(rule)) + RulesetHash.inputDigest("eth0", 7);
        assertEquals(withEth0, table.hash());
        assertEquals(withEth0, table.hashAt(1), "epoch 1's hash: what a worker acking it must report");
        assertEquals(RulesetHash.EMPTY, table.hashAt(0));

        inputs.onLinkEvent(new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.REMOVED, "eth0", 7), table.rules());
        commands.handOver(inputs.handover());
        assertEquals(RulesetHash.EMPTY, inputs.hash(), "released");
        inputs.onLinkEvent(new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.ADDED, "eth0", 9), table.rules());
        commands.handOver(inputs.handover());
        assertEquals(RulesetHash.inputDigest("eth0", 9), inputs.hash(), "re-created: its new index");
        assertTrue(RulesetHash.inputDigest("eth0", 9) != RulesetHash.inputDigest("eth0", 7));
        assertTrue(RulesetHash.inputDigest("eth0", 9) != RulesetHash.inputDigest("eth1", 9));
    }

    @Test
    void aNewInputIsHandedToEveryWorkerBeforeTheApply() {
        final Rule rule = TestKit.rule("cam-1", "eth0", "eth1");
        commit(List.of(rule), List.of());
        for (final TestKit.FakeChannel channel : channels) {
            assertEquals(List.of(new WorkerMessage.AttachInput("eth0", 1),
                new WorkerMessage.Apply(1, List.of(rule), List.of())), channel.sent);
            assertEquals(1, channel.descriptorsSent);
        }
        assertEquals(List.of("wanted []", "filter eth0 1", "wanted [eth0]"), sockets.calls,
            "the exact filter is set before the sockets open, so they open with it");
        assertEquals(2, sockets.handed.size());
        assertTrue(sockets.handed.stream().noneMatch(SharedDescriptor::isOpen), "the supervisor's handles closed");
        assertEquals(Map.of("eth0", 1L), inputs.handed());

        channels[0].sent.clear();
        sockets.calls.clear();
        commit(List.of(TestKit.rule("cam-2", "eth0", "eth1")), List.of());
        assertEquals(1, channels[0].sent.size(), "an input already held is not handed over again: " + channels[0].sent);
        assertEquals(List.of("filter eth0 2", "wanted [eth0]"), sockets.calls, "a new group on an open input: the "
            + "filter changes in the commit, before any worker can ack it");
    }

    /**
     * The supervisor's copy of a released input closes once every connected worker acked the release's epoch (a
     * worker acks a release only after closing its own socket, so the kernel's release of the socket happens in the
     * supervisor); a Sync meanwhile repeats the release.
     */
    @Test
    void aReleasedInputClosesOnceEveryWorkerAckedItsEpoch() {
        final Rule rule = TestKit.rule("cam-1", "eth0", "eth1");
        commit(List.of(rule), List.of());
        commit(List.of(), List.of(rule.id())); // epoch 2 takes eth0 back
        sockets.calls.clear();
        health.slot(0).ackedEpoch = 2;
        health.slot(1).ackedEpoch = 1;
        assertEquals(0, inputs.closeReleased(health.ackedByAll()), "worker 1 has not given it back");
        channels[1].sent.clear();
        assertEquals(1, commands.sendSync(health.slot(1), 5));
        assertEquals(List.of(new WorkerMessage.ReleaseInput("eth0", 1), new WorkerMessage.Sync(2, table.rules())),
            channels[1].sent, "a Sync repeats the release it may have missed");
        health.slot(1).ackedEpoch = 2;
        assertEquals(1, inputs.closeReleased(health.ackedByAll()));
        assertEquals(List.of("close eth0 1"), sockets.calls);
        assertEquals(0, inputs.closeReleased(health.ackedByAll()), "closed once");
    }

    @Test
    void aSyncHandsEveryOpenInputOverFirst() {
        commit(List.of(TestKit.rule("cam-1", "eth0", "eth1")), List.of());
        channels[1].sent.clear();
        assertEquals(1, commands.sendSync(health.slot(1), 5));
        assertEquals(List.of(new WorkerMessage.AttachInput("eth0", 1), new WorkerMessage.Sync(1, table.rules())),
            channels[1].sent);
    }

    @Test
    void aRecreatedInterfaceIsReleasedAndHandedOverAgainAndTheLastRuleReleasesIt() {
        final Rule rule = TestKit.rule("cam-1", "eth0", "eth1");
        commit(List.of(rule), List.of());
        channels[0].sent.clear();
        inputs.onLinkEvent(new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.REMOVED, "eth0", 7), table.rules());
        commands.handOver(inputs.handover());
        inputs.onLinkEvent(new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.ADDED, "eth0", 9), table.rules());
        commands.handOver(inputs.handover());
        assertEquals(List.of(new WorkerMessage.ReleaseInput("eth0", 1), new WorkerMessage.AttachInput("eth0", 2)),
            channels[0].sent);

        channels[0].sent.clear();
        commit(List.of(), List.of(rule.id()));
        assertEquals(List.of(new WorkerMessage.ReleaseInput("eth0", 2), new WorkerMessage.Apply(2, List.of(),
            List.of(rule.id()))), channels[0].sent);
        assertEquals(Map.of(), inputs.handed());
    }

    @Test
    void aWorkerThatCannotTakeAHandoverOwesASync() {
        channels[1].result = io.mcrelay.seam.WorkerChannel.SendResult.FULL;
        commit(List.of(TestKit.rule("cam-1", "eth0", "eth1")), List.of());
        assertTrue(health.slot(1).syncOwed, "it gets every input again with its Sync");
        assertTrue(sockets.handed.stream().noneMatch(SharedDescriptor::isOpen));
        health.stop(health.slot(0), RestartReason.REQUESTED, "the test"); // a stopping worker is handed nothing
        channels[0].sent.clear();
        inputs.onLinkEvent(new LinkMonitor.LinkEvent(LinkMonitor.LinkEvent.Kind.REMOVED, "eth0", 7), table.rules());
        commands.handOver(inputs.handover());
        assertEquals(List.of(), channels[0].sent);
    }
}
