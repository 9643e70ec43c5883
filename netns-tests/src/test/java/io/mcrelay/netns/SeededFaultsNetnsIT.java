package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;

/**
 * The simulator's worker-channel faults on the real kernel: the real daemon as the fault-injection module runs it,
 * its commands to the workers lost, duplicated, delayed and reordered, and workers killed as a command goes to them,
 * all drawn from a seed, while rules are added and removed. Every change is committed (acked, or answered as not
 * acked in time and then resynced); the workers come to hold the last epoch, and a flow through the first rule then
 * arrives whole.
 */
@Tag("full")
class SeededFaultsNetnsIT {
    private static final String PREFIX = "mcsf";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static long epochOf(final ControlResponse answer) {
        return switch (answer) {
            case ControlResponse.RuleAdded added -> added.epoch();
            case ControlResponse.RuleRemoved removed -> removed.epoch();
            case ControlResponse.NotAcked late -> late.epoch();
            default -> throw new AssertionError("a committed change, acked or not: " + answer);
        };
    }

    @Test
    void underSeededChannelFaultsAndCrashPointsEveryChangeLandsAndForwardingIsWhole() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startFaulty(PREFIX, "seeded", "--seed", "7", "--fault-rate", "0.1",
            "--faults", "channel-loss,channel-duplication,channel-delay,channel-reorder,worker-crash-before-apply")) {
            long epoch = 0;
            for (int i = 0; i < 10; i++) {
                epoch = epochOf(relay.add(new RuleDocument("x" + i, null, "in0", "239.7.8." + (i + 1), 7100 + i, null,
                    List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT, TrafficRelay.PORT_OUT + 1 + i,
                        "out0", null)), null)));
            }
            for (int i = 0; i < 5; i++) {
                epoch = epochOf(relay.remove("x" + i));
            }
            final long last = epoch;
            final ControlResponse.WorkerInfo worker = Waits.until(Waits.Pace.DAEMON, "the worker at epoch " + last,
                () -> relay.workers().getFirst(), w -> w.state().equals("ready") && w.epoch() == last,
                () -> DaemonKit.read(relay.log));
            final ControlResponse.Rules rules = (ControlResponse.Rules) relay.client.exchange(
                new ControlRequest.ListRules(relay.client.nextRequestId()));
            assertEquals(List.of("r1", "x5", "x6", "x7", "x8", "x9"), rules.rules().stream().map(RuleDocument::id)
                .toList());
            relay.awaitForwarding();
            final TrafficRelay.Run run = TrafficRelay.conclusive(() -> relay.send(20_000, 10_000, 1_200, () -> { }));
            final String log = DaemonKit.read(relay.log);
            System.out.println("[seeded] " + worker + "; " + run.report().describe());
            assertTrue(run.report().clean(), () -> run.report().describe() + "\n" + log);
            assertEquals(20_000, run.report().received() - run.report().foreign(), run.report()::describe);
        }
    }
}
