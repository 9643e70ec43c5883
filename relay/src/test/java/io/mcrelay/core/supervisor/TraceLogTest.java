package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.PacketIo;

/** The trace log: what is kept, for how long, and how each event reads in {@code trace show}. */
class TraceLogTest {
    private static final RuleId CAM = new RuleId("cam-1");

    private final TraceLog log = new TraceLog();

    private static WorkerMessage.TraceEvent event(final RuleId id, final long packet, final int step,
                                                  final int value) {
        return new WorkerMessage.TraceEvent(id, packet, step, step >= WorkerMessage.TraceEvent.SENT ? 0 : -1, value);
    }

    @Test
    void keepsTheLatestEventsOfARuleUpToItsBoundDroppingTheOldest() {
        log.set(CAM, true);
        final List<WorkerMessage.TraceEvent> batch = new ArrayList<>();
        for (int packet = 0; packet < TraceLog.EVENTS_PER_RULE + 10; packet++) {
            batch.add(event(CAM, packet, WorkerMessage.TraceEvent.RECEIVED, 100));
        }
        log.record(0, batch);
        final List<ControlResponse.TraceEvent> kept = log.events(CAM);
        assertEquals(TraceLog.EVENTS_PER_RULE, kept.size());
        assertEquals(10, kept.getFirst().packet());
        assertEquals(TraceLog.EVENTS_PER_RULE + 9, kept.getLast().packet());
    }

    @Test
    void eventsOfARuleNotTracedAreNotLogged() {
        log.record(0, List.of(event(CAM, 1, WorkerMessage.TraceEvent.RECEIVED, 100)));
        assertNull(log.events(CAM));
    }

    @Test
    void turningTracingOffKeepsTheLogAndForgettingTheRuleDropsIt() {
        assertTrue(log.set(CAM, true));
        assertFalse(log.set(CAM, true), "already traced: nothing to tell the workers");
        log.record(2, List.of(event(CAM, 1, WorkerMessage.TraceEvent.MATCHED, 80)));
        assertTrue(log.set(CAM, false));
        assertFalse(log.isTraced(CAM));
        log.record(2, List.of(event(CAM, 2, WorkerMessage.TraceEvent.MATCHED, 80))); // in flight when turned off
        assertEquals(List.of(1L, 2L), log.events(CAM).stream().map(ControlResponse.TraceEvent::packet).toList());
        log.forget(CAM);
        assertNull(log.events(CAM));
        log.record(2, List.of(event(CAM, 3, WorkerMessage.TraceEvent.MATCHED, 80)));
        assertNull(log.events(CAM), "a forgotten rule logs nothing");
    }

    @Test
    void tracedRulesAreListedInIdOrder() {
        log.set(new RuleId("b"), true);
        log.set(new RuleId("c"), true);
        log.set(new RuleId("a"), true);
        assertEquals(List.of(new RuleId("a"), new RuleId("b"), new RuleId("c")), List.copyOf(log.traced()));
    }

    @Test
    void eachStepReadsAsTheTraceContractSays() {
        log.set(CAM, true);
        log.record(1, List.of(event(CAM, 1, WorkerMessage.TraceEvent.RECEIVED, 142),
            event(CAM, 1, WorkerMessage.TraceEvent.MATCHED, 100),
            event(CAM, 1, WorkerMessage.TraceEvent.SENT, 100),
            event(CAM, 2, WorkerMessage.TraceEvent.DROPPED, -PacketIo.ENETDOWN)));
        assertEquals(List.of("received frame of 142 bytes", "matched payload of 100 bytes", "sent 100 bytes sent",
            "dropped link_down (errno 100)"), log.events(CAM).stream().map(e -> e.step() + " " + e.detail()).toList());
    }

    @Test
    void aDropNamesItsClassAndErrno() {
        assertEquals("buffer_full (submission queue full)", TraceLog.dropReason(PacketIo.SEND_QUEUE_FULL));
        assertEquals("no_buffer_space (errno " + PacketIo.ENOBUFS + ")", TraceLog.dropReason(-PacketIo.ENOBUFS));
        assertEquals("link_down (errno " + PacketIo.ENODEV + ")", TraceLog.dropReason(-PacketIo.ENODEV));
        assertEquals("send_error (errno 13)", TraceLog.dropReason(-13));
    }
}
