package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.WorkerChannel;

/**
 * The commands sent to workers, over two connected worker slots with recording channels: a worker that cannot take
 * a command owes the whole table instead, and a Sync carries the traced rules.
 */
class WorkerCommandsTest {
    private final RuleTable table = new RuleTable(Limits.DEFAULT);
    private final TraceLog traces = new TraceLog();
    private final List<Integer> gateAsked = new ArrayList<>();
    private boolean gateOpen = true;
    private final WorkerHealth health = new WorkerHealth(Supervisor.Config.defaults(2), table,
        new TestKit.FakeLauncher(), new TestKit.QuietActions());
    private final WorkerCommands commands = new WorkerCommands(table, traces, health, (index, restarts) -> {
        gateAsked.add(index);
        return gateOpen;
    }, health::slots, new Inputs(new TestKit.RecordingInputSockets()), WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX);
    private final TestKit.FakeChannel[] channels = {new TestKit.FakeChannel(), new TestKit.FakeChannel()};

    WorkerCommandsTest() {
        for (final WorkerSlot slot : health.slots()) {
            slot.channel = channels[slot.index];
            slot.state = WorkerSlot.State.READY;
        }
    }

    private long commit(final Rule rule) {
        final long epoch = table.commit(List.of(), List.of(rule));
        commands.broadcastApply(epoch, List.of(rule), List.of());
        return epoch;
    }

    @Test
    void aSyncCarriesTheTableAndThenTheTracedRules() {
        commit(TestKit.rule("cam-1", "eth0", "eth1"));
        traces.set(new RuleId("cam-1"), true);
        final WorkerSlot slot = health.slot(0);
        assertEquals(1, commands.sendSync(slot, 42));
        assertEquals(List.of(new WorkerMessage.Apply(1, List.of(TestKit.rule("cam-1", "eth0", "eth1")), List.of()),
            new WorkerMessage.Sync(1, table.rules()), new WorkerMessage.Trace(new RuleId("cam-1"), true)),
            channels[0].sent);
        assertEquals(1, slot.syncEpoch);
        assertEquals(42, slot.syncSentAtNs);
        assertEquals(1, slot.syncAttempts);
        assertEquals(WorkerSlot.State.SYNCING, slot.state, "ready again only once it acks the Sync");
    }

    @Test
    void aSyncThatDoesNotFitStaysOwed() {
        final WorkerSlot slot = health.slot(1);
        slot.syncOwed = true;
        channels[1].result = WorkerChannel.SendResult.FULL;
        assertEquals(0, commands.sendSync(slot, 1));
        assertTrue(slot.syncOwed);
        assertEquals(0, slot.syncAttempts);
        channels[1].result = WorkerChannel.SendResult.SENT;
        assertEquals(1, commands.sendSync(slot, 2));
        assertFalse(slot.syncOwed);
    }

    @Test
    void aWorkerThatCannotTakeAChangeOwesTheWholeTable() {
        channels[1].result = WorkerChannel.SendResult.FULL;
        commit(TestKit.rule("cam-1", "eth0", "eth1"));
        assertEquals(1, channels[0].sent.size());
        assertFalse(health.slot(0).syncOwed);
        assertTrue(health.slot(1).syncOwed);
        assertEquals(WorkerSlot.State.SYNCING, health.slot(1).state);

        channels[1].result = WorkerChannel.SendResult.SENT;
        commit(TestKit.rule("cam-2", "eth0", "eth1"));
        assertTrue(channels[1].sent.isEmpty(), "an owed Sync carries the change too");
        assertEquals(2, channels[0].sent.size());
    }

    @Test
    void aTraceSwitchThatDoesNotFitIsCarriedByASync() {
        channels[0].result = WorkerChannel.SendResult.FULL;
        commands.broadcastTrace(new RuleId("cam-1"), true);
        assertTrue(health.slot(0).syncOwed);
        assertEquals(List.of(new WorkerMessage.Trace(new RuleId("cam-1"), true)), channels[1].sent);
    }

    @Test
    void theGateDecidesWhetherAWorkerIsSentTheTable() {
        final WorkerSlot slot = health.slot(0);
        slot.syncOwed = true;
        gateOpen = false;
        assertEquals(0, commands.sendSync(slot, 1));
        assertFalse(slot.syncOwed, "refused, not owed");
        assertTrue(channels[0].sent.isEmpty());
        assertEquals(List.of(0), gateAsked);
    }
}
