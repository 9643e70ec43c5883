package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.runtime.WheelTimers;

/**
 * One duty cycle hands over at most {@code sendLimit} sends: it reads no more frames than the limit covers with a copy
 * for every output of the widest rule (at least one while the send capacity can forward one), and no more than the
 * capacity can forward. With one output per rule that is the limit itself, as before the limit counted sends.
 */
class WorkerSendLimitTest {
    private static final long MS = 1_000_000L;

    @Test
    void framesPerCycleAreTheSendLimitOverTheWidestRule() {
        assertEquals(256, WorkerTable.frameBudget(256, 1024, 1));
        assertEquals(85, WorkerTable.frameBudget(256, 1024, 3), "256 sends cover 85 frames of 3 copies");
        assertEquals(33, WorkerTable.frameBudget(256, 100, 3), "the capacity binds first");
        assertEquals(1, WorkerTable.frameBudget(256, 1024, 1000), "a rule wider than the limit still flows");
        assertEquals(0, WorkerTable.frameBudget(256, 2, 3), "a frame the capacity cannot forward waits");
        assertEquals(0, WorkerTable.frameBudget(256, 0, 1));
    }

    @Test
    void aCycleReadsTheFramesItsSendLimitCovers() {
        assertEquals(List.of(256), limitsAskedWith(1));
        assertEquals(List.of(85), limitsAskedWith(3));
        assertEquals(List.of(32), limitsAskedWith(8));
    }

    /** The frame limits a worker with one rule of {@code outputs} outputs passes to its polls once it has the rule. */
    private static List<Integer> limitsAskedWith(final int outputs) {
        final List<Integer> asked = new ArrayList<>();
        final WorkerFakes.QueueChannel channel = new WorkerFakes.QueueChannel();
        final WorkerFakes.DestinationsIo io = new WorkerFakes.DestinationsIo() {
            @Override
            public int pollFrames(final FrameHandler handler, final int limit) {
                asked.add(limit);
                return 0;
            }
        };
        final WorkerAgent worker = new WorkerAgent(WorkerAgent.Config.defaults(0), channel, io, new WheelTimers(0));
        long nowNs = 0;
        worker.start(nowNs);
        final List<RuleOutput> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(new RuleOutput(IpAddress.ipv4(0xEF140000 | i), 6000, "out0", RuleOutput.TTL_UNSET));
        }
        final Rule rule = new Rule(new RuleId("wide"), null, new RuleInput("in0", IpAddress.ipv4(0xEF0A0001), 5000,
            null), outs);
        for (final byte[] chunk : WorkerMessageCodec.syncChunks(1, List.of(rule),
            WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX)) {
            channel.inbound.add(chunk);
        }
        for (int cycle = 0; cycle < 50 && worker.epoch() != 1; cycle++) {
            worker.doWork(nowNs);
            nowNs += MS;
        }
        assertEquals(1, worker.epoch(), "the rule is installed");
        asked.clear();
        worker.doWork(nowNs);
        assertTrue(io.sendCapacity() >= 256, "the fake's capacity does not bind");
        return asked;
    }
}
