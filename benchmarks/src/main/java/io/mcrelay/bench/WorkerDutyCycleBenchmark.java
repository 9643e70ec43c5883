package io.mcrelay.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.PlainPacketSocket;
import io.mcrelay.linux.packet.RingGeometry;
import io.mcrelay.linux.packetio.EpollPacketIo;
import io.mcrelay.linux.packetio.IoUringPacketIo;
import io.mcrelay.linux.packetio.RingInput;
import io.mcrelay.linux.packetio.RingIoConfig;
import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.NetworkNamespaces;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.PacketIo;

/**
 * The worker's real loop on the real kernel: {@link WorkerAgent#doWork} (commands, completions, send errors, frames,
 * timers, submit) over an {@link IoUringPacketIo} (or the {@link EpollPacketIo} fallback) reading a {@code TPACKET_V3} ring on a veth and sending with
 * {@code sendmmsg} out of another, in three network namespaces this benchmark makes at setup and removes at
 * teardown, while a thread floods the input with frames of one rule (1 output). One operation is one packet
 * received, matched, sent and its completion counted. With {@code -prof gc} it shows the allocation per packet of
 * the whole duty cycle (DESIGN: zero).
 *
 * <p>Needs root. The time is this thread's only: the kernel's receive path and the veth's delivery run on other
 * CPUs (softirq), and when the flooding thread is slower than the loop the time is the flood's pace. Compare it with
 * itself across versions, on an idle machine; the end-to-end benchmark ({@code e2e.sh}) is the one that compares
 * relays.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class WorkerDutyCycleBenchmark {
    private static final int BATCH = 1_024;
    private static final long HANG_GUARD_NS = TimeUnit.SECONDS.toNanos(10);

    @Param({"64", "1200"})
    public int payloadBytes;

    /** The packet backend: io_uring, or the epoll fallback (the same ring read in place, sendmmsg). */
    @Param({"io_uring", "epoll"})
    public String backend;

    private final List<String> namespaces = new ArrayList<>();
    private PacketIo io;
    private WorkerAgent agent;
    private long now = 1;
    private int injectFd = -1;
    private Thread injector;
    private volatile boolean stop;

    @Setup(Level.Trial)
    public void build() throws Exception {
        try {
            buildWorld();
        } catch (final Exception | Error e) {
            tearDown(); // JMH does not tear down after a failed setup: leave no namespace behind
            throw e;
        }
    }

    private void buildWorld() throws Exception {
        if (!"0".equals(run("id", "-u").strip())) {
            throw new IllegalStateException("WorkerDutyCycleBenchmark needs root: it makes network namespaces");
        }
        final String tag = "mcrjmh" + ProcessHandle.current().pid();
        final String source = tag + "s";
        final String relay = tag + "r";
        final String sink = tag + "k";
        for (final String name : List.of(source, relay, sink)) {
            run("ip", "netns", "add", name);
            namespaces.add(name);
            run("ip", "-n", name, "link", "set", "lo", "up");
        }
        run("ip", "link", "add", "in0", "netns", relay, "type", "veth", "peer", "name", "in0p", "netns", source);
        run("ip", "link", "add", "out0", "netns", relay, "type", "veth", "peer", "name", "out0p", "netns", sink);
        run("ip", "-n", relay, "addr", "add", "10.78.1.1/24", "dev", "out0");
        run("ip", "-n", sink, "addr", "add", "10.78.1.2/24", "dev", "out0p");
        run("ip", "-n", relay, "link", "set", "in0", "up");
        run("ip", "-n", relay, "link", "set", "out0", "up");
        run("ip", "-n", source, "link", "set", "in0p", "up");
        run("ip", "-n", sink, "link", "set", "out0p", "up");

        final Path relayNamespace = NetworkNamespaces.named(relay);
        final RingGeometry geometry = RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES);
        io = NetworkNamespaces.callIn(relayNamespace, () -> {
            final PacketRxRing ring = PacketRxRing.open("in0", geometry.blockBytes(), geometry.blocks(),
                geometry.retireMillis());
            try {
                final List<RingInput> inputs = List.of(new RingInput("in0", ring));
                if ("epoll".equals(backend)) {
                    return (PacketIo) EpollPacketIo.open(inputs, RingIoConfig.DEFAULT);
                }
                return (PacketIo) IoUringPacketIo.open(inputs, RingIoConfig.DEFAULT);
            } catch (final RuntimeException e) {
                ring.close();
                throw e;
            }
        });
        final Rule rule = new Rule(new RuleId("bench"), null,
            new RuleInput("in0", IpAddress.parse("239.1.1.1"), 5000, null),
            List.of(new RuleOutput(IpAddress.parse("239.9.9.9"), 6000, "out0", 0)));
        // Heartbeats (which allocate by design) are an hour away on the agent's clock: one tick per cycle.
        agent = new WorkerAgent(new WorkerAgent.Config(0, TimeUnit.HOURS.toNanos(1), 16, 256, 1024),
            new OneSyncChannel(WorkerMessageCodec.toBytes(new WorkerMessage.Sync(1, List.of(rule)))), io,
            new WheelTimers(0));
        agent.start(0);
        // The Sync opens the output's socket: in the relay's namespace, as a worker's thread is.
        NetworkNamespaces.callIn(relayNamespace, () -> agent.doWork(now++));
        if (agent.epoch() != 1) {
            throw new IllegalStateException("the worker did not take its Sync");
        }

        injectFd = NetworkNamespaces.callIn(NetworkNamespaces.named(source),
            () -> PlainPacketSocket.open("in0p"));
        final byte[] frame = new byte[UdpFrameEncoder.frameLength(payloadBytes, false)];
        final int length = UdpFrameEncoder.write(new UnsafeBuffer(frame), 0, -1, 0x0A00_0001, 0xEF01_0101, 40_000,
            5000, 8, new byte[payloadBytes]);
        injector = Thread.ofPlatform().name("flood").daemon().start(() -> flood(frame, length));
        // The first frames must come through before anything is timed: a setup that forwards nothing fails here.
        final long target = agent.framesReceived() + BATCH;
        final long deadline = System.nanoTime() + HANG_GUARD_NS;
        while (agent.framesReceived() < target) {
            agent.doWork(now++);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no frame reached the worker within 10 s");
            }
        }
        if (agent.totals().matched() == 0) {
            throw new IllegalStateException("the frames did not match the rule: " + agent.counters());
        }
    }

    /** Puts the frame on {@code in0p} until {@link #stop}, 32 sends in flight through an io_uring of its own. */
    private void flood(final byte[] frame, final int length) {
        try (IoUring ring = IoUring.open(64); Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(length);
            MemorySegment.copy(frame, 0, segment, ValueLayout.JAVA_BYTE, 0, length);
            final IoUring.CompletionHandler ignore = (userData, result, flags) -> { };
            int inFlight = 0;
            while (!stop) {
                while (inFlight < 32 && ring.prepareSend(injectFd, segment, length, 0, 0)) {
                    inFlight++;
                }
                ring.submit(1);
                inFlight -= ring.pollCompletions(ignore, 64);
            }
        }
    }

    /** 1,024 frames through the duty cycle; the result keeps the JIT from dropping the work. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long forwardThroughTheDutyCycle() {
        final long target = agent.framesReceived() + BATCH;
        final long deadline = System.nanoTime() + HANG_GUARD_NS;
        while (agent.framesReceived() < target) {
            if (agent.doWork(now++) == 0 && System.nanoTime() > deadline) {
                throw new IllegalStateException("the flood stopped: no frame for 10 s");
            }
        }
        return agent.framesReceived();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        stop = true;
        if (injector != null) {
            injector.join(TimeUnit.SECONDS.toMillis(10));
        }
        if (injectFd >= 0) {
            UnixSockets.close(injectFd);
        }
        if (io != null) {
            io.close();
        }
        for (final String name : namespaces) {
            run("ip", "netns", "del", name);
        }
        namespaces.clear();
    }

    /** Runs a command and returns its output; throws with it when it fails. */
    private static String run(final String... command) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.strip());
        }
        return output;
    }
}
