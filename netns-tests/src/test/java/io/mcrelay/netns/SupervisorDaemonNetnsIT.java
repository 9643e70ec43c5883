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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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
            daemon = DaemonKit.startDaemon(net, socket, journal, firstLog, "--workers", "2");
            final RuleDocument rule = new RuleDocument("r1", "e2e", "in0", "239.7.7.7", 7000, null,
                List.of(new RuleDocument.OutputDocument("239.8.8.8", 8000, "out0", null)), null);
            final List<Long> pidsBeforeAdd;
            try (ControlClient client = DaemonKit.connect(daemon, socket, firstLog)) {
                // The workers run (without inputs: no rule yet) before the rule comes; adding it opens in0, whose
                // sockets are handed to the running workers: none is restarted.
                pidsBeforeAdd = DaemonKit.awaitReadyWorkersRunning(client, 2, dir, firstLog);
                final ControlResponse added = client.exchange(new ControlRequest.Add(client.nextRequestId(), rule));
                final ControlResponse.RuleAdded ack = assertInstanceOf(ControlResponse.RuleAdded.class, added,
                    () -> added + "\n" + DaemonKit.read(firstLog));
                assertEquals("r1", ack.id());
                assertEquals(1, ack.epoch());
            }
            forwards(net, receiver, "first-", firstLog);
            try (ControlClient client = DaemonKit.connect(daemon, socket, firstLog)) {
                // Counted only once both workers report ready: a worker between restarts is no process for a while.
                final List<Long> ready = DaemonKit.awaitReadyWorkersRunning(client, 2, dir, firstLog);
                assertEquals(2, ready.size(), () -> "two worker processes run from the runtime directory in " + dir
                    + ": " + ready);
                assertEquals(pidsBeforeAdd, ready, () -> "the add restarted no worker:\n" + DaemonKit.read(firstLog));
            }
            forwardsEveryPacket(net, receiver, 2_000, firstLog);

            DaemonKit.stop(daemon, firstLog);
            assertFalse(Files.exists(socket), "the socket file is removed");
            final List<Long> left = DaemonKit.processesMentioning(dir);
            assertTrue(left.isEmpty(), () -> "no worker left, found " + left);
            assertFalse(DaemonKit.read(firstLog).contains("killing worker"), () -> "no worker was killed while the "
                + "daemon ran:\n" + DaemonKit.read(firstLog));

            final Path secondLog = dir.resolve("daemon-2.log");
            daemon = DaemonKit.startDaemon(net, socket, journal, secondLog);
            try (ControlClient client = DaemonKit.connect(daemon, socket, secondLog)) {
                final ControlResponse listed = client.exchange(new ControlRequest.ListRules(client.nextRequestId()));
                final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, listed,
                    () -> listed.toString());
                assertEquals(List.of("r1"), rules.rules().stream().map(RuleDocument::id).toList(), listed::toString);
                assertEquals(1, rules.epoch(), "the epoch is recovered too");
            }
            forwards(net, receiver, "second-", secondLog);
            try (ControlClient client = DaemonKit.connect(daemon, socket, secondLog)) {
                DaemonKit.awaitReadyWorkersRunning(client, 1, dir, secondLog);
            }
            forwardsEveryPacket(net, receiver, 2_000, secondLog);
            DaemonKit.stop(daemon, secondLog);
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
            daemon = DaemonKit.startDaemon(net, socket, journal, thirdLog, "--config", config.toString());
            try (ControlClient client = DaemonKit.connect(daemon, socket, thirdLog)) {
                final ControlResponse.Rules rules = Waits.until("the two rules of --config listed", () -> {
                    final ControlResponse listed = client.exchange(new ControlRequest.ListRules(
                        client.nextRequestId()));
                    return assertInstanceOf(ControlResponse.Rules.class, listed, listed::toString);
                }, listed -> listed.rules().size() == 2, () -> DaemonKit.read(thirdLog));
                assertEquals(List.of("r1", "r2"), rules.rules().stream().map(RuleDocument::id).toList());
                assertEquals(2, rules.epoch(), "the recovered epoch 1, then the load's");
            }
            forwards(net, receiver, "third-", thirdLog);

            // The CLI a script would run, against this daemon: add a rule, see it listed, remove it.
            final String path = socket.toString();
            final CliRun added = CliRun.of("add", "--socket", path, "--id", "r3", "--input-interface", "in0",
                "--input-group", "239.7.7.10", "--input-port", "7000", "--output", "239.8.8.10:8000:out0");
            assertEquals(0, added.exitCode(), () -> added.err() + "\n" + DaemonKit.read(thirdLog));
            assertEquals("r3", added.out().strip());
            final CliRun listed = CliRun.of("list", "--json", "--socket", path);
            assertEquals(0, listed.exitCode(), listed::err);
            assertTrue(listed.out().contains("\"r3\"") && listed.out().contains("\"239.7.7.10\""), listed::out);
            final CliRun removed = CliRun.of("remove", "r3", "--socket", path);
            assertEquals(0, removed.exitCode(), removed::err);
            final CliRun workerList = CliRun.of("workers", "--json", "--socket", path);
            assertEquals(0, workerList.exitCode(), workerList::err);
            assertTrue(workerList.out().contains("\"ready\""), workerList::out);
            DaemonKit.stop(daemon, thirdLog);
            final CliRun gone = CliRun.of("ping", "--socket", path);
            assertEquals(3, gone.exitCode(), "no daemon: exit 3");
            assertTrue(gone.err().contains(path), gone::err);
            System.out.println("[daemon-e2e] first run:\n" + DaemonKit.read(firstLog) + "[daemon-e2e] second run:\n"
                + DaemonKit.read(secondLog));
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    /**
     * With forwarding working and every worker ready, no fault is in play: {@code count} numbered packets, sent in
     * batches of 50 every 20 ms while the sink drains, must all arrive exactly once, intact and in order. Asserted
     * through the history checker, with exact counts, once every packet arrived intact (a
     * {@link Waits.Pace#DELIVERY} wait: the last batch may still be on its way).
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
            Thread.sleep(20); // pacing the sender: 50 packets every 20 ms
            drain.run();
        }
        Waits.until(Waits.Pace.DELIVERY, count + " intact packets at the sink", () -> {
            drain.run();
            return intact[0];
        }, arrived -> arrived >= count, () -> HistoryChecker.check(history).describe() + "\n" + DaemonKit.read(log));
        final HistoryChecker.Report report = HistoryChecker.check(history);
        assertEquals(count, report.sent());
        assertTrue(report.clean(), () -> report.describe() + "\n" + DaemonKit.read(log));
        assertEquals(count, report.received() - report.foreign() - report.corrupt(), report::describe);
    }

    /**
     * Sends batches from the source until a whole batch arrives in the sink (a worker may still be starting): a
     * {@link Waits.Pace#DAEMON} wait.
     */
    private static void forwards(final WorkerForwardingNetnsIT.Topology net, final DatagramChannel receiver,
        final String prefix, final Path log) {
        final TreeSet<String> received = new TreeSet<>();
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        final int[] batch = {0};
        Waits.until("a whole batch of " + prefix + " packets forwarded to the sink", () -> {
            final List<String> sent = WorkerForwardingNetnsIT.texts(prefix + batch[0]++ + "-", 5);
            WorkerForwardingNetnsIT.sendUdp(net.source, "in0p", "239.7.7.7", 7000, sent);
            Thread.sleep(200); // the batch's time to come through before it is judged
            WorkerForwardingNetnsIT.drain(receiver, buffer, received);
            return received.containsAll(sent);
        }, () -> "received " + received + "\n" + DaemonKit.read(log));
        assertTrue(received.stream().allMatch(text -> text.startsWith(prefix)), received::toString);
    }

}
