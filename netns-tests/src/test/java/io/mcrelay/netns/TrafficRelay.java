package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.linux.sys.UdpReceiver;
import io.mcrelay.traffic.Generator;
import io.mcrelay.traffic.History;
import io.mcrelay.traffic.HistoryChecker;
import io.mcrelay.traffic.TrafficPayload;
import io.mcrelay.traffic.UdpFlows;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The relay under test for the traffic suites: a source → relay → sink topology, the real daemon from the shipped
 * jar in the relay namespace, the product's sink socket ({@link UdpReceiver}: 8 MiB forced, its own drops counted) on the
 * sink's {@code out0p} for {@value #GROUP_OUT}:{@value #PORT_OUT}, and runs of the product's generator from the
 * source's {@code in0p} to {@value #GROUP_IN}:{@value #PORT_IN}, judged by the history checker. Closing stops the
 * daemon, checks that no worker is left, and removes the namespaces.
 */
final class TrafficRelay implements AutoCloseable {
    static final String GROUP_IN = "239.7.7.7";
    static final int PORT_IN = 7000;
    static final String GROUP_OUT = "239.8.8.8";
    static final int PORT_OUT = 8000;
    /** The sink's address on {@code out0p} (the topology's). */
    static final String SINK_ADDRESS = "10.78.1.2";
    /** Two reports this far apart that agree: every worker has sent a heartbeat (every 250 ms) since the last frame. */
    private static final long SETTLED_GAP_MS = 700;
    private static final int SINK_BUFFER_BYTES = 8 << 20;
    /**
     * How long before a fault a fault's window starts: packets sent that recently may be inside the relay when the
     * fault strikes (a worker forwards within a millisecond or two when it keeps up; this is generous).
     */
    private static final long IN_FLIGHT_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * What one run of the generator gave: the checker's report, the relay's counts before it started, and what the
     * sink's own socket dropped (its queue was full: the measuring tool lost them, not the relay).
     */
    record Run(HistoryChecker.Report report, long packetsOutBefore, long lossesCountedBefore, long sinkDrops,
               List<HistoryChecker.Report> outputReports) {
    }

    /** One run of traffic. */
    @FunctionalInterface
    interface Attempt {
        Run run() throws Exception;
    }

    /**
     * Runs {@code attempt} until the sink itself dropped nothing (a run in which it did is inconclusive: repeated,
     * never passed), at most 3 times; fails if none was conclusive.
     */
    static Run conclusive(final Attempt attempt) throws Exception {
        final List<Long> sinkDrops = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final Run run = attempt.run();
            if (run.sinkDrops() == 0) {
                return run;
            }
            sinkDrops.add(run.sinkDrops());
            System.out.println("[drops] inconclusive: the sink's own socket dropped " + run.sinkDrops()
                + " packets; running again");
        }
        throw new AssertionError("3 runs in a row were inconclusive: the sink's own socket dropped " + sinkDrops);
    }

    final WorkerForwardingNetnsIT.Topology net;
    final Path dir;
    /** The current life's log, daemon and connection: {@link #killAndRestart} replaces them. */
    volatile Path log;
    volatile Process daemon;
    volatile ControlClient client;
    final UdpReceiver receiver;
    private final List<String> options;
    private final int workerCount;
    /** {@code supervisor}, or {@code fault-supervisor} for a daemon with faults injected ({@link #startFaulty}). */
    private String daemonCommand = "supervisor";
    private int lives = 1;
    /** A tmpfs of its own mounted on the journal's directory ({@link #startOnJournalDisk}), or null. */
    private Path journalMount;
    /** The second relay of a chain ({@link #startChain}): its namespace after the sink's, daemon, connection. */
    private Chained chained;
    /** Where the generator sends from in the source namespace: {@code in0p}, or a bridge over it. */
    private volatile String sourceInterface = "in0p";

    private TrafficRelay(final WorkerForwardingNetnsIT.Topology net, final Path dir, final Path log,
        final Process daemon,
        final ControlClient client, final UdpReceiver receiver, final List<String> options, final int workerCount) {
        this.options = List.copyOf(options);
        this.workerCount = workerCount;
        this.net = net;
        this.dir = dir;
        this.log = log;
        this.daemon = daemon;
        this.client = client;
        this.receiver = receiver;
    }

    static TrafficRelay start(final String prefix, final String name, final String... daemonOptions)
        throws Exception {
        return startWith(prefix, name, GROUP_OUT, 1, null, daemonOptions);
    }

    /**
     * As {@link #start}, with the journal on a tmpfs of {@code diskBytes} of its own (mounted on the journal's
     * directory before the daemon starts, unmounted by {@link #close}), so that a test can fill its disk.
     */
    static TrafficRelay startOnJournalDisk(final String prefix, final String name, final long diskBytes)
        throws Exception {
        return startWith(prefix, name, "supervisor", GROUP_OUT, 1, null, diskBytes);
    }

    /** As {@link #startOnJournalDisk}, with the fault-injection module's daemon (see {@link #startFaulty}). */
    static TrafficRelay startFaultyOnJournalDisk(final String prefix, final String name, final long diskBytes,
        final String... faultOptions) throws Exception {
        return startWith(prefix, name, "fault-supervisor", GROUP_OUT, 1, null, diskBytes, faultOptions);
    }

    /**
     * From now on the generator sends from a bridge {@code br0} in the source namespace with {@code in0p} as its port
     * (the source's address moves to it): the relay's input veth pair can then be deleted and made again under
     * traffic ({@link #recreateInputVeth}) while the generator's socket, on the bridge, lives on.
     */
    void sendThroughSourceBridge() {
        Netns.bridge(net.source, "br0", "in0p");
        net.source.execOrThrow("ip", "addr", "del", SOURCE_CIDR, "dev", "in0p");
        Netns.addAddress(net.source, "br0", SOURCE_CIDR);
        sourceInterface = "br0";
    }

    /** Makes the input veth pair again after it was deleted: {@code in0p} on the source's bridge, {@code in0}. */
    void recreateInputVeth() {
        Netns.vethPair(net.source, "in0p", net.relay, "in0");
        net.source.execOrThrow("ip", "link", "set", "in0p", "master", "br0");
        Netns.addAddress(net.relay, "in0", RELAY_INPUT_CIDR);
    }

    /** The source's and the relay input's addresses, as the topology gives them. */
    private static final String SOURCE_CIDR = "10.78.0.2/24";
    private static final String RELAY_INPUT_CIDR = "10.78.0.1/24";

    /** The group and port the second relay of a chain sends to, from the sink's namespace to the last one. */
    static final String GROUP_FINAL = "239.9.9.9";
    static final int PORT_FINAL = 9000;

    /** A chain's second relay: its daemon in the sink's namespace, and the namespace after it, where the sink is. */
    private record Chained(Netns last, Path dir, Path log, Process daemon, ControlClient client)
        implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try {
                client.close();
                DaemonKit.stop(daemon, log);
                final List<Long> left = DaemonKit.processesMentioning(dir);
                assertTrue(left.isEmpty(), () -> "the second relay left no worker behind, found " + left);
            } finally {
                if (daemon.isAlive()) {
                    daemon.destroyForcibly();
                }
                last.close();
                WorkerForwardingNetnsIT.deleteTree(dir);
            }
        }
    }

    /**
     * Two relays in a chain, each a daemon of its own (one worker): the first, in the relay namespace, forwards
     * {@value #GROUP_IN} from {@code in0} to {@value #GROUP_OUT} on {@code out0} (rule r1); the second, in the sink's
     * namespace, forwards that from {@code out0p} to {@value #GROUP_FINAL}:{@value #PORT_FINAL} on {@code fin0}, a veth
     * pair to a fourth namespace, where the receiver is. A run is judged at the end of the chain.
     */
    static TrafficRelay startChain(final String prefix, final String name) throws Exception {
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        final Path secondDir = WorkerForwardingNetnsIT.runtimeParent();
        final WorkerForwardingNetnsIT.Topology net = new WorkerForwardingNetnsIT.Topology(prefix);
        final java.util.ArrayDeque<AutoCloseable> opened = new java.util.ArrayDeque<>();
        try {
            final Netns last = Netns.create(prefix);
            opened.push(last::close);
            last.execOrThrow("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            Netns.vethPair(net.sink, "fin0", last, "fin0p");
            Netns.addAddress(net.sink, "fin0", "10.78.2.1/24");
            Netns.addAddress(last, "fin0p", "10.78.2.2/24");
            final Path secondLog = secondDir.resolve("daemon-" + name + "-second.log");
            final Process second = DaemonKit.startDaemonIn(net.sink, "supervisor", secondDir.resolve("control.sock"),
                secondDir.resolve("journal"), secondLog, "--workers", "1");
            opened.push(second::destroyForcibly);
            final ControlClient secondClient = DaemonKit.connect(second, secondDir.resolve("control.sock"), secondLog);
            final Chained chain = new Chained(last, secondDir, secondLog, second, secondClient);
            opened.clear(); // the chain closes its daemon and namespace
            opened.push(chain);
            DaemonKit.awaitReadyWorkersRunning(secondClient, 1, secondDir, secondLog);
            final ControlResponse added = secondClient.exchange(new ControlRequest.Add(secondClient.nextRequestId(),
                new RuleDocument("hop2", name, "out0p", GROUP_OUT, PORT_OUT, null,
                    List.of(new RuleDocument.OutputDocument(GROUP_FINAL, PORT_FINAL, "fin0", null)), null)));
            assertInstanceOf(ControlResponse.RuleAdded.class, added, () -> added + "\n" + DaemonKit.read(secondLog));

            final UdpReceiver receiver = last.call(() -> UdpReceiver.open("fin0p",
                (Inet4Address) InetAddress.getByName(GROUP_FINAL), null, PORT_FINAL, 1, SINK_BUFFER_BYTES));
            opened.push(receiver);
            final Path log = dir.resolve("daemon-" + name + ".log");
            final List<String> options = List.of("--workers", "1");
            final Process daemon = DaemonKit.startDaemon(net, dir.resolve("control.sock"), dir.resolve("journal"),
                log, options.toArray(String[]::new));
            opened.push(daemon::destroyForcibly);
            final ControlClient client = DaemonKit.connect(daemon, dir.resolve("control.sock"), log);
            opened.push(client);
            DaemonKit.awaitReadyWorkersRunning(client, 1, dir, log);
            final TrafficRelay relay = new TrafficRelay(net, dir, log, daemon, client, receiver, options, 1);
            relay.chained = chain;
            opened.clear(); // the relay owns them now: its close closes them
            try {
                final ControlResponse first = relay.add(new RuleDocument("r1", name, "in0", GROUP_IN, PORT_IN, null,
                    List.of(new RuleDocument.OutputDocument(GROUP_OUT, PORT_OUT, "out0", null)), null));
                assertInstanceOf(ControlResponse.RuleAdded.class, first, () -> first + "\n" + DaemonKit.read(log));
                relay.awaitForwarding();
                return relay;
            } catch (final Exception | AssertionError e) {
                relay.close();
                throw e;
            }
        } catch (final Exception | AssertionError e) {
            while (!opened.isEmpty()) {
                try {
                    opened.pop().close();
                } catch (final Exception | AssertionError suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            net.close();
            WorkerForwardingNetnsIT.deleteTree(dir);
            WorkerForwardingNetnsIT.deleteTree(secondDir);
            throw e;
        }
    }

    /** The second relay's stats (a chain's). */
    ControlResponse.StatsReport secondStats() throws Exception {
        final ControlResponse answer = chained.client().exchange(new ControlRequest.Stats(
            chained.client().nextRequestId()));
        return assertInstanceOf(ControlResponse.StatsReport.class, answer, answer::toString);
    }

    /** The journal's directory (on a disk of its own with {@link #startOnJournalDisk}). */
    Path journalDir() {
        return dir.resolve("journal");
    }

    private static void mountJournalDisk(final Path journal, final long diskBytes) throws Exception {
        Files.createDirectories(journal);
        runRoot(List.of("mount", "-t", "tmpfs", "-o", "size=" + diskBytes + ",mode=0700", "mcrelay-test-journal",
            journal.toString()));
    }

    private static void runRoot(final List<String> command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), () -> command + " did not end within 30 s");
        assertEquals(0, process.exitValue(), () -> command + " failed: " + output);
    }

    /**
     * Kills the daemon with SIGKILL, checks that its workers died with it (no process runs from its runtime
     * directory), starts it again on the same journal and socket (its log in a file of its own), and returns once it
     * answers and its workers are ready, each with its process.
     */
    void killAndRestart() throws Exception {
        final Process killed = daemon;
        killed.destroyForcibly(); // SIGKILL: no stopping, no cleaning up
        assertTrue(killed.waitFor(30, TimeUnit.SECONDS), "the daemon outlived its SIGKILL by 30 s");
        Waits.until(Waits.Pace.DAEMON, "the killed daemon's workers gone with it",
            () -> DaemonKit.processesMentioning(dir), List::isEmpty, () -> DaemonKit.read(log));
        client.close();
        lives++;
        final Path nextLog = dir.resolve("daemon-" + lives + ".log");
        final Process next = DaemonKit.startDaemonIn(net.relay, daemonCommand, dir.resolve("control.sock"),
            dir.resolve("journal"), nextLog, options.toArray(String[]::new));
        log = nextLog;
        daemon = next;
        // The socket file the killed daemon left stays until the new one replaces it: connect until one answers.
        final ControlClient connected = Waits.until(Waits.Pace.DAEMON, "the restarted daemon's control socket", () -> {
            assertTrue(next.isAlive(), () -> "the restarted daemon exited:\n" + DaemonKit.read(nextLog));
            try {
                return ControlClient.connect(dir.resolve("control.sock"), 2_000);
            } catch (final ControlClient.UnreachableException e) {
                return null;
            }
        }, java.util.Objects::nonNull, () -> DaemonKit.read(nextLog));
        client = connected;
        DaemonKit.awaitReadyWorkersRunning(connected, workerCount, dir, nextLog);
    }

    /**
     * Stops the daemon (SIGTERM; it must exit 0) and replays the journal it wrote, through all its lives, with the
     * shipped jar's {@code mcrelay journal replay}: the recorded inputs must make a fresh supervisor core produce the
     * recorded outputs exactly. The relay is then only to be closed.
     */
    String stopAndReplayJournal() throws Exception {
        client.close();
        DaemonKit.stop(daemon, log);
        final String output = mcrelay("journal", "replay", dir.resolve("journal").toString());
        System.out.println("[replay] " + output.strip().replace("\n", "\n[replay] "));
        return output;
    }

    /** Runs the shipped jar's {@code mcrelay ARGS} (within 120 s); its output, stdout and stderr, once it exited 0. */
    static String mcrelay(final String... args) throws Exception {
        final Path dist = Path.of(System.getProperty("mcrelay.dist", "../dist/target")).toAbsolutePath().normalize();
        final List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
            "@" + dist.resolve("jvm.options"), "-jar", dist.resolve("mcrelay.jar").toString()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), () -> "mcrelay " + List.of(args) + " did not end in 120 s");
        assertEquals(0, process.exitValue(), () -> "mcrelay " + List.of(args) + " failed:\n" + output);
        return output;
    }

    /** The sink's own socket drops over every output's socket. */
    private long sinkDrops() {
        long drops = 0;
        for (int flow = 0; flow < receiver.flows(); flow++) {
            drops += receiver.drops(flow);
        }
        return drops;
    }

    /**
     * As {@link #start}, with r1 fanning out to {@code outputs} outputs on {@code out0}, {@value #GROUP_OUT} ports
     * {@value #PORT_OUT} and up, and the sink's receiver on each (a run then has a report per output).
     */
    static TrafficRelay startFanOut(final String prefix, final String name, final int outputs) throws Exception {
        return startWith(prefix, name, GROUP_OUT, outputs, null);
    }

    /** Adds {@code rule} through the control socket; the answer. */
    ControlResponse add(final RuleDocument rule) throws Exception {
        return client.exchange(new ControlRequest.Add(client.nextRequestId(), rule));
    }

    /** Removes rule {@code id}; the answer. */
    ControlResponse remove(final String id) throws Exception {
        return client.exchange(new ControlRequest.Remove(client.nextRequestId(), id));
    }

    /**
     * The daemon from the shipped jar with {@code workers} workers and no rule, once they are ready, each with its
     * process; a receiver of {@code GROUP_OUT}:{@code PORT_OUT} on the sink's {@code out0p}.
     */
    static TrafficRelay open(final String prefix, final String name, final int workers,
        final String... daemonOptions) throws Exception {
        return openTo(prefix, name, "supervisor", workers, GROUP_OUT, 1, 0, daemonOptions);
    }

    /**
     * As {@link #start}, with r1's one output to {@code destination}:{@value #PORT_OUT} (a group, or the sink's
     * unicast address {@value #SINK_ADDRESS}) with TTL {@code ttl} (null: the default), and the sink's receiver on it.
     */
    static TrafficRelay startTo(final String prefix, final String name, final String destination, final Integer ttl)
        throws Exception {
        return startWith(prefix, name, destination, 1, ttl);
    }

    /** One worker, r1 to {@code outputs} outputs ({@code destination}, ports from {@value #PORT_OUT}, {@code ttl}). */
    private static TrafficRelay startWith(final String prefix, final String name, final String destination,
        final int outputs, final Integer ttl, final String... daemonOptions) throws Exception {
        return startWith(prefix, name, "supervisor", destination, outputs, ttl, 0, daemonOptions);
    }

    /**
     * As {@link #start}, with the fault-injection module's daemon ({@code mcrelay fault-supervisor}) and
     * {@code faultOptions} ({@code --break respawn}, {@code --faults ...}): for showing that a suite fails when the
     * recovery it relies on is broken.
     */
    static TrafficRelay startFaulty(final String prefix, final String name, final String... faultOptions)
        throws Exception {
        return startWith(prefix, name, "fault-supervisor", GROUP_OUT, 1, null, 0, faultOptions);
    }

    /** As {@link #open}, with the fault-injection module's daemon (see {@link #startFaulty}). */
    static TrafficRelay openFaulty(final String prefix, final String name, final int workers,
        final String... faultOptions) throws Exception {
        return openTo(prefix, name, "fault-supervisor", workers, GROUP_OUT, 1, 0, faultOptions);
    }

    /** As above, with the journal on a tmpfs of {@code journalDiskBytes} of its own when that is not 0. */
    private static TrafficRelay startWith(final String prefix, final String name, final String command,
        final String destination, final int outputs, final Integer ttl, final long journalDiskBytes,
        final String... daemonOptions) throws Exception {
        final TrafficRelay relay = openTo(prefix, name, command, 1, destination, outputs, journalDiskBytes,
            daemonOptions);
        try {
            final List<RuleDocument.OutputDocument> documents = new ArrayList<>();
            for (int i = 0; i < outputs; i++) {
                documents.add(new RuleDocument.OutputDocument(destination, PORT_OUT + i, "out0", ttl));
            }
            final RuleDocument rule = new RuleDocument("r1", name, "in0", GROUP_IN, PORT_IN, null, documents, null);
            final ControlResponse added = relay.add(rule);
            assertInstanceOf(ControlResponse.RuleAdded.class, added, () -> added + "\n" + DaemonKit.read(relay.log));
            relay.awaitForwarding();
            return relay;
        } catch (final Exception | AssertionError e) {
            relay.close();
            throw e;
        }
    }

    private static TrafficRelay openTo(final String prefix, final String name, final String command,
        final int workers, final String destination, final int outputs, final long journalDisk,
        final String... daemonOptions) throws Exception {
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        final WorkerForwardingNetnsIT.Topology net = new WorkerForwardingNetnsIT.Topology(prefix);
        Process daemon = null;
        ControlClient client = null;
        UdpReceiver receiver = null;
        boolean mounted = false;
        try {
            if (journalDisk > 0) {
                mountJournalDisk(dir.resolve("journal"), journalDisk);
                mounted = true;
            }
            // The product's sink socket: an 8 MiB buffer (forced, as root) and its own drops counted.
            receiver = net.sink.call(() -> UdpReceiver.open("out0p",
                (Inet4Address) InetAddress.getByName(destination), null, PORT_OUT, outputs, SINK_BUFFER_BYTES));
            final Path log = dir.resolve("daemon-" + name + ".log");
            final List<String> options = new ArrayList<>(List.of("--workers", Integer.toString(workers)));
            options.addAll(List.of(daemonOptions));
            daemon = DaemonKit.startDaemonIn(net.relay, command, dir.resolve("control.sock"), dir.resolve("journal"),
                log, options.toArray(String[]::new));
            client = DaemonKit.connect(daemon, dir.resolve("control.sock"), log);
            DaemonKit.awaitReadyWorkersRunning(client, workers, dir, log);
            final TrafficRelay relay = new TrafficRelay(net, dir, log, daemon, client, receiver, options, workers);
            relay.daemonCommand = command;
            relay.journalMount = mounted ? dir.resolve("journal") : null;
            return relay;
        } catch (final Exception | AssertionError e) {
            if (client != null) {
                client.close();
            }
            if (receiver != null) {
                receiver.close();
            }
            if (daemon != null) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            net.close();
            if (mounted) {
                runRoot(List.of("umount", "-l", dir.resolve("journal").toString()));
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
            throw e;
        }
    }

    /** Sends foreign packets until one arrives: the worker holds the ring and forwards. Drains the receiver. */
    void awaitForwarding() throws Exception {
        final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
        Waits.until("forwarding through the new rule", () -> {
            WorkerForwardingNetnsIT.sendUdp(net.source, sourceInterface, GROUP_IN, PORT_IN, List.of("warm-up"));
            Thread.sleep(100); // the warm-up's time to come through before the receiver is asked
            return receiver.receive(0, buffer) >= 0;
        }, () -> DaemonKit.read(log));
        Thread.sleep(200); // a settle delay, not a wait: warm-ups still on their way arrive, to be drained here
        for (int flow = 0; flow < receiver.flows(); flow++) {
            while (receiver.receive(flow, buffer) >= 0) {
                continue; // drained
            }
        }
    }

    List<ControlResponse.WorkerInfo> workers() throws Exception {
        return DaemonKit.workers(client);
    }

    ControlResponse.StatsReport stats() throws Exception {
        final ControlResponse answer = client.exchange(new ControlRequest.Stats(client.nextRequestId()));
        return assertInstanceOf(ControlResponse.StatsReport.class, answer, answer::toString);
    }

    /**
     * The stats once they stopped moving: two reports {@link #SETTLED_GAP_MS} apart with the same counters (the
     * rates and the request id aside). Hang guard 60 s.
     */
    ControlResponse.StatsReport settledStats() throws Exception {
        final AtomicReference<ControlResponse.StatsReport> previous = new AtomicReference<>(stats());
        return Waits.until("the counters to settle", () -> {
            Thread.sleep(SETTLED_GAP_MS);
            final ControlResponse.StatsReport now = stats();
            final boolean settled = counters(now).equals(counters(previous.get()));
            previous.set(now);
            return settled ? now : null;
        }, java.util.Objects::nonNull, () -> previous.get() + "\n" + DaemonKit.read(log));
    }

    private static List<Object> counters(final ControlResponse.StatsReport report) {
        final List<Object> counters = new ArrayList<>();
        for (final ControlResponse.RuleStats rule : report.rules()) {
            counters.add(List.of(rule.id(), rule.packetsIn(), rule.bytesIn(), rule.drops(), rule.outputs()));
        }
        counters.add(List.of(report.unmatched(), report.drops(), report.inputs()));
        return counters;
    }

    /**
     * Sends {@code count} numbered packets of {@code sizeBytes} at {@code ratePps} from the source with the
     * product's generator while a thread drains the sink's receiver, runs {@code whenSent} as soon as the last
     * packet left, waits until the counters settle, and judges the history.
     */
    Run send(final int count, final long ratePps, final int sizeBytes, final Runnable whenSent)
        throws Exception {
        return send(count, ratePps, sizeBytes, whenSent, null);
    }

    /**
     * A fault injected during a run, on a thread of its own with a control connection of its own: its window starts
     * {@link #IN_FLIGHT_NS} before {@link #inject} is called and ends when {@link #awaitRecovery} returns (an event
     * the daemon shows: a worker ready again, a rule active again) and the input's ring stopped overflowing (see
     * {@link #awaitRingBacklogDrained}). {@link #cleanUp} runs in every path.
     */
    interface Fault {
        /** The fault's name in the history's windows and the report. */
        String name();

        void inject(ControlClient control) throws Exception;

        /** Waits, with a hang guard, until the daemon shows it recovered. */
        void awaitRecovery(ControlClient control) throws Exception;

        default void cleanUp() {
        }
    }

    /**
     * After a fault the daemon shows recovered from, the input's ring may still be full of what arrived during it (a
     * stopped worker's, a restarted daemon's): frames go on being dropped ({@code ring_full}) until the worker has
     * drained it. Waits until that stopped: two reports 300 ms apart (a heartbeat's counts in between) with the same
     * {@code ring_full}, on a connection of its own (the daemon may be a new one); returns when the first of them was
     * asked for (the window ends there: nothing was dropped for a full ring after it).
     */
    private long awaitRingBacklogDrained(final String fault) throws Exception {
        final long fromNs = System.nanoTime();
        final long[] last = {-1, 0}; // ring_full, and when a report first showed that value
        try (ControlClient control = ControlClient.connect(dir.resolve("control.sock"), 20_000)) {
            Waits.until(Waits.Pace.DAEMON, "the ring's backlog drained after " + fault, () -> {
                Thread.sleep(300);
                final long askedNs = System.nanoTime();
                final ControlResponse answer = control.exchange(new ControlRequest.Stats(control.nextRequestId()));
                final long ringFull = ((ControlResponse.StatsReport) answer).drops().ringFull();
                final boolean still = ringFull == last[0];
                if (!still) {
                    last[0] = ringFull;
                    last[1] = askedNs;
                }
                return still;
            }, Boolean::booleanValue);
        }
        System.out.println("[faults] " + fault + ": ring_full last moved before " + (last[1] - fromNs) / 1_000_000
            + " ms after the daemon showed it recovered (ring_full " + last[0] + ")");
        // No frame was dropped for a full ring between the report that first showed this count and the next one.
        return last[1];
    }

    /** A fault's window as the run saw it. */
    record Window(String name, long startNs, long endNs) {
        long millis() {
            return (endNs - startNs) / 1_000_000;
        }
    }

    /**
     * As {@link #send(int, long, int, Runnable)}, with {@code fault} injected once a fifth of the packets left; the
     * fault's window goes into the history, so the checker judges the packets outside it strictly and reports how
     * long after the window forwarding was complete again. The run must outlast the window: the generator sends
     * {@code count} packets whatever happens; the window must have ended by then (it fails otherwise).
     */
    Run sendWithFault(final int count, final long ratePps, final int sizeBytes, final Fault fault,
        final List<Window> windows) throws Exception {
        return send(count, ratePps, sizeBytes, () -> { }, new FaultRun(fault, count / 5, windows));
    }

    /** The fault of a run and where its window goes. */
    private record FaultRun(Fault fault, long afterSent, List<Window> windows) {
    }

    private Run send(final int count, final long ratePps, final int sizeBytes, final Runnable whenSent,
        final FaultRun faultRun) throws Exception {
        final ControlResponse.StatsReport before = stats();
        final long packetsOutBefore = before.rules().getFirst().outputs().getFirst().packetsOut();
        final long lossesBefore = before.drops().ringFull() + before.drops().stagingFull()
            + before.rules().getFirst().drops().perRuleTotal();
        final long runId = System.nanoTime();
        final List<History.Sent> sent = new ArrayList<>();
        // One list per output (the receiver's flow i is output i's port): each is judged as a copy of the run.
        final List<List<History.Received>> receivedByOutput = new ArrayList<>();
        for (int i = 0; i < receiver.flows(); i++) {
            receivedByOutput.add(new ArrayList<>());
        }
        receiver.refreshDrops();
        final long sinkDropsBefore = sinkDrops();
        final AtomicBoolean draining = new AtomicBoolean(true);
        final Thread drain = new Thread(() -> {
            final byte[] in = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
            while (draining.get()) {
                boolean any = false;
                for (int output = 0; output < receivedByOutput.size(); output++) {
                    final int length = receiver.receive(output, in);
                    if (length < 0) {
                        continue;
                    }
                    any = true;
                    final long receivedNs = System.nanoTime();
                    final int status = TrafficPayload.parse(in, 0, length, runId, parsed);
                    receivedByOutput.get(output).add(new History.Received(0, parsed.flow(), parsed.seq(), receivedNs,
                        status));
                }
                if (!any) {
                    receiver.poll(1);
                }
            }
        }, "sink-drain");
        drain.start();
        final java.util.concurrent.atomic.AtomicLong sentSoFar = new java.util.concurrent.atomic.AtomicLong();
        final AtomicReference<Throwable> faultFailed = new AtomicReference<>();
        final List<Window> windows = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Thread faulting = faultRun == null ? null : new Thread(() -> {
            try (ControlClient control = ControlClient.connect(dir.resolve("control.sock"), 20_000)) {
                Waits.until(Waits.Pace.DAEMON, "a fifth of the packets sent", () -> sentSoFar.get(),
                    soFar -> soFar >= faultRun.afterSent());
                // Packets sent just before the fault may still be inside the relay when it strikes (in its ring, in
                // a socket): a supervisor killed takes its ring with it. They belong to the window.
                final long startNs = System.nanoTime() - IN_FLIGHT_NS;
                final long endNs;
                try {
                    faultRun.fault().inject(control);
                    faultRun.fault().awaitRecovery(control);
                    endNs = Math.max(System.nanoTime(), awaitRingBacklogDrained(faultRun.fault().name()));
                } finally {
                    faultRun.fault().cleanUp();
                }
                final Window window = new Window(faultRun.fault().name(), startNs, endNs);
                windows.add(window);
                System.out.println("[faults] " + window.name() + ": window " + window.millis() + " ms");
            } catch (final Throwable e) {
                faultFailed.set(e);
            }
        }, "fault");
        if (faulting != null) {
            faulting.start();
        }
        final Generator.Result result;
        try {
            result = net.source.call(() -> {
                try (UdpFlows output = new UdpFlows((Inet4Address) InetAddress.getByName(GROUP_IN), PORT_IN, 1,
                    sourceInterface, 0, sizeBytes)) {
                    return new Generator(new Generator.Config(1, count, sizeBytes, ratePps, runId), output,
                        (flow, firstSeq, taken, sentNs) -> {
                            for (int i = 0; i < taken; i++) {
                                sent.add(new History.Sent(flow, firstSeq + i, sentNs));
                            }
                            sentSoFar.addAndGet(taken);
                        }, System::nanoTime, LockSupport::parkNanos).run();
                }
            });
            if (faulting != null) {
                faulting.join(TimeUnit.SECONDS.toMillis(90)); // a hang guard: its own waits time out first
                if (faultFailed.get() != null) {
                    throw new AssertionError("the fault " + faultRun.fault().name() + " failed: " + faultFailed.get()
                        + "\n" + DaemonKit.read(log), faultFailed.get());
                }
                if (faulting.isAlive() || windows.isEmpty()) {
                    throw new AssertionError("the fault " + faultRun.fault().name() + " did not end\n"
                        + DaemonKit.read(log));
                }
                if (windows.getFirst().endNs() > sent.getLast().sentNs()) {
                    throw new AssertionError("the run of " + count + " packets ended before the fault's window ("
                        + windows.getFirst().millis() + " ms): nothing after the window was judged");
                }
                faultRun.windows().addAll(windows);
            }
            whenSent.run();
            settledStats(); // the relay is done with the run: whatever it sent is on its way or arrived
            Thread.sleep(300); // a settle delay, not a wait: what is on its way reaches the drain thread
        } finally {
            draining.set(false);
            drain.join(TimeUnit.SECONDS.toMillis(10));
            if (faulting != null && faulting.isAlive()) {
                faulting.interrupt();
                faulting.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
        receiver.refreshDrops();
        final long sinkDrops = sinkDrops() - sinkDropsBefore;
        System.out.println("[drops] generator: " + result + "; the sink's socket dropped " + sinkDrops
            + " (buffer " + receiver.receiveBufferBytes() + " bytes, forced " + receiver.receiveBufferForced()
            + ")");
        assertEquals(count, result.sent(), result::toString);
        final List<HistoryChecker.Report> reports = new ArrayList<>();
        for (final List<History.Received> received : receivedByOutput) {
            final History history = new History();
            windows.forEach(window -> history.window(window.name(), window.startNs(), window.endNs()));
            sent.forEach(packet -> history.sent(packet.flow(), packet.seq(), packet.sentNs()));
            received.forEach(packet -> history.received(packet.arrivedFlow(), packet.flow(), packet.seq(),
                packet.receivedNs(), packet.status()));
            reports.add(HistoryChecker.check(history));
        }
        return new Run(reports.getFirst(), packetsOutBefore, lossesBefore, sinkDrops, List.copyOf(reports));
    }

    @Override
    public void close() throws Exception {
        try {
            client.close();
            receiver.close();
            daemon.destroy(); // SIGTERM: the daemon stops its workers
            if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            final List<Long> left = DaemonKit.processesMentioning(dir);
            assertTrue(left.isEmpty(), () -> "no worker left behind, found " + left + "\n"
                + DaemonKit.read(log));
        } finally {
            if (chained != null) {
                chained.close();
            }
            net.close();
            if (journalMount != null) {
                runRoot(List.of("umount", "-l", journalMount.toString()));
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }
}
