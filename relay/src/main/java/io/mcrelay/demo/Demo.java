package io.mcrelay.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.linux.sys.NetworkNamespaces;
import io.mcrelay.traffic.Generator;
import io.mcrelay.traffic.Sink;
import io.mcrelay.traffic.SinkSession;
import io.mcrelay.traffic.UdpFlows;

/**
 * One run of {@code mcrelay demo} ({@link DemoCommand}): the topology ({@link DemoTopology}), the daemon started in
 * its relay namespace as a child process of this same jar ({@code ip netns exec ... mcrelay supervisor}, two
 * workers, its socket, journal and log in a private temporary directory), two rules added over the control socket,
 * one generator per rule in the source namespace and one receiver per output in the sink namespace (the traffic kit,
 * in this process, on threads of their own), a live line a second from the daemon's {@code stats}, and a report.
 *
 * <p><b>Cleaning up.</b> {@link #cleanUp} stops the traffic, stops the daemon (SIGTERM, which stops its workers;
 * SIGKILL after 15 s), deletes the namespaces and the directory: in the command's {@code finally}, and from a
 * shutdown hook on Ctrl-C (SIGINT, SIGTERM), whichever comes first; the other finds nothing left to do. Every wait
 * has a hang guard; nothing here is timed for a test.
 */
final class Demo {
    /** The command's options. */
    record Options(int seconds, int rate, int size) {
    }

    /** A rule of the demo and the outputs its receivers listen on. */
    private record Flow(String rule, String inputGroup, int inputPort, List<Output> outputs) {
    }

    private record Output(String group, int port) {
        String describe() {
            return group + ":" + port;
        }
    }

    private static final List<Flow> FLOWS = List.of(
        new Flow("translate", "239.1.1.1", 5000, List.of(new Output("239.2.2.2", 6000))),
        new Flow("fanout", "239.1.1.2", 5000, List.of(new Output("239.3.3.1", 7001), new Output("239.3.3.2", 7002),
            new Output("239.3.3.3", 7003))));
    private static final int WORKERS = 2;
    private static final long START_GUARD_NS = TimeUnit.SECONDS.toNanos(90);
    private static final long SINK_IDLE_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long SINK_GRACE_NS = TimeUnit.SECONDS.toNanos(5);
    private static final int BAR = 20;

    private final Options options;
    private final String ip;
    private final PrintWriter out;
    private final PrintWriter err;
    private final DemoTopology topology;
    private volatile boolean interrupted;
    private volatile boolean trafficStop;
    private boolean cleanedUp;

    // What exists, for cleanUp (guarded by this).
    private Path dir;
    private Process daemon;
    private ControlClient client;
    private final List<Generator> generators = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    Demo(final Options options, final String ip, final PrintWriter out, final PrintWriter err) {
        this.options = options;
        this.ip = ip;
        this.out = out;
        this.err = err;
        this.topology = new DemoTopology(ip, ProcessHandle.current().pid());
    }

    /** Marks the run interrupted and stops its traffic; true the first time. */
    boolean interrupt() {
        final boolean first = !interrupted;
        interrupted = true;
        trafficStop = true;
        synchronized (generators) {
            generators.forEach(Generator::stop);
        }
        return first;
    }

    /** The whole demo; returns the exit code. */
    int run() {
        try {
            return runSteps();
        } catch (final Exception e) {
            if (interrupted) {
                return 130;
            }
            err.println("mcrelay demo: " + e.getMessage());
            if (daemon != null && dir != null) {
                err.println("  the daemon's log (" + dir.resolve("daemon.log") + "), its last lines:");
                tail(dir.resolve("daemon.log"), 15).forEach(line -> err.println("    " + line));
            }
            return ExitCodes.FAILED;
        }
    }

    private int runSteps() throws Exception {
        for (final String orphan : DemoTopology.orphans(ip)) {
            DemoTopology.run(ip, "netns", "delete", orphan);
            out.println("removed " + orphan + ", left by an earlier demo that was killed");
        }
        out.println("mcrelay demo: building the topology " + topology.tag() + ": namespaces " + topology.source()
            + " (source, in0p), " + topology.relay() + " (relay, in0 and out0), " + topology.sink()
            + " (sink, out0p), two veth pairs");
        synchronized (this) {
            checkNotInterrupted();
            dir = Files.createTempDirectory("mcrelay-demo-");
            // The workers (another user) pass through it to their runtime directory.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            topology.create();
            daemon = startDaemon();
        }
        out.println("starting the daemon in " + topology.relay() + " with " + WORKERS + " workers (log: "
            + dir.resolve("daemon.log") + ")");
        out.flush();
        final ControlClient control = connect();
        awaitReadyWorkers(control);
        for (final Flow flow : FLOWS) {
            final List<RuleDocument.OutputDocument> outputs = flow.outputs().stream()
                .map(o -> new RuleDocument.OutputDocument(o.group(), o.port(), "out0", null)).toList();
            final ControlResponse answer = control.exchange(new ControlRequest.Add(control.nextRequestId(),
                new RuleDocument(flow.rule(), null, "in0", flow.inputGroup(), flow.inputPort(), null, outputs, null)));
            if (!(answer instanceof ControlResponse.RuleAdded)) {
                throw new IllegalStateException("the daemon refused rule " + flow.rule() + ": " + answer);
            }
            out.println("rule " + flow.rule() + ": in0 " + flow.inputGroup() + ":" + flow.inputPort() + " -> "
                + String.join(", ", flow.outputs().stream().map(Output::describe).toList()) + " on out0");
        }
        final long count = (long) options.rate() * options.seconds();
        final List<SinkSession> sessions = new ArrayList<>();
        final List<AtomicReference<SinkSession.Summary>> summaries = new ArrayList<>();
        for (final Flow flow : FLOWS) {
            for (final Output output : flow.outputs()) {
                final SinkSession session = NetworkNamespaces.callIn(NetworkNamespaces.named(topology.sink()),
                    () -> SinkSession.open(new SinkSession.Config("out0p", address(output.group()), null,
                        output.port(), 1, 8 << 20)));
                synchronized (this) {
                    closeables.add(session);
                }
                sessions.add(session);
                final AtomicReference<SinkSession.Summary> summary = new AtomicReference<>();
                summaries.add(summary);
                start("sink " + output.describe(), () -> summary.set(session.run(new Sink(1, count, null),
                    SINK_IDLE_NS, () -> trafficStop, System::nanoTime)));
            }
        }
        final List<AtomicReference<Generator.Result>> results = new ArrayList<>();
        final SecureRandom random = new SecureRandom();
        for (final Flow flow : FLOWS) {
            final UdpFlows udp = NetworkNamespaces.callIn(NetworkNamespaces.named(topology.source()),
                () -> new UdpFlows(address(flow.inputGroup()), flow.inputPort(), 1, "in0p", 0, options.size()));
            synchronized (this) {
                closeables.add(udp);
            }
            final Generator generator = new Generator(new Generator.Config(1, count, options.size(), options.rate(),
                random.nextLong()), udp, (f, firstSeq, sent, sentNs) -> { }, System::nanoTime,
                LockSupport::parkNanos);
            synchronized (generators) {
                generators.add(generator);
            }
            final AtomicReference<Generator.Result> result = new AtomicReference<>();
            results.add(result);
            checkNotInterrupted();
            start("generator " + flow.rule(), () -> result.set(generator.run()));
        }
        out.printf(Locale.ROOT, "sending %,d packets/s of %,d bytes into each rule for %d s%n", options.rate(),
            options.size(), options.seconds());
        final List<Long> pids = pids(control);
        final long cpuBefore = cpuTicks(pids);
        final long started = System.nanoTime();
        live(control, started, results);
        final long cpuAfter = cpuTicks(pids);
        // The receivers end when each has every packet, or after a grace period for what is still on its way.
        final long deadline = System.nanoTime() + SINK_GRACE_NS;
        while (summaries.stream().anyMatch(s -> s.get() == null) && System.nanoTime() < deadline && !interrupted) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        trafficStop = true;
        joinThreads();
        checkNotInterrupted();
        return report(results, summaries, settledStats(control, results), pids, cpuAfter - cpuBefore);
    }

    /** One line a second (redrawn in place on a terminal) until the generators are done. */
    private void live(final ControlClient control, final long started, final List<AtomicReference<Generator.Result>>
        results) throws Exception {
        final boolean terminal = System.console() != null;
        while (results.stream().anyMatch(r -> r.get() == null) && !interrupted) {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            if (interrupted) {
                break;
            }
            final ControlResponse.StatsReport stats = stats(control);
            final long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            final int filled = (int) Math.min(BAR, elapsed * BAR / options.seconds());
            final long in = stats.rules().stream().mapToLong(ControlResponse.RuleStats::packetsIn).sum();
            final long outCount = stats.rules().stream().flatMap(r -> r.outputs().stream())
                .mapToLong(ControlResponse.OutputStats::packetsOut).sum();
            final long perSecond = stats.rules().stream().mapToLong(ControlResponse.RuleStats::packetsInPerSecond)
                .sum();
            final String workers = String.join(", ", stats.workers().stream()
                .map(w -> w.index() + " " + w.state()).toList());
            final String text = String.format(Locale.ROOT, "[%s%s] %3d s  in %,d (%,d/s)  out %,d  workers: %s",
                "#".repeat(filled), "-".repeat(BAR - filled), elapsed, in, perSecond, outCount, workers);
            if (terminal) {
                out.print("\r" + text + "   ");
            } else {
                out.println(text);
            }
            out.flush();
        }
        if (terminal) {
            out.println();
        }
    }

    private int report(final List<AtomicReference<Generator.Result>> results,
        final List<AtomicReference<SinkSession.Summary>> summaries, final ControlResponse.StatsReport stats,
        final List<Long> pids, final long cpuTicks) {
        out.println();
        out.println("report");
        boolean clean = true;
        long expectedCopies = 0;
        long receivedCopies = 0;
        int output = 0;
        for (int f = 0; f < FLOWS.size(); f++) {
            final Flow flow = FLOWS.get(f);
            final Generator.Result sent = results.get(f).get();
            final long sentCount = sent == null ? 0 : sent.sent();
            final ControlResponse.RuleStats rule = stats.rules().stream().filter(r -> r.id().equals(flow.rule()))
                .findFirst().orElse(null);
            out.printf(Locale.ROOT, "  %-9s sent %,d; the relay took in %,d%n", flow.rule(), sentCount,
                rule == null ? 0 : rule.packetsIn());
            for (final Output target : flow.outputs()) {
                final SinkSession.Summary s = summaries.get(output++).get();
                expectedCopies += sentCount;
                if (s == null) {
                    clean = false;
                    out.printf(Locale.ROOT, "    %-15s no result%n", target.describe());
                    continue;
                }
                receivedCopies += s.received();
                final boolean whole = s.clean() && s.received() == sentCount;
                clean &= whole;
                out.printf(Locale.ROOT, "    %-15s received %,d  lost %,d  duplicates %,d  reordered %,d  corrupt %,d"
                    + "%s%n", target.describe(), s.received(), s.lost(), s.duplicates(), s.reordered(), s.corrupt(),
                    s.socketDrops() > 0 ? "  (the receiver's own socket dropped " + s.socketDrops() + ")" : "");
            }
        }
        final long in = stats.rules().stream().mapToLong(ControlResponse.RuleStats::packetsIn).sum();
        final double lossPercent = expectedCopies == 0 ? 0 : 100.0 * (expectedCopies - receivedCopies)
            / expectedCopies;
        out.printf(Locale.ROOT, "  loss: %,d of %,d copies (%.3f %%)%n", expectedCopies - receivedCopies,
            expectedCopies, lossPercent);
        if (in > 0) {
            out.printf(Locale.ROOT, "  relay CPU per packet in: %.1f us (the daemon's and its %d workers' CPU time, "
                + "%d processes, over %,d packets; the kernel's own receive work not included)%n",
                cpuTicks * 10_000.0 / in, WORKERS, pids.size(), in);
        }
        out.println(clean ? "  every packet arrived at every output once, intact and in order"
            : "  NOT every packet arrived once, intact and in order: see above");
        out.flush();
        return clean ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** The daemon: {@code mcrelay supervisor} of this same jar and JVM options, in the relay namespace. */
    private Process startDaemon() throws IOException {
        final List<String> command = new ArrayList<>(List.of(ip, "netns", "exec", topology.relay(),
            ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java runs this process"))));
        final List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        command.addAll(jvm);
        if (jvm.stream().noneMatch(o -> o.startsWith("--enable-native-access"))) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.mcrelay.cli.Main", "supervisor",
            "--socket", dir.resolve("control.sock").toString(), "--journal", dir.resolve("journal").toString(),
            "--workers", Integer.toString(WORKERS)));
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("daemon.log").toFile()).start();
    }

    private ControlClient connect() throws Exception {
        final Path socket = dir.resolve("control.sock");
        final long deadline = System.nanoTime() + START_GUARD_NS;
        while (true) {
            checkNotInterrupted();
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the daemon exited " + daemon.exitValue() + " before it listened");
            }
            if (Files.exists(socket)) {
                final ControlClient connected = ControlClient.connect(socket, 20_000);
                synchronized (this) {
                    client = connected;
                }
                return connected;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the daemon did not listen on " + socket + " within 90 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private void awaitReadyWorkers(final ControlClient control) throws Exception {
        final long deadline = System.nanoTime() + START_GUARD_NS;
        while (true) {
            checkNotInterrupted();
            final ControlResponse answer = control.exchange(new ControlRequest.Workers(control.nextRequestId()));
            if (answer instanceof ControlResponse.WorkerList list
                && list.workers().stream().filter(w -> w.state().equals("ready")).count() == WORKERS) {
                out.println("workers ready: " + String.join(", ", list.workers().stream()
                    .map(w -> w.index() + " (pid " + w.pid() + ")").toList()));
                return;
            }
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the daemon exited " + daemon.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the workers were not ready within 90 s: " + answer);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /**
     * The daemon's counts once its workers have reported every packet sent (they report in heartbeats, a few times a
     * second), or as they stand after 5 s.
     */
    private ControlResponse.StatsReport settledStats(final ControlClient control,
        final List<AtomicReference<Generator.Result>> results) throws Exception {
        final long sent = results.stream().mapToLong(r -> r.get() == null ? 0 : r.get().sent()).sum();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            final ControlResponse.StatsReport stats = stats(control);
            final long in = stats.rules().stream().mapToLong(ControlResponse.RuleStats::packetsIn).sum();
            if (in >= sent || System.nanoTime() > deadline || interrupted) {
                return stats;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private static ControlResponse.StatsReport stats(final ControlClient control) throws Exception {
        final ControlResponse answer = control.exchange(new ControlRequest.Stats(control.nextRequestId()));
        if (answer instanceof ControlResponse.StatsReport report) {
            return report;
        }
        throw new IllegalStateException("stats answered " + answer);
    }

    /** The daemon's pid and its workers'. */
    private List<Long> pids(final ControlClient control) throws Exception {
        final List<Long> pids = new ArrayList<>(List.of(daemon.pid()));
        stats(control).workers().forEach(w -> pids.add(w.pid()));
        return pids;
    }

    /** The user and system CPU time of {@code pids} in clock ticks (1/100 s), from {@code /proc/PID/stat}. */
    private static long cpuTicks(final List<Long> pids) {
        long ticks = 0;
        for (final long pid : pids) {
            try {
                final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            } catch (final IOException e) {
                // the process ended: its time is gone with it
            }
        }
        return ticks;
    }

    private void start(final String name, final Runnable body) {
        final Thread thread = Thread.ofPlatform().name("demo " + name).daemon().unstarted(body);
        synchronized (this) {
            threads.add(thread);
        }
        thread.start();
    }

    private void joinThreads() throws InterruptedException {
        final List<Thread> all;
        synchronized (this) {
            all = List.copyOf(threads);
        }
        for (final Thread thread : all) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    private void checkNotInterrupted() {
        if (interrupted) {
            throw new IllegalStateException("interrupted");
        }
    }

    private static Inet4Address address(final String text) throws IOException {
        return (Inet4Address) InetAddress.getByName(text);
    }

    /**
     * Removes everything the run made, once: the traffic stopped, the daemon stopped (its workers with it), the
     * namespaces deleted, the directory removed. Says what could not be removed.
     */
    synchronized void cleanUp(final long guardNs) {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        trafficStop = true;
        synchronized (generators) {
            generators.forEach(Generator::stop);
        }
        for (final Thread thread : threads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (final AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (final Exception e) {
                err.println("mcrelay demo: closing " + closeable + ": " + e.getMessage());
            }
        }
        if (client != null) {
            client.close();
        }
        final List<String> left = new ArrayList<>();
        if (daemon != null) {
            daemon.destroy(); // SIGTERM: the daemon stops its workers
            try {
                if (!daemon.waitFor(Math.min(guardNs, TimeUnit.SECONDS.toNanos(15)), TimeUnit.NANOSECONDS)) {
                    daemon.destroyForcibly();
                    daemon.waitFor(5, TimeUnit.SECONDS);
                    left.add("the daemon did not stop within 15 s after SIGTERM: killed");
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            killWorkersLeft(left);
        }
        left.addAll(topology.delete());
        if (dir != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (final IOException e) {
                left.add(dir + " (" + e.getMessage() + ")");
            }
        }
        if (daemon != null || dir != null) {
            out.println(left.isEmpty() ? "cleaned up: the daemon stopped, the namespaces and links deleted, "
                + "its files removed" : "cleaned up, except: " + String.join("; ", left));
            out.flush();
        }
    }

    /** Workers still running from the demo's directory (a daemon that was killed leaves them): SIGKILL. */
    private void killWorkersLeft(final List<String> left) {
        if (dir == null) {
            return;
        }
        final String needle = dir + "/mcrelay-";
        ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(args -> String.join(" ", args)
            .contains(needle)).orElse(false)).forEach(p -> {
                p.destroyForcibly();
                left.add("worker pid " + p.pid() + " was still running: killed");
            });
    }

    private static List<String> tail(final Path file, final int lines) {
        try {
            final List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (final IOException e) {
            return List.of("(cannot read it: " + e.getMessage() + ")");
        }
    }
}
