package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.cli.CliRun;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.traffic.History;
import io.mcrelay.traffic.HistoryChecker;
import io.mcrelay.traffic.TrafficPayload;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon, end to end: {@code mcrelay supervisor} runs as a child JVM in the relay namespace of a
 * source → relay → sink topology (with a temporary control socket and journal), first with two workers (one
 * flow: the fanout hands it to one of them), then with one. A real {@link ControlClient} adds a
 * rule and gets the acked answer; multicast sent from the source namespace arrives, re-addressed, in the sink
 * namespace. SIGTERM: the daemon exits 0, its socket file is gone and no worker process is left. Started again on
 * the same journal, it lists the rule it recovered and forwards again. Started a third time with {@code --config},
 * it loads the file's rules once it runs.
 */
class SupervisorDaemonNetnsIT {
    private static final String PREFIX = "mcrsd";
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(60);

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void theDaemonForwardsARuleAddedThroughItsSocketStopsCleanlyOnSigtermAndRecoversTheRuleOnRestart()
        throws Exception {
        Netns.requireRoot();
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        final Path socket = dir.resolve("control.sock");
        final Path journal = dir.resolve("journal");
        Process daemon = null;
        try (WorkerForwardingNetnsIT.Topology net = new WorkerForwardingNetnsIT.Topology(PREFIX);
            DatagramChannel receiver = net.sink.call(() -> WorkerForwardingNetnsIT.joinedReceiver("out0p",
                "239.8.8.8", 8000))) {
            final Path firstLog = dir.resolve("daemon-1.log");
            daemon = startDaemon(net, socket, journal, firstLog, "--workers", "2");
            final RuleDocument rule = new RuleDocument("r1", "e2e", "in0", "239.7.7.7", 7000, null,
                List.of(new RuleDocument.OutputDocument("239.8.8.8", 8000, "out0", null)), null);
            try (ControlClient client = connect(daemon, socket, firstLog)) {
                // The worker runs (without inputs: no rule yet) before the rule comes, so adding it opens in0 and
                // the worker is restarted to receive its ring.
                awaitReadyWorker(client, firstLog);
                final ControlResponse added = client.exchange(new ControlRequest.Add(client.nextRequestId(), rule));
                final ControlResponse.RuleAdded ack = assertInstanceOf(ControlResponse.RuleAdded.class, added,
                    () -> added + "\n" + read(firstLog));
                assertEquals("r1", ack.id());
                assertEquals(1, ack.epoch());
            }
            forwards(net, receiver, "first-", firstLog);
            try (ControlClient client = connect(daemon, socket, firstLog)) {
                // Counted only once both workers report ready: a worker between restarts is no process for a while.
                final List<Long> ready = awaitReadyWorkersRunning(client, 2, dir, firstLog);
                assertEquals(2, ready.size(), () -> "two worker processes run from the runtime directory in " + dir
                    + ": " + ready);
            }
            forwardsEveryPacket(net, receiver, 2_000, firstLog);

            stop(daemon, firstLog);
            assertFalse(Files.exists(socket), "the socket file is removed");
            final List<Long> left = processesMentioning(dir);
            assertTrue(left.isEmpty(), () -> "no worker left, found " + left);
            assertTrue(read(firstLog).contains("restarting worker 0 (pid"), () -> "the worker started without inputs "
                + "is restarted once in0 opens:\n" + read(firstLog));
            assertTrue(read(firstLog).contains("passed 1 descriptors"), () -> "a worker got the ring:\n"
                + read(firstLog));

            final Path secondLog = dir.resolve("daemon-2.log");
            daemon = startDaemon(net, socket, journal, secondLog);
            try (ControlClient client = connect(daemon, socket, secondLog)) {
                final ControlResponse listed = client.exchange(new ControlRequest.ListRules(client.nextRequestId()));
                final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, listed,
                    () -> listed.toString());
                assertEquals(List.of("r1"), rules.rules().stream().map(RuleDocument::id).toList(), listed::toString);
                assertEquals(1, rules.epoch(), "the epoch is recovered too");
            }
            forwards(net, receiver, "second-", secondLog);
            try (ControlClient client = connect(daemon, socket, secondLog)) {
                awaitReadyWorkersRunning(client, 1, dir, secondLog);
            }
            forwardsEveryPacket(net, receiver, 2_000, secondLog);
            stop(daemon, secondLog);
            assertFalse(Files.exists(socket), "the socket file is removed");

            // --config FILE: loaded once the daemon runs, in one epoch; the unchanged r1 keeps flowing.
            final Path config = dir.resolve("rules.json");
            Files.writeString(config, """
                // two rules: r1 as before, r2 new
                {"rules": [
                  {"id": "r1", "name": "e2e", "input_interface": "in0", "input_group": "239.7.7.7",
                   "input_port": 7000, "outputs": [{"group": "239.8.8.8", "port": 8000, "interface": "out0"}]},
                  {"id": "r2", "input_interface": "in0", "input_group": "239.7.7.9", "input_port": 7000,
                   "outputs": [{"group": "239.8.8.9", "port": 8000, "interface": "out0"}]}
                ]}
                """);
            final Path thirdLog = dir.resolve("daemon-3.log");
            daemon = startDaemon(net, socket, journal, thirdLog, "--config", config.toString());
            try (ControlClient client = connect(daemon, socket, thirdLog)) {
                final long start = System.nanoTime();
                ControlResponse.Rules rules;
                do {
                    assertTrue(System.nanoTime() - start < WAIT_NS, () -> "--config not loaded:\n" + read(thirdLog));
                    Thread.sleep(50);
                    final ControlResponse listed = client.exchange(new ControlRequest.ListRules(
                        client.nextRequestId()));
                    rules = assertInstanceOf(ControlResponse.Rules.class, listed, listed::toString);
                } while (rules.rules().size() != 2);
                assertEquals(List.of("r1", "r2"), rules.rules().stream().map(RuleDocument::id).toList());
                assertEquals(2, rules.epoch(), "the recovered epoch 1, then the load's");
            }
            forwards(net, receiver, "third-", thirdLog);

            // The CLI a script would run, against this daemon: add a rule, see it listed, remove it.
            final String path = socket.toString();
            final CliRun added = CliRun.of("add", "--socket", path, "--id", "r3", "--input-interface", "in0",
                "--input-group", "239.7.7.10", "--input-port", "7000", "--output", "239.8.8.10:8000:out0");
            assertEquals(0, added.exitCode(), () -> added.err() + "\n" + read(thirdLog));
            assertEquals("r3", added.out().strip());
            final CliRun listed = CliRun.of("list", "--json", "--socket", path);
            assertEquals(0, listed.exitCode(), listed::err);
            assertTrue(listed.out().contains("\"r3\"") && listed.out().contains("\"239.7.7.10\""), listed::out);
            final CliRun removed = CliRun.of("remove", "r3", "--socket", path);
            assertEquals(0, removed.exitCode(), removed::err);
            final CliRun workerList = CliRun.of("workers", "--json", "--socket", path);
            assertEquals(0, workerList.exitCode(), workerList::err);
            assertTrue(workerList.out().contains("\"ready\""), workerList::out);
            stop(daemon, thirdLog);
            final CliRun gone = CliRun.of("ping", "--socket", path);
            assertEquals(3, gone.exitCode(), "no daemon: exit 3");
            assertTrue(gone.err().contains(path), gone::err);
            System.out.println("[daemon-e2e] first run:\n" + read(firstLog) + "[daemon-e2e] second run:\n"
                + read(secondLog));
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    /**
     * {@code mcrelay supervisor} in the relay namespace (one worker unless {@code more} starts with {@code --workers}),
     * its stdout and stderr in {@code log}.
     */
    private static Process startDaemon(final WorkerForwardingNetnsIT.Topology net, final Path socket,
        final Path journal, final Path log, final String... more) throws IOException {
        final List<String> command = new ArrayList<>(List.of(WorkerForwardingNetnsIT.ip(), "netns", "exec",
            net.relay.name(), ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(WorkerForwardingNetnsIT.jvmOptions());
        command.add("-Xmx256m");
        command.addAll(List.of("-cp", daemonClasspath(), "io.mcrelay.cli.Main", "supervisor",
            "--socket", socket.toString(), "--journal", journal.toString()));
        command.addAll(more.length > 0 && more[0].equals("--workers") ? List.of() : List.of("--workers", "1"));
        command.addAll(List.of(more));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits for the control socket and connects; fails with the daemon's log if it died or never listened. */
    private static ControlClient connect(final Process daemon, final Path socket, final Path log) throws Exception {
        final long start = System.nanoTime();
        while (!Files.exists(socket)) {
            assertTrue(daemon.isAlive(), () -> "the daemon exited " + daemon.exitValue() + ":\n" + read(log));
            assertTrue(System.nanoTime() - start < WAIT_NS, () -> "no control socket within 60 s:\n" + read(log));
            Thread.sleep(50);
        }
        return ControlClient.connect(socket, 20_000);
    }

    /** Asks for the workers until one is ready (started, connected, synced). */
    private static void awaitReadyWorker(final ControlClient client, final Path log) throws Exception {
        final long start = System.nanoTime();
        while (true) {
            final ControlResponse answer = client.exchange(new ControlRequest.Workers(client.nextRequestId()));
            final ControlResponse.WorkerList list = assertInstanceOf(ControlResponse.WorkerList.class, answer,
                answer::toString);
            if (list.workers().stream().anyMatch(worker -> worker.state().equals("ready"))) {
                return;
            }
            assertTrue(System.nanoTime() - start < WAIT_NS, () -> "no ready worker within 60 s: " + list + "\n"
                + read(log));
            Thread.sleep(50);
        }
    }

    /**
     * Asks for the workers until {@code count} are ready and the processes running from the runtime directory under
     * {@code dir} are exactly theirs (a worker being restarted has no process, or a new one, for a while); returns
     * their pids, sorted.
     */
    private static List<Long> awaitReadyWorkersRunning(final ControlClient client, final int count, final Path dir,
        final Path log) throws Exception {
        final long start = System.nanoTime();
        while (true) {
            final ControlResponse answer = client.exchange(new ControlRequest.Workers(client.nextRequestId()));
            final ControlResponse.WorkerList list = assertInstanceOf(ControlResponse.WorkerList.class, answer,
                answer::toString);
            final List<Long> readyPids = list.workers().stream().filter(worker -> worker.state().equals("ready"))
                .map(ControlResponse.WorkerInfo::pid).sorted().toList();
            final List<Long> running = processesMentioning(dir).stream().sorted().toList();
            if (readyPids.size() == count && running.equals(readyPids)) {
                return running;
            }
            assertTrue(System.nanoTime() - start < WAIT_NS, () -> "not " + count + " ready workers, each with its "
                + "process, within 60 s: " + list + ", processes " + running + "\n" + read(log));
            Thread.sleep(50);
        }
    }

    /**
     * With forwarding working and every worker ready, no fault is in play: {@code count} numbered packets, sent in
     * batches of 50 every 20 ms while the sink drains, must all arrive exactly once, intact and in order. Asserted
     * through the history checker, with exact counts.
     */
    private static void forwardsEveryPacket(final WorkerForwardingNetnsIT.Topology net, final DatagramChannel receiver,
        final int count, final Path log) throws Exception {
        final long runId = System.nanoTime();
        final History history = new History();
        final ByteBuffer in = ByteBuffer.allocate(2048);
        final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
        final int[] intact = {0};
        final Runnable drain = () -> {
            try {
                while (true) {
                    in.clear();
                    if (receiver.receive(in) == null) {
                        return;
                    }
                    final long receivedNs = System.nanoTime();
                    final int status = TrafficPayload.parse(in.array(), 0, in.position(), runId, parsed);
                    history.received(0, parsed.flow(), parsed.seq(), receivedNs, status);
                    intact[0] += status == TrafficPayload.OK ? 1 : 0;
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        for (int first = 0; first < count; first += 50) {
            final int from = first;
            net.source.call(() -> {
                try (DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("in0p"));
                    final InetSocketAddress group = new InetSocketAddress("239.7.7.7", 7000);
                    final byte[] payload = new byte[200];
                    for (int seq = from; seq < Math.min(count, from + 50); seq++) {
                        final long sentNs = System.nanoTime();
                        TrafficPayload.write(payload, 0, payload.length, runId, 0, seq, sentNs);
                        sender.send(ByteBuffer.wrap(payload), group);
                        history.sent(0, seq, sentNs);
                    }
                }
                return null;
            });
            Thread.sleep(20);
            drain.run();
        }
        final long start = System.nanoTime();
        while (intact[0] < count && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            Thread.sleep(20); // the last batch may still be on its way; the history says what never came
            drain.run();
        }
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(count, report.sent());
        assertTrue(report.clean(), () -> report.describe() + "\n" + read(log));
        assertEquals(count, report.received() - report.foreign() - report.corrupt(), report::describe);
    }

    /** Sends batches from the source until one arrives in the sink (a worker may still be starting). */
    private static void forwards(final WorkerForwardingNetnsIT.Topology net, final DatagramChannel receiver,
        final String prefix, final Path log) throws Exception {
        final TreeSet<String> received = new TreeSet<>();
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        final long start = System.nanoTime();
        int batch = 0;
        while (true) {
            final List<String> sent = WorkerForwardingNetnsIT.texts(prefix + batch + "-", 5);
            WorkerForwardingNetnsIT.sendUdp(net.source, "in0p", "239.7.7.7", 7000, sent);
            Thread.sleep(200);
            WorkerForwardingNetnsIT.drain(receiver, buffer, received);
            if (received.containsAll(sent)) {
                break; // a whole batch sent while a worker ran came through
            }
            assertTrue(System.nanoTime() - start < WAIT_NS, () -> "nothing forwarded within 60 s (received "
                + received + "):\n" + read(log));
            batch++;
        }
        assertTrue(received.stream().allMatch(text -> text.startsWith(prefix)), received::toString);
    }

    /** SIGTERM, then exit 0 within 30 s. */
    private static void stop(final Process daemon, final Path log) throws InterruptedException {
        daemon.destroy(); // SIGTERM
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), () -> "still running 30 s after SIGTERM:\n" + read(log));
        assertEquals(0, daemon.exitValue(), () -> read(log));
    }

    /** The processes whose command line names something under {@code dir} (workers run from its runtime dir). */
    private static List<Long> processesMentioning(final Path dir) throws IOException {
        final String needle = dir.toString() + "/mcrelay-";
        final List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (final Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    final String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmdline.contains(needle)) {
                        pids.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (final IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return pids;
    }

    /**
     * This JVM's classpath without the test libraries and test classes: relay and its dependencies (the daemon copies
     * it for its workers).
     */
    private static String daemonClasspath() {
        return String.join(File.pathSeparator, Stream.of(System.getProperty("java.class.path")
                .split(File.pathSeparator))
            .filter(entry -> Stream.of(
                    "junit", "opentest4j", "apiguardian", "archunit", "quicktheories", "test-classes")
                .noneMatch(entry::contains))
            .toList());
    }

    private static String read(final Path log) {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
