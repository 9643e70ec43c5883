package io.mcrelay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.traffic.Sink;
import io.mcrelay.traffic.SinkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mcrelay sink}: receive a traffic-kit run (what {@code mcrelay gen} sends) and say whether every packet
 * arrived once, intact and in order. Exit 0 when it did, 1 when not (the summary says what), 2 for bad arguments.
 */
@Command(name = "sink",
    description = {
        "Receive traffic-kit packets (as 'mcrelay gen' sends them) on one socket per flow, flow i on port P+i, joined"
            + " to group G on interface IF (from source S only with --source), and check each: its run, flow,"
            + " sequence number and checksum. Datagrams sent to the ports as unicast are received too; a unicast G"
            + " joins nothing.",
        "The sink locks on the run of the first intact packet; packets of another run, and anything that is not a"
            + " traffic-kit packet, count as foreign. It stops when --expect packets arrived, after --timeout"
            + " seconds without any packet, or when interrupted (Ctrl-C), and prints what it counted: received"
            + " (unique and intact), lost (with --expect: the expected ones that did not arrive; without: the gaps"
            + " below each flow's highest sequence number), duplicates, reordered, corrupt, foreign, and"
            + " socket_drops: packets the sink's own sockets dropped because it read too slowly, which are not the"
            + " relay's fault; and burst_max: the most datagrams read from one socket in a row without finding it"
            + " empty (a bound on the largest bunch of packets that reached the sink at once); and delay: each"
            + " packet's transit time from the generator's send time to the kernel's receive time at the sink"
            + " (median, 99th and 99.9th percentiles, maximum; meaningful with 'mcrelay gen' on the same machine, whose"
            + " clock it shares), which a relay that holds packets and sends them in a bunch raises by the time it"
            + " held them. Each socket's receive"
            + " buffer is 8 MiB unless --receive-buffer says otherwise (set past net.core.rmem_max when run as"
            + " root).",
        "With --warmup the first run to arrive is a warm-up: checked, not counted; counting starts with the first"
            + " packet of the next run (send two 'mcrelay gen' runs: the warm-up, then the one to count), so that"
            + " neither the sink's JIT nor a relay's is measured cold.",
        "Exit 0 when packets arrived, each once, intact and in order, with none lost and none dropped by the sink;"
            + " 1 otherwise; 2 for bad arguments."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every expected packet arrived once, intact, in order", "1:something did not (see the summary),"
        + " or the sockets could not be opened", "2:usage error"})
public final class SinkCommand implements Callable<Integer> {
    /** Each socket's receive buffer: a few hundred milliseconds of a fast flow, so the sink itself rarely drops. */
    static final int RECEIVE_BUFFER_BYTES = 8 << 20;
    /** How long an interrupted sink may take to print its summary before the JVM exits anyway. */
    private static final long SUMMARY_WAIT_MS = 2_000;
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--group", required = true, paramLabel = "G",
        description = "The IPv4 multicast group to join, or a unicast address (then nothing is joined).")
    private String group;

    @Option(names = "--port", required = true, paramLabel = "P", description = "The UDP port of flow 0.")
    private int port;

    @Option(names = "--interface", required = true, paramLabel = "IF",
        description = "The interface to join the group on, e.g. eth0.")
    private String interfaceName;

    @Option(names = "--source", paramLabel = "S",
        description = "Receive the group from this source only (source-specific multicast, IGMPv3).")
    private String source;

    @Option(names = "--flows", paramLabel = "N", defaultValue = "1",
        description = "Flows to receive, 1 to 1024: flow i on port P+i (default: ${DEFAULT-VALUE}).")
    private int flows;

    @Option(names = "--expect", paramLabel = "N",
        description = "Packets expected in all flows together: stop as soon as that many arrived, and count those"
            + " that did not as lost.")
    private Long expect;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "5",
        description = "Stop after S seconds without any packet (default: ${DEFAULT-VALUE}); fractions allowed.")
    private double timeoutSeconds;

    @Option(names = "--record", paramLabel = "FILE",
        description = "Write every packet received to FILE (the run-record format the history checker reads).")
    private Path record;

    @Option(names = "--json", description = "Print the counts as one JSON object, for scripts.")
    private boolean json;

    @Option(names = "--warmup",
        description = "Treat the first run that arrives as a warm-up: check it, count nothing of it, and count the"
            + " next run.")
    private boolean warmup;

    @Option(names = "--run-id", paramLabel = "HEX",
        description = "Count this run only (16 hex digits, as 'mcrelay gen --run-id' takes and every gen prints):"
            + " other runs are foreign, and counting, drops and bursts start at its first packet.")
    private String runIdHex;

    @Option(names = "--receive-buffer", paramLabel = "BYTES", defaultValue = "" + RECEIVE_BUFFER_BYTES,
        description = "Each socket's receive buffer in bytes, 0 to 1073741824; 0 keeps the system's default, as an"
            + " ordinary receiver would (default: ${DEFAULT-VALUE}).")
    private int receiveBufferBytes;

    /** The largest --receive-buffer: the kernel keeps int-sized buffer sizes and doubles what it is asked. */
    static final int RECEIVE_BUFFER_BYTES_MAX = 1 << 30;

    @Override
    public Integer call() throws IOException {
        final Inet4Address groupAddress = ipv4("--group", group);
        final Inet4Address sourceAddress = source == null ? null : ipv4("--source", source);
        checkArguments(groupAddress, sourceAddress);
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (Writer recordWriter = record == null ? null : Files.newBufferedWriter(record, StandardCharsets.UTF_8)) {
            final Sink sink = new Sink(flows, expect == null ? -1 : expect, recordWriter, warmup,
                GenCommand.runIdOf(runIdHex));
            final SinkSession.Summary summary;
            try (SinkSession session = open(groupAddress, sourceAddress)) {
                if (session == null) {
                    return ExitCodes.FAILED;
                }
                summary = runUntilDone(session, sink, out);
            }
            return summary.clean() ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (final IOException e) {
            err.println("mcrelay: cannot write " + record + ": " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage()));
            return ExitCodes.FAILED;
        }
    }

    private SinkSession open(final Inet4Address groupAddress, final Inet4Address sourceAddress) {
        try {
            return SinkSession.open(new SinkSession.Config(interfaceName, groupAddress, sourceAddress, port, flows,
                receiveBufferBytes));
        } catch (final RuntimeException e) {
            spec.commandLine().getErr().println("mcrelay: cannot open the sink's sockets: " + e.getMessage());
            return null;
        }
    }

    /**
     * Runs the session; an interrupt (Ctrl-C) stops it and waits for the summary to be printed, so that an
     * interrupted run still says what it counted.
     */
    private SinkSession.Summary runUntilDone(final SinkSession session, final Sink sink, final PrintWriter out) {
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch printed = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                printed.await(SUMMARY_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mcrelay-sink-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            final long timeoutNs = (long) Math.ceil(timeoutSeconds * 1e9);
            final SinkSession.Summary summary = session.run(sink, timeoutNs,
                () -> stop.get() || Thread.currentThread().isInterrupted(), System::nanoTime);
            print(summary, out);
            out.flush();
            return summary;
        } finally {
            printed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // The JVM is shutting down (the interrupt): the hook is running and ends on its own.
            }
        }
    }

    private void checkArguments(final Inet4Address groupAddress, final Inet4Address sourceAddress) {
        if (port < 1 || port > 65_535) {
            throw usage("invalid --port: " + port + " is not a UDP port (1 to 65535)");
        }
        if (flows < 1 || flows > 1024) {
            throw usage("invalid --flows: " + flows + " (1 to 1024)");
        }
        if (port + flows - 1 > 65_535) {
            throw usage("invalid --flows: " + flows + " flows from --port " + port + " need ports up to "
                + (port + flows - 1) + ", beyond 65535");
        }
        if (expect != null && expect < 1) {
            throw usage("invalid --expect: " + expect + " (at least 1)");
        }
        if (runIdHex != null && GenCommand.runIdOf(runIdHex) == null) {
            throw usage("invalid --run-id: \"" + runIdHex + "\" is not 16 hex digits");
        }
        if (receiveBufferBytes < 0 || receiveBufferBytes > RECEIVE_BUFFER_BYTES_MAX) {
            throw usage("invalid --receive-buffer: " + receiveBufferBytes + " (bytes, 0 to " + RECEIVE_BUFFER_BYTES_MAX
                + "; 0 keeps the system's default)");
        }
        if (!(timeoutSeconds > 0) || timeoutSeconds > 86_400 * 365) {
            throw usage("invalid --timeout: " + timeoutSeconds + " (seconds, more than 0)");
        }
        if (sourceAddress != null && !groupAddress.isMulticastAddress()) {
            throw usage("invalid --group: " + group + " is not a multicast group, and --source " + source
                + " needs one (224.0.0.0 to 239.255.255.255)");
        }
        if (sourceAddress != null && (sourceAddress.isMulticastAddress() || sourceAddress.isAnyLocalAddress())) {
            throw usage("invalid --source: " + source + " is not a unicast address");
        }
        try {
            if (NetworkInterface.getByName(interfaceName) == null) {
                throw usage("invalid --interface: there is no interface \"" + interfaceName + "\" here (see 'ip link')");
            }
        } catch (final SocketException e) {
            throw usage("invalid --interface: cannot look up \"" + interfaceName + "\": " + e.getMessage());
        }
    }

    /** A dotted-quad IPv4 literal; never a name to resolve. */
    private Inet4Address ipv4(final String option, final String text) {
        final Matcher matcher = IPV4.matcher(text);
        if (!matcher.matches()) {
            throw usage("invalid " + option + ": \"" + text + "\" is not an IPv4 address (a.b.c.d)");
        }
        final byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            final int octet = Integer.parseInt(matcher.group(i + 1));
            if (octet > 255) {
                throw usage("invalid " + option + ": \"" + text + "\" is not an IPv4 address (each part 0 to 255)");
            }
            bytes[i] = (byte) octet;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    private CommandLine.ParameterException usage(final String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private void print(final SinkSession.Summary summary, final PrintWriter out) {
        final String runId = summary.runLocked() ? String.format("%016x", summary.runId()) : null;
        if (json) {
            out.println("{\"run_id\":" + (runId == null ? "null" : '"' + runId + '"')
                + ",\"received\":" + summary.received() + ",\"lost\":" + summary.lost()
                + ",\"duplicates\":" + summary.duplicates() + ",\"reordered\":" + summary.reordered()
                + ",\"corrupt\":" + summary.corrupt() + ",\"foreign\":" + summary.foreign()
                + ",\"socket_drops\":" + summary.socketDrops() + ",\"burst_max\":" + summary.burstMax()
                + ",\"delay_us\":{\"p50\":" + summary.delay().p50Us() + ",\"p99\":" + summary.delay().p99Us()
                + ",\"p99_9\":" + summary.delay().p999Us() + ",\"max\":" + summary.delay().maxUs() + "}"
                + ",\"warmup_only\":" + summary.warmupOnly() + "}");
            return;
        }
        out.println("run:          " + (runId == null ? "none (no intact traffic-kit packet arrived)" : runId));
        out.println("received:     " + summary.received()
            + (summary.expected() > 0 ? " of " + summary.expected() + " expected" : ""));
        out.println("lost:         " + summary.lost());
        out.println("duplicates:   " + summary.duplicates());
        out.println("reordered:    " + summary.reordered());
        out.println("corrupt:      " + summary.corrupt());
        out.println("foreign:      " + summary.foreign());
        out.println("socket_drops: " + summary.socketDrops() + " (receive buffer " + summary.receiveBufferBytes()
            + " bytes per socket, set with " + (summary.receiveBufferForced() ? "SO_RCVBUFFORCE" : "SO_RCVBUF") + ")");
        out.println("burst_max:    " + summary.burstMax() + " (the most datagrams read from one socket in a row)");
        out.println("delay:        " + (summary.delay().count() == 0 ? "none measured" : "median "
            + micros(summary.delay().p50Us()) + ", 99% " + micros(summary.delay().p99Us()) + ", 99.9% "
            + micros(summary.delay().p999Us()) + ", max " + micros(summary.delay().maxUs())
            + " (send to arrival, same machine)"));
        out.println("ended:        " + switch (summary.end()) {
            case EXPECTED -> "every expected packet arrived";
            case IDLE -> "no packet for " + timeoutSeconds + " s";
            case STOPPED -> "interrupted";
        });
        out.println("result:       " + verdict(summary));
    }

    private static String micros(final long us) {
        return us < 10_000 ? us + " µs" : String.format(Locale.ROOT, "%.1f ms", us / 1000.0);
    }

    private String verdict(final SinkSession.Summary summary) {
        if (summary.clean()) {
            return "ok: every packet arrived once, intact, in order";
        }
        if (summary.warmupOnly() && runIdHex != null) {
            return "FAILED: no packet of run " + runIdHex.toLowerCase(Locale.ROOT) + " arrived";
        }
        if (summary.warmupOnly()) {
            return "FAILED: only the warm-up run arrived; no run after it was counted";
        }
        if (summary.received() == 0) {
            return "FAILED: no intact packet of a traffic-kit run arrived";
        }
        final List<String> problems = new ArrayList<>();
        if (summary.lost() > 0) {
            problems.add(summary.lost() + " lost");
        }
        if (summary.duplicates() > 0) {
            problems.add(summary.duplicates() + " duplicated");
        }
        if (summary.reordered() > 0) {
            problems.add(summary.reordered() + " reordered");
        }
        if (summary.corrupt() > 0) {
            problems.add(summary.corrupt() + " corrupt");
        }
        if (summary.socketDrops() > 0) {
            problems.add(summary.socketDrops() + " dropped by the sink's own sockets (the sink read too slowly: that"
                + " loss is the sink's, not the relay's)");
        }
        return "FAILED: " + String.join(", ", problems);
    }
}
