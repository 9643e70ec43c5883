package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.runtime.WheelTimers;

/**
 * A real {@link WorkerAgent} takes in whole tables as the supervisor sends them, in {@code Sync} chunks through the
 * real codec, stepped on virtual time (1 ms a duty cycle): a cold worker takes in 65,536 rules (the default limit) and
 * acks them with the table's hash, heartbeating meanwhile with its progress and opening no more than a bounded number
 * of outputs in any duty cycle; chunks duplicated, out of order or of an older epoch change nothing; a table missing a
 * chunk is never installed; a newer table drops an unfinished older one; an {@code Apply} that comes while a table is
 * taken in follows it. Durations are printed, never asserted.
 */
class WorkerSyncIntakeTest {
    private static final long MS = 1_000_000L;

    private final WorkerFakes.QueueChannel channel = new WorkerFakes.QueueChannel();
    private final WorkerFakes.DestinationsIo io = new WorkerFakes.DestinationsIo();
    private WorkerAgent worker;
    private long nowNs;

    /** Starts the worker, heartbeating every {@code heartbeatIntervalNs}. */
    private void start(final long heartbeatIntervalNs) {
        worker = new WorkerAgent(new WorkerAgent.Config(0, heartbeatIntervalNs, 16, 256, 1024), channel, io,
            new WheelTimers(0));
        worker.start(nowNs);
    }

    private void start() {
        start(WorkerAgent.Config.DEFAULT_HEARTBEAT_INTERVAL_NS);
    }

    /** {@code count} rules on in0, each its own group and output port. */
    static List<Rule> rules(final int count, final String prefix) {
        final List<Rule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rules.add(new Rule(new RuleId(String.format("%s-%06d", prefix, i)), null,
                new RuleInput("in0", IpAddress.ipv4(0xEF0A0000 | i), 5000, null),
                List.of(new RuleOutput(IpAddress.ipv4(0xEF140000 | i), 6000, "out0", RuleOutput.TTL_UNSET))));
        }
        return rules;
    }

    private static List<byte[]> chunks(final long epoch, final List<Rule> rules) {
        return WorkerMessageCodec.syncChunks(epoch, rules, WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX);
    }

    /** Runs duty cycles until {@code done}, at most {@code cyclesMax}; returns the cycles run. */
    private int runUntil(final java.util.function.BooleanSupplier done, final int cyclesMax) {
        int cycles = 0;
        while (!done.getAsBoolean() && cycles < cyclesMax) {
            worker.doWork(nowNs);
            nowNs += MS;
            cycles++;
        }
        return cycles;
    }

    private void run(final int cycles) {
        runUntil(() -> false, cycles);
    }

    private List<WorkerMessage.Ack> acks() {
        return channel.sent(WorkerMessage.Ack.class);
    }

    @Test
    void aColdWorkerTakesInSixtyFiveThousandRulesInChunksAndAcksThemWhileHeartbeating() {
        start(5 * MS); // heartbeats 50 times as often as by default: several while the table is taken in
        final List<Rule> rules = rules(Limits.RULES_MAX_DEFAULT, "big");
        final List<byte[]> chunks = chunks(1, rules);
        assertTrue(chunks.size() > 40, "a table of 65,536 rules is many chunks: " + chunks.size());
        final List<byte[]> sent = new ArrayList<>(chunks);
        sent.add(chunks.get(3)); // one delivered twice
        Collections.shuffle(sent, new Random(42)); // and all out of order
        channel.inbound.addAll(sent);

        final long startNs = System.nanoTime();
        int cycles = 0;
        int firstOpensMaxPerCycle = 0;
        while (acks().isEmpty() && cycles < 100_000) {
            final int before = io.firstOpens;
            worker.doWork(nowNs);
            nowNs += MS;
            cycles++;
            if (acks().isEmpty()) { // the install's own cycle opens nothing new: every output was prepared
                firstOpensMaxPerCycle = Math.max(firstOpensMaxPerCycle, io.firstOpens - before);
            }
        }
        System.out.println("[big-sync] " + rules.size() + " rules in " + chunks.size() + " chunks taken in over "
            + cycles + " duty cycles, " + (System.nanoTime() - startNs) / 1_000_000 + " ms of this machine's time");

        assertEquals(List.of(new WorkerMessage.Ack(1, RulesetHash.of(rules))), acks(), "acked once, with the hash");
        assertEquals(1, worker.epoch());
        assertEquals(Limits.RULES_MAX_DEFAULT, worker.rules().size());
        assertEquals(Limits.RULES_MAX_DEFAULT, io.firstOpens, "each output opened once");
        assertTrue(firstOpensMaxPerCycle <= SyncIntake.PREPARE_UNITS_PER_CYCLE,
            "at most " + SyncIntake.PREPARE_UNITS_PER_CYCLE + " outputs opened in a cycle, saw " + firstOpensMaxPerCycle);
        // It heartbeat all along, and said how far it got: more each time, never the ruleset it did not hold yet.
        final List<WorkerMessage.Heartbeat> during = channel.sent(WorkerMessage.Heartbeat.class).stream()
            .filter(heartbeat -> heartbeat.progress().epoch() == 1).toList();
        assertTrue(during.size() >= cycles / 5 - 1 && during.size() >= 5, "a heartbeat every 5 ms while taking it in: "
            + during.size() + " in " + cycles + " ms");
        long units = -1;
        for (final WorkerMessage.Heartbeat heartbeat : during) {
            assertTrue(heartbeat.progress().units() >= units, "progress never goes back: " + heartbeat.progress());
            assertEquals(WorkerAgent.NO_EPOCH, heartbeat.epoch(), "nothing installed yet");
            units = heartbeat.progress().units();
        }
        // The last one, sent right before the install (one step over every rule), says every rule is prepared.
        assertEquals(new WorkerMessage.SyncProgress(1, chunks.size(), chunks.size(), rules.size(), rules.size()),
            during.getLast().progress());
        // The first heartbeat after the install carries every rule (each is new), the next ones only what changed.
        run(100);
        final List<WorkerMessage.Heartbeat> after = channel.sent(WorkerMessage.Heartbeat.class).stream()
            .filter(heartbeat -> heartbeat.epoch() == 1).toList();
        assertEquals(Limits.RULES_MAX_DEFAULT, after.getFirst().counters().rules().size());
        assertEquals(WorkerMessage.SyncProgress.NONE, after.getFirst().progress());
        for (final WorkerMessage.Heartbeat idle : after.subList(1, after.size())) {
            assertTrue(idle.counters().rules().size() <= 1, "an idle worker's heartbeat carries the refresh's rule at "
                + "most: " + idle.counters().rules().size());
        }
    }

    @Test
    void aTableMissingAChunkIsNeverInstalledAndChunksOfAnOlderEpochAreIgnored() {
        start();
        final List<Rule> rules = rules(5_000, "r");
        final List<byte[]> chunks = chunks(2, rules);
        assertTrue(chunks.size() >= 3, "several chunks: " + chunks.size());
        channel.inbound.addAll(chunks.subList(0, chunks.size() - 1));
        run(300);
        assertEquals(WorkerAgent.NO_EPOCH, worker.epoch(), "not installed without its last chunk");
        assertTrue(acks().isEmpty());
        final WorkerMessage.SyncProgress progress = channel.sent(WorkerMessage.Heartbeat.class).getLast().progress();
        assertEquals(new WorkerMessage.SyncProgress(2, chunks.size() - 1, chunks.size(), 0, progress.rules()),
            progress);

        channel.inbound.addAll(chunks(1, rules(5, "old"))); // an older epoch's table: ignored
        run(300);
        assertEquals(WorkerAgent.NO_EPOCH, worker.epoch());
        assertEquals(progress, channel.sent(WorkerMessage.Heartbeat.class).getLast().progress(), "nothing moved");
        channel.inbound.add(chunks.getLast());
        runUntil(() -> worker.epoch() == 2, 100);
        run(1);
        assertEquals(List.of(new WorkerMessage.Ack(2, RulesetHash.of(rules))), acks(), "one ack, where it ended up");
        assertEquals(rules, worker.rules());
    }

    @Test
    void aNewerTableDropsAnUnfinishedOlderOneWhoseLateChunksAreThenIgnored() {
        start();
        final List<byte[]> older = chunks(1, rules(3_000, "a"));
        final List<Rule> newer = rules(2_000, "b");
        channel.inbound.addAll(older.subList(0, 1));
        run(2);
        channel.inbound.addAll(chunks(2, newer));
        runUntil(() -> worker.epoch() == 2, 100);
        channel.inbound.addAll(older.subList(1, older.size())); // the rest of the older one, late
        run(5);
        assertEquals(2, worker.epoch());
        assertEquals(newer, worker.rules());
        assertEquals(new WorkerMessage.Ack(2, RulesetHash.of(newer)), acks().getLast());
        assertFalse(acks().stream().anyMatch(ack -> ack.epoch() == 1), "the older table was never installed");
    }

    @Test
    void anApplyThatComesWhileATableIsTakenInIsAppliedRightAfterIt() {
        start();
        final List<Rule> rules = rules(3_000, "r");
        final Rule added = rules(1, "z").getFirst();
        final List<byte[]> chunks = chunks(4, rules);
        channel.inbound.addAll(chunks.subList(0, chunks.size() - 1));
        channel.inbound.add(WorkerMessageCodec.toBytes(new WorkerMessage.Apply(5, List.of(new Rule(added.id(), null,
            new RuleInput("in0", IpAddress.parse("239.99.0.1"), 5000, null), added.outputs())),
            List.of(rules.getFirst().id()))));
        run(3);
        assertEquals(WorkerAgent.NO_EPOCH, worker.epoch());
        channel.inbound.add(chunks.getLast());
        runUntil(() -> !acks().isEmpty() && acks().getLast().epoch() == 5, 100);
        assertEquals(5, worker.epoch(), "the Sync's epoch 4, then the Apply of 5");
        assertEquals(rules.size(), worker.rules().size(), "one rule in, one out");
        assertFalse(worker.rules().contains(rules.getFirst()));
        assertFalse(acks().stream().anyMatch(ack -> ack.epoch() == 4), "acked once, where it ended up");
    }

    @Test
    void chunksOfOneEpochThatDisagreeOnTheirCountEndTheWorkerNamingIt() {
        start();
        final List<Rule> rules = rules(2, "r");
        channel.inbound.add(WorkerMessageCodec.toBytes(new WorkerMessage.Sync(3, 0, 2, rules.subList(0, 1))));
        channel.inbound.add(WorkerMessageCodec.toBytes(new WorkerMessage.Sync(3, 1, 3, rules.subList(1, 2))));
        run(2); // one chunk a duty cycle
        assertTrue(worker.isDone());
        assertEquals("bad Sync from the supervisor: the Sync of epoch 3 came as 2 chunks and as 3",
            worker.doneReason());
    }

    /**
     * Heartbeats carry the rules whose counters changed since the last heartbeat sent: a rule that forwarded a frame
     * is in the next one, an idle one is not; a heartbeat the channel refused loses nothing, the next carries it.
     */
    @Test
    void aHeartbeatCarriesTheRulesThatChangedAndARefusedOneLosesNothing() {
        start();
        final List<Rule> rules = rules(10, "r");
        channel.inbound.addAll(chunks(1, rules));
        run(260); // installed, and the first heartbeat carried every new rule
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(100, false)]);
        final int length = UdpFrameEncoder.write(frame, 0, -1, 0x0A000001, 0xEF0A0003, 1234, 5000, 4, new byte[100]);
        worker.onFrame(7, frame, 0, length); // rule r-000003
        channel.full = true;
        run(250); // one heartbeat refused
        channel.full = false;
        run(250);
        final WorkerMessage.Heartbeat next = channel.sent(WorkerMessage.Heartbeat.class).getLast();
        assertEquals(List.of(new RuleId("r-000003")), next.counters().rules().stream()
            .map(WorkerCounters.RuleCounters::id).toList());
        assertEquals(1, next.counters().rules().getFirst().packetsIn());
        assertTrue(worker.heartbeatsSkipped() >= 1);
        run(250);
        assertTrue(channel.sent(WorkerMessage.Heartbeat.class).getLast().counters().rules().isEmpty(),
            "nothing changed since");
    }
}
