package io.mcrelay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.traffic.Generator;
import io.mcrelay.traffic.HistoryFile;
import io.mcrelay.traffic.SendSchedule;
import io.mcrelay.traffic.TrafficPayload;
import io.mcrelay.traffic.UdpFlows;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mcrelay gen}: the traffic kit's rate-controlled sender (see {@link Generator}). */
@Command(name = "gen",
    description = {
        "Send test traffic: UDP packets whose payload names this run, the flow and a sequence number, the send time "
            + "and a checksum, so that 'mcrelay sink' (or any receiver using the traffic kit) can tell what was lost, "
            + "duplicated, reordered or corrupted on the way.",
        "",
        "Flow i (0 to N-1) is its own socket sending to G:(P+i), so that flows spread over a relay's workers. "
            + "Packets take turns over the flows at --rate packets per second in all; each flow's sequence numbers "
            + "count from 0. G may be a multicast group (sent with multicast TTL 1, the kernel's default, unless --ttl "
            + "says otherwise; multicast loopback on, so receivers on this host see it) or a unicast address. The "
            + "packets leave through IF.",
        "",
        "Runs until --count packets are sent, or until interrupted (Ctrl-C), and then prints one line: 'sent N "
            + "packets in T s (R packets/s) to G:P..P+N-1 on IF, run RUNID' (or a JSON object with --json). A full "
            + "send buffer (EAGAIN) or device queue (ENOBUFS) is counted and the packets are tried again; any other "
            + "send error is counted and its packet given up.",
        "",
        "With --warmup N, N packets of another run (the run id's bits inverted; not recorded, not in the summary) go first at "
            + "--warmup-rate, then a pause (--warmup-pause, " + GenCommand.WARMUP_PAUSE_MS + " ms by default), then the run itself from the "
            + "same process: the sender's JIT has compiled its loop before the counted run starts, and a sink told "
            + "the run's id (--run-id) counts only that run.",
        "",
        "Example: mcrelay gen --group 239.1.1.1 --port 5000 --interface eth0 --rate 10000 --count 100000 --flows 4"},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every packet asked for was sent (an interrupted run prints its line, then exits as its signal says)",
        "1:a socket could not be set up, the record could not be written, or a packet was given up after an error",
        "2:usage error (a bad option value, an unknown interface)"})
public final class GenCommand implements Callable<Integer> {
    /** The default pause between a warm-up and the run, for what the warm-up left in buffers to drain. */
    static final long WARMUP_PAUSE_MS = 200;
    /** The longest pause taken. */
    static final long WARMUP_PAUSE_MS_MAX = 60_000;

    /** How long an interrupted run gets to finish its turn and print its line before the JVM exits. */
    static final long SHUTDOWN_WAIT_MS = 2_000;

    @Spec
    private CommandSpec spec;

    @Option(names = "--group", paramLabel = "G", required = true,
        description = "Destination IPv4 address: a multicast group, or a unicast address.")
    private String group;

    @Option(names = "--port", paramLabel = "P", required = true,
        description = "Destination port of flow 0; flow i sends to P+i (P+N-1 must be at most 65535).")
    private int port;

    @Option(names = "--interface", paramLabel = "IF", required = true,
        description = "The interface the packets leave through, e.g. eth0.")
    private String interfaceName;

    @Option(names = "--source-port", paramLabel = "P", defaultValue = "0",
        description = "Local port of every flow's socket, 1 to 65535 (default: one the kernel picks for each flow).")
    private int sourcePort;

    @Option(names = "--rate", paramLabel = "PPS", defaultValue = "1000",
        description = "Packets per second over all flows, 1 to 100000000 (default: ${DEFAULT-VALUE}).")
    private long ratePps;

    @Option(names = "--count", paramLabel = "N",
        description = "Packets to send over all flows, at least 1 (default: until interrupted).")
    private Long count;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "200",
        description = "UDP payload of each packet, 38 to 65507 bytes (default: ${DEFAULT-VALUE}).")
    private int sizeBytes;

    @Option(names = "--flows", paramLabel = "N", defaultValue = "1",
        description = "Flows, 1 to 1024 (default: ${DEFAULT-VALUE}).")
    private int flows;

    @Option(names = "--ttl", paramLabel = "TTL", defaultValue = "" + UdpFlows.MULTICAST_TTL,
        description = "Multicast TTL, 0 to 255 (default: ${DEFAULT-VALUE}, which keeps a group on its link; a"
            + " multicast router such as kernel forwarding passes on only packets with a TTL above 1).")
    private int ttl;

    @Option(names = "--run-id", paramLabel = "HEX",
        description = "The run's id, 16 hex digits (default: a random one), so that a receiver told it in advance"
            + " ('mcrelay sink --run-id') counts this run and nothing else.")
    private String runIdHex;

    @Option(names = "--warmup", paramLabel = "N",
        description = "Send N packets of another run first, then pause (see above; default: none).")
    private Long warmupCount;

    @Option(names = "--warmup-pause", paramLabel = "MS",
        description = "Milliseconds between the warm-up and the run, 0 to 60000 (default: " + WARMUP_PAUSE_MS
            + "): time for what the warm-up left queued in a relay or a receiver to drain before the run.")
    private Long warmupPauseMs;

    @Option(names = "--warmup-rate", paramLabel = "PPS",
        description = "Packets per second of the warm-up, 1 to 100000000 (default: --rate).")
    private Long warmupRatePps;

    @Option(names = "--record", paramLabel = "FILE",
        description = "Write the run's record to FILE (replaced if it exists): the history header, then one 'S FLOW "
            + "SEQ SENT_NS' line per packet sent, which the history checker reads with a sink's record.")
    private Path record;

    @Option(names = "--json", description = "Print the result as one JSON object, for scripts.")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    /** The largest flow count: each flow is a socket, and this is far beyond any relay's worker count. */
    static final int FLOWS_MAX = 1024;

    @Override
    public Integer call() {
        final Inet4Address destination = checkArguments();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final long runId = runIdHex == null ? new SecureRandom().nextLong() : parseRunId(runIdHex);
        final long countMax = count == null ? Long.MAX_VALUE : count;
        final Generator.Config config = new Generator.Config(flows, countMax, sizeBytes, ratePps, runId);
        final String target = destination.getHostAddress() + ':' + port + (flows == 1 ? "" : ".." + (port + flows - 1))
            + " on " + interfaceName;
        try (UdpFlows output = new UdpFlows(destination, port, flows, interfaceName, sourcePort, sizeBytes,
            ttl);
             Writer recordWriter = record == null ? null : Files.newBufferedWriter(record, StandardCharsets.UTF_8)) {
            // The warm-up and the run share the clock, the park and (without a record) the listener, instance for
            // instance: a lambda of its own for each would give the run's send loop receiver classes the warm-up's
            // compiled code never saw, and the run would start by recompiling it on the sender's CPU.
            final Generator.Listener quiet = (flow, firstSeq, sent, sentNs) -> { };
            final Generator.Listener listener = recordWriter == null ? quiet : recorder(recordWriter);
            final LongSupplier clockNs = System::nanoTime;
            final LongConsumer parkNs = LockSupport::parkNanos;
            if (recordWriter != null) {
                HistoryFile.writeHeader(recordWriter);
            }
            final Generator generator = new Generator(config, output, listener, clockNs, parkNs);
            final Generator warmup = warmupCount == null ? null : new Generator(new Generator.Config(flows,
                warmupCount, sizeBytes, warmupRatePps == null ? ratePps : warmupRatePps, ~runId),
                output, quiet, clockNs, parkNs);
            final Generator.Result result = stoppedOnShutdown(generator, warmup, err, target, () -> {
                if (warmup != null && warmup.run().sent() > 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(
                        warmupPauseMs == null ? WARMUP_PAUSE_MS : warmupPauseMs));
                }
                final Generator.Result run = generator.run();
                if (recordWriter != null) {
                    flush(recordWriter); // before the line: after it, an interrupted JVM may exit at once
                }
                out.println(summary(run, runId, target));
                out.flush();
                return run;
            });
            return result.given() == 0 ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (final UdpFlows.SetupException e) {
            err.println("mcrelay: cannot send to " + target + ": " + e.getMessage());
            return ExitCodes.FAILED;
        } catch (final IOException | UncheckedIOException e) {
            err.println("mcrelay: cannot write the record " + record + ": " + e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    /**
     * Runs {@code body} (which runs the warm-up, if any, and the generator, and prints its line) with a shutdown
     * hook: on Ctrl-C the hook stops both and holds the JVM's exit until the body is done, at most
     * {@link #SHUTDOWN_WAIT_MS}.
     */
    private static Generator.Result stoppedOnShutdown(final Generator generator, final Generator warmup,
        final PrintWriter err, final String target, final Supplier<Generator.Result> body) {
        final CountDownLatch finished = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            if (warmup != null) {
                warmup.stop();
            }
            generator.stop();
            try {
                finished.await(SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mcrelay-gen-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        final Progress progress = Progress.start(err, "sending to " + target + " (Ctrl-C stops)");
        try {
            return body.get();
        } finally {
            progress.done();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // The JVM is shutting down (Ctrl-C): the hook is running and has just been released.
            }
        }
    }

    private static void flush(final Writer writer) {
        try {
            writer.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Generator.Listener recorder(final Writer writer) {
        return (flow, firstSeq, sent, sentNs) -> {
            try {
                for (int i = 0; i < sent; i++) {
                    HistoryFile.writeSent(writer, flow, firstSeq + i, sentNs);
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private String summary(final Generator.Result result, final long runId, final String target) {
        final String runIdHex = String.format(Locale.ROOT, "%016x", runId);
        final double durationS = result.durationNs() / 1e9;
        if (json) {
            final Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("sent", result.sent());
            fields.put("given_up", result.given());
            fields.put("errors", result.errors());
            fields.put("run_id", runIdHex);
            fields.put("duration_s", Math.round(durationS * 1e6) / 1e6);
            fields.put("rate_pps", Math.round(result.ratePps() * 10) / 10.0);
            try {
                return ControlCodec.newMapper().writeValueAsString(fields);
            } catch (final JsonProcessingException e) {
                throw new IllegalStateException("cannot write the result as JSON", e);
            }
        }
        final StringBuilder line = new StringBuilder().append("sent ").append(result.sent())
            .append(result.sent() == 1 ? " packet" : " packets")
            .append(String.format(Locale.ROOT, " in %.3f s (%.0f packets/s) to ", durationS, result.ratePps()))
            .append(target).append(", run ").append(runIdHex);
        if (!result.errors().isEmpty()) {
            line.append("; send errors:");
            result.errors().forEach((name, n) -> line.append(' ').append(name).append(' ').append(n));
            line.append(", ").append(result.given()).append(" given up");
        }
        return line.toString();
    }

    /** Sixteen hex digits, as {@code gen} prints a run id and {@code sink} takes one; null when it is not that. */
    static Long runIdOf(final String text) {
        if (text == null || !text.matches("[0-9a-fA-F]{16}")) {
            return null;
        }
        return Long.parseUnsignedLong(text, 16);
    }

    private long parseRunId(final String text) {
        final Long runId = runIdOf(text);
        if (runId == null) {
            throw usage("--run-id must be 16 hex digits such as 0123456789abcdef, not '" + text + "'");
        }
        return runId;
    }

    /** Validates every option before any socket is opened; a bad one exits 2 naming it. */
    private Inet4Address checkArguments() {
        final Inet4Address destination;
        try {
            destination = Inet4Address.ofLiteral(group);
        } catch (final IllegalArgumentException e) {
            throw usage("--group must be an IPv4 address such as 239.1.1.1, not '" + group + "'");
        }
        if (destination.isAnyLocalAddress()) {
            throw usage("--group must be a destination, not " + group);
        }
        if (port < 1 || port > 65_535) {
            throw usage("--port must be 1 to 65535, not " + port);
        }
        if (flows < 1 || flows > FLOWS_MAX) {
            throw usage("--flows must be 1 to " + FLOWS_MAX + ", not " + flows);
        }
        if (port + flows - 1 > 65_535) {
            throw usage("--port " + port + " with --flows " + flows + " needs ports up to " + (port + flows - 1)
                + ", beyond 65535");
        }
        if (sourcePort < 0 || sourcePort > 65_535) {
            throw usage("--source-port must be 1 to 65535, not " + sourcePort);
        }
        if (runIdHex != null) {
            parseRunId(runIdHex);
        }
        if (ttl < 0 || ttl > 255) {
            throw usage("--ttl must be 0 to 255, not " + ttl);
        }
        if (ratePps < 1 || ratePps > SendSchedule.RATE_MAX_PPS) {
            throw usage("--rate must be 1 to " + SendSchedule.RATE_MAX_PPS + " packets/s, not " + ratePps);
        }
        if (count != null && count < 1) {
            throw usage("--count must be at least 1, not " + count);
        }
        if (warmupCount != null && warmupCount < 1) {
            throw usage("--warmup must be at least 1 packet, not " + warmupCount);
        }
        if (warmupRatePps != null && (warmupRatePps < 1 || warmupRatePps > SendSchedule.RATE_MAX_PPS)) {
            throw usage("--warmup-rate must be 1 to " + SendSchedule.RATE_MAX_PPS + " packets/s, not "
                + warmupRatePps);
        }
        if (warmupPauseMs != null && (warmupPauseMs < 0 || warmupPauseMs > WARMUP_PAUSE_MS_MAX)) {
            throw usage("--warmup-pause must be 0 to " + WARMUP_PAUSE_MS_MAX + " ms, not " + warmupPauseMs);
        }
        if (warmupPauseMs != null && warmupCount == null) {
            throw usage("--warmup-pause needs --warmup N (the warm-up's packet count)");
        }
        if (warmupRatePps != null && warmupCount == null) {
            throw usage("--warmup-rate needs --warmup N (the warm-up's packet count)");
        }
        if (sizeBytes < TrafficPayload.BYTES_MIN || sizeBytes > TrafficPayload.BYTES_MAX) {
            throw usage("--size must be " + TrafficPayload.BYTES_MIN + " to " + TrafficPayload.BYTES_MAX
                + " bytes, not " + sizeBytes);
        }
        if (!UdpFlows.interfaceExists(interfaceName)) {
            throw usage("--interface: there is no interface '" + interfaceName + "' here (see 'ip link')");
        }
        return destination;
    }

    private CommandLine.ParameterException usage(final String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
