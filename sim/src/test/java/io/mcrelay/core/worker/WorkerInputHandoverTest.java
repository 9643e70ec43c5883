package io.mcrelay.core.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.Frames;
import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.SharedDescriptor;
import io.mcrelay.sim.seams.SimInputGroup;
import io.mcrelay.sim.seams.SimNetwork;
import io.mcrelay.sim.seams.SimPacketIo;
import io.mcrelay.sim.seams.SimTimers;
import io.mcrelay.sim.seams.SimWorkerChannel;

/**
 * The worker's half of a live input handover, on the simulated network: the packet socket (a member of the input's
 * fanout group) rides with {@code AttachInput}; the worker receives on it at once, without a restart; a duplicated
 * handover (no socket), a stale one (an older generation) and one of a generation it holds are ignored and their
 * sockets closed; {@code ReleaseInput} drains and closes it; a newer generation replaces the held one.
 */
class WorkerInputHandoverTest {
    private static final int GROUP = IpAddress.parse("239.1.1.1").ipv4Value();
    private static final Rule RULE = new Rule(new RuleId("r1"), null,
        new RuleInput("in0", IpAddress.parse("239.1.1.1"), 5000, null),
        List.of(new RuleOutput(IpAddress.parse("239.9.9.9"), 6000, "out0", 0)));

    private final SimNetwork network = new SimNetwork();
    private final SimWorkerChannel[] ends = SimWorkerChannel.pair(1 << 20, Frames.WORKER_BYTES_MAX);
    private final WorkerChannel supervisorEnd = ends[0];
    private final SimPacketIo io;
    private final WorkerAgent agent;
    private final SimInputGroup group;
    private long nowNs = 1_000_000_000L;

    WorkerInputHandoverTest() {
        network.createLinkUp("in0");
        network.createLinkUp("out0");
        io = network.attach();
        group = network.openInput("in0");
        agent = new WorkerAgent(WorkerAgent.Config.defaults(0), ends[1], io, new SimTimers());
        agent.start(nowNs);
        send(new WorkerMessage.Sync(1, List.of(RULE)), null);
        run();
    }

    private void send(final WorkerMessage message, final PassedDescriptor descriptor) {
        final byte[] bytes = WorkerMessageCodec.toBytes(message);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final WorkerChannel.SendResult result = descriptor == null ? supervisorEnd.send(buffer, 0, bytes.length)
            : supervisorEnd.send(buffer, 0, bytes.length, descriptor);
        assertEquals(WorkerChannel.SendResult.SENT, result);
    }

    private void run() {
        for (int i = 0; i < 20; i++) {
            nowNs += 1_000_000L;
            agent.doWork(nowNs);
            network.settle();
        }
        supervisorEnd.poll((buffer, offset, length) -> { }, 1000); // acks and heartbeats: not judged here
    }

    private int forwarded(final int packets) {
        final int before = network.delivered("out0", IpAddress.parse("239.9.9.9").toBytes(), 6000).size();
        for (int i = 0; i < packets; i++) {
            final byte[] payload = {(byte) i};
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(1, false)]);
            final int length = UdpFrameEncoder.write(frame, 0, -1, 0x0A000001, GROUP, 40000, 5000, 8, payload);
            network.injectFrame("in0", frame, 0, length);
        }
        run();
        return network.delivered("out0", IpAddress.parse("239.9.9.9").toBytes(), 6000).size() - before;
    }

    /** A member of in0's group, handed over as the supervisor would: it keeps its own copy only until sent. */
    private SharedDescriptor member() {
        return group.join();
    }

    @Test
    void anInputHandedOverIsReceivedOnAtOnceAndAReleaseDrainsAndClosesIt() {
        assertEquals(0, forwarded(3), "no input yet: in0's group has no member");
        final SharedDescriptor member = member();
        send(new WorkerMessage.AttachInput("in0", 1), member);
        member.close(); // the supervisor's copy: the worker holds its own
        run();
        assertEquals(Map.of("in0", 1L), agent.inputGenerations());
        assertEquals(5, forwarded(5), "forwarded by the running worker, no restart");

        send(new WorkerMessage.ReleaseInput("in0", 1), null);
        run();
        assertEquals(Map.of(), agent.inputGenerations());
        assertEquals(0, group.members(), "the worker closed its member: it left the group");
        assertEquals(0, forwarded(2));
        assertFalse(agent.isDone());
    }

    /**
     * The ruleset hash covers the inputs held (interface name and index). A handover is reported with the change it
     * belongs to (the {@code Apply} right behind it), never alone; the ack of a release comes once the member is
     * drained and closed, and until then acks and heartbeats report the last state the worker really was in.
     */
    @Test
    void theHashCoversTheInputsHeldAndAReleaseIsAckedOnceItsMemberClosed() {
        final long rulesOnly = RulesetHash.of(List.of(RULE));
        final long withInput = rulesOnly + RulesetHash.inputDigest("in0", network.interfaceIndex("in0"));
        final SharedDescriptor member = member();
        send(new WorkerMessage.AttachInput("in0", 1), member);
        member.close();
        final List<long[]> reports = new ArrayList<>();
        for (int i = 0; i < 300; i++) { // past a heartbeat interval: heartbeats come, none with the input at epoch 1
            step(reports);
        }
        assertEquals(withInput, agent.rulesetHash(), "it holds in0");
        assertTrue(reports.stream().anyMatch(report -> report[0] == 1L), "it reported while waiting");
        for (final long[] report : reports) {
            assertEquals(List.of(1L, rulesOnly), List.of(report[0], report[1]), "epoch 1 is reported as it was");
        }
        send(new WorkerMessage.Apply(2, List.of(), List.of()), null);
        reports.clear();
        step(reports);
        assertEquals(List.of(2L, withInput), List.of(reports.getLast()[0], reports.getLast()[1]),
            "the change is acked with the input in the hash");

        for (int i = 0; i < 600; i++) { // more than a duty cycle reads: the release takes several cycles
            injectOne(i);
        }
        send(new WorkerMessage.ReleaseInput("in0", 1), null);
        send(new WorkerMessage.Apply(3, List.of(), List.of()), null);
        reports.clear();
        int cyclesReleasing = 0;
        for (int i = 0; i < 50 && !agent.inputGenerations().isEmpty(); i++) {
            step(reports);
            if (!agent.inputGenerations().isEmpty()) {
                cyclesReleasing++;
                for (final long[] report : reports) {
                    assertEquals(List.of(2L, withInput), List.of(report[0], report[1]),
                        "no report of epoch 3 while in0 is still being drained");
                }
            }
        }
        assertTrue(cyclesReleasing > 0, "the release took more than one duty cycle");
        assertEquals(Map.of(), agent.inputGenerations());
        step(reports);
        assertEquals(List.of(3L, rulesOnly), List.of(reports.getLast()[0], reports.getLast()[1]),
            "acked once closed, the input out of the hash");
        assertEquals(0, group.members());
    }

    /** One duty cycle and a network settle; adds the (epoch, hash) of every ack and heartbeat that came. */
    private void step(final List<long[]> reports) {
        nowNs += 1_000_000L;
        agent.doWork(nowNs);
        network.settle();
        supervisorEnd.poll((buffer, offset, length) -> {
            switch (WorkerMessageCodec.decode(buffer, offset, length)) {
                case WorkerMessage.Ack ack -> reports.add(new long[] {ack.epoch(), ack.rulesetHash()});
                case WorkerMessage.Heartbeat heartbeat -> reports.add(new long[] {heartbeat.epoch(),
                    heartbeat.rulesetHash()});
                default -> { }
            }
        }, 1000);
    }

    private void injectOne(final int sequence) {
        final byte[] payload = {(byte) sequence};
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(1, false)]);
        final int length = UdpFrameEncoder.write(frame, 0, -1, 0x0A000001, GROUP, 40000 + sequence % 7, 5000, 8,
            payload);
        network.injectFrame("in0", frame, 0, length);
    }

    @Test
    void duplicateStaleAndHeldHandoversAreIgnoredAndTheirSocketsClosed() {
        final SharedDescriptor first = member();
        send(new WorkerMessage.AttachInput("in0", 2), first);
        first.close();
        run();
        send(new WorkerMessage.AttachInput("in0", 2), null); // a duplicated frame: the socket went with the first
        final SharedDescriptor stale = member();
        send(new WorkerMessage.AttachInput("in0", 1), stale);
        final SharedDescriptor same = member();
        send(new WorkerMessage.AttachInput("in0", 2), same);
        run();
        assertEquals(Map.of("in0", 2L), agent.inputGenerations());
        assertEquals(1, stale.openHandles(), "only the test's own handle: the worker closed what it got");
        assertEquals(1, same.openHandles());
        stale.close();
        same.close();
        assertEquals(1, group.members(), "the ignored members left the group when their last handle closed");
        assertEquals(4, forwarded(4));
        assertFalse(agent.isDone(), "ignoring a handover is no reason to leave");
    }

    @Test
    void aNewerGenerationReplacesTheHeldOneOnceThatIsReleased() {
        final SharedDescriptor old = member();
        send(new WorkerMessage.AttachInput("in0", 1), old);
        old.close();
        run();
        final SharedDescriptor newer = member();
        send(new WorkerMessage.AttachInput("in0", 2), newer);
        newer.close();
        run();
        assertEquals(Map.of("in0", 2L), agent.inputGenerations());
        assertEquals(1, group.members(), "generation 1's member was released");
        assertEquals(3, forwarded(3));
        send(new WorkerMessage.ReleaseInput("in0", 1), null); // stale: generation 2 is held
        run();
        assertEquals(Map.of("in0", 2L), agent.inputGenerations());
        assertTrue(group.members() == 1);
    }
}
