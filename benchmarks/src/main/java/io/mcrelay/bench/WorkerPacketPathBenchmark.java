package io.mcrelay.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.protocol.Frames;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Rule;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * The worker's own cost per forwarded packet: one received frame parsed, looked up among {@code ruleCount} rules and
 * sent to each of its outputs (1 to 3, as {@link BenchmarkRules} makes them, 2 on average), then the send
 * completions counted — {@link WorkerAgent#onFrame} and {@link WorkerAgent#onSendComplete}, the same calls the real
 * loop makes. The packet I/O is a stand-in that only records the sends, so the kernel's part (receive ring, UDP send)
 * is not in the number: that part is measured end to end. Frames cycle over 1,024 of the rules, so the lookup does
 * not run on one hot entry. Run with {@code -prof gc} to see the allocation per packet (DESIGN: zero).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class WorkerPacketPathBenchmark {
    private static final int IF_INDEX = 7;
    private static final int FRAMES = 1_024;
    private static final int PAYLOAD_BYTES = 1_200;
    private static final int INPUT_GROUP_BASE = 0xEF01_0000; // as BenchmarkRules
    private static final int SOURCE_BASE = 0x0A00_0001;      // as BenchmarkRules: sources of the SSM rules
    private static final int INPUT_PORT = 5000;

    @Param({"1000", "65536"})
    public int ruleCount;

    private WorkerAgent agent;
    private PacketIo.CompletionHandler completions;
    private RecordingIo io;
    private UnsafeBuffer[] frames;
    private int[] lengths;
    private int next;

    /** Records sends for completion; allocates nothing after construction. */
    private static final class RecordingIo implements PacketIo {
        private final long[] userData = new long[64];
        private final int[] bytes = new int[64];
        private int pending;

        @Override
        public int attachInput(final String interfaceName, final PassedDescriptor socket) {
            socket.close();
            throw new UnsupportedOperationException("one fixed input");
        }

        @Override
        public boolean releaseInput(final String interfaceName) {
            return true;
        }

        @Override
        public int interfaceIndex(final String interfaceName) {
            return interfaceName.equals("eth0") ? IF_INDEX : 100 + interfaceName.length();
        }

        @Override
        public long interfacesVersion() {
            return 1;
        }

        @Override
        public int openDestination(final String interfaceName, final byte[] groupAddress, final int port,
            final int ttl) {
            return port;
        }

        @Override
        public java.util.List<InputCounts> inputCounts() {
            return java.util.List.of();
        }

        @Override
        public int pollSendErrors(final SendErrorHandler handler, final int limit) {
            return 0;
        }

        @Override
        public void closeDestination(final int destination) {
        }

        @Override
        public int send(final int destination, final DirectBuffer payload, final int offset, final int length,
            final long data) {
            if (pending == userData.length) {
                return SEND_QUEUE_FULL;
            }
            userData[pending] = data;
            bytes[pending++] = length;
            return 0;
        }

        @Override
        public int sendCapacity() {
            return userData.length - pending;
        }

        @Override
        public int submit() {
            return 0;
        }

        @Override
        public int pollFrames(final FrameHandler handler, final int limit) {
            return 0;
        }

        @Override
        public int pollCompletions(final CompletionHandler handler, final int limit) {
            final int count = Math.min(pending, limit);
            for (int i = 0; i < count; i++) {
                handler.onSendComplete(userData[i], bytes[i]);
            }
            pending = 0;
            return count;
        }

        @Override
        public void close() {
        }
    }

    @Setup
    public void build() {
        final List<Rule> rules = BenchmarkRules.rules(ruleCount);
        io = new RecordingIo();
        // The timers are never polled here: heartbeats are not on the packet path.
        agent = new WorkerAgent(WorkerAgent.Config.defaults(0),
            new OneSyncChannel(WorkerMessageCodec.toBytes(new WorkerMessage.Sync(1, rules))), io, new WheelTimers(0));
        completions = agent::onSendComplete;
        agent.start(0);
        agent.doWork(1);
        if (agent.epoch() != 1 || agent.rules().size() != ruleCount) {
            throw new IllegalStateException("the worker did not take the Sync of " + ruleCount + " rules");
        }
        frames = new UnsafeBuffer[FRAMES];
        lengths = new int[FRAMES];
        final byte[] payload = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < FRAMES; i++) {
            final int rule = (int) ((long) i * ruleCount / FRAMES);
            frames[i] = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(PAYLOAD_BYTES, false)]);
            lengths[i] = UdpFrameEncoder.write(frames[i], 0, -1, SOURCE_BASE + rule, INPUT_GROUP_BASE + rule, 40_000,
                INPUT_PORT, 8, payload);
        }
        // A frame that matched nothing would time the unmatched path: check every one is forwarded.
        final long before = agent.totals().matched();
        for (int i = 0; i < FRAMES; i++) {
            forward(i);
        }
        if (agent.totals().matched() - before != FRAMES) {
            throw new IllegalStateException("only " + (agent.totals().matched() - before) + " of " + FRAMES
                + " frames matched a rule");
        }
    }

    private void forward(final int frame) {
        agent.onFrame(IF_INDEX, frames[frame], 0, lengths[frame]);
        io.pollCompletions(completions, 64);
    }

    /** One frame received, matched, sent to its outputs, and its sends completed. */
    @Benchmark
    public void forwardOnePacket() {
        forward(next);
        next = (next + 1) & (FRAMES - 1);
    }
}
