package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.BuildInfo;
import io.mcrelay.cli.CliRun;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * The CLI's client commands end to end: the real picocli commands ({@link CliRun}: {@code Main.execute}) talk
 * through the real control socket ({@link UnixControlServer}) to the real supervisor of a simulated cluster (two
 * workers, virtual time, simulated network). Each command runs on its own thread while this thread steps the
 * cluster, so the supervisor answers as it would in production; the test checks what a script sees: stdout,
 * stderr, exit codes and the JSON field names of the CLI contract.
 */
class CliCommandsSupervisorTest {
    private static final long SECOND = 1_000_000_000L;
    private static final int SOURCE = IpAddress.parse("10.0.0.1").ipv4Value();
    private static final ObjectMapper JSON = ControlCodec.newMapper();

    @TempDir
    Path dir;

    private Path socket;
    private UnixControlServer server;
    private Cluster cluster;

    @BeforeEach
    void openTheSocket() throws IOException {
        socket = dir.resolve("control.sock");
        server = UnixControlServer.open(socket, SystemClock.INSTANCE);
    }

    /** Starts two workers under a supervisor that listens on the real socket. */
    private void start(final Supervisor.Config config) {
        cluster = new Cluster(Cluster.Config.of(config).withFactories(
            (supervisorConfig, seams) -> new Supervisor(supervisorConfig, new Supervisor.Seams(seams.timers(),
                seams.launcher(), server, seams.links(), seams.logLevels(), seams.inputSockets(), seams.memberships(),
                seams.journal(),
                seams.clock())),
            WorkerAgent::new));
        cluster.network().createLinkUp("in0");
        cluster.network().createLinkUp("out0");
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND), "workers did not start and sync");
    }

    private void start() {
        start(Supervisor.Config.defaults(2));
    }

    @AfterEach
    void closeTheSocket() {
        server.close();
    }

    /** Runs {@code mcrelay ARGS --socket SOCKET} on another thread while this one steps the cluster. */
    private CliRun cli(final String... args) throws Exception {
        return ClusterCli.run(cluster, socket, args);
    }

    private CliRun ok(final String... args) throws Exception {
        final CliRun run = cli(args);
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.err(), run::toString);
        return run;
    }

    private void addCam1() throws Exception {
        assertEquals("cam-1\n", ok("add", "--input-interface", "in0", "--input-group", "239.1.1.1",
            "--input-port", "5000", "--output", "239.10.0.1:6000:out0:8", "--id", "cam-1", "--name", "Camera 1")
            .out());
    }

    private static Set<String> fieldNames(final JsonNode node) {
        final Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void addPrintsTheIdListShowsTheRuleAndRemoveRemovesIt() throws Exception {
        start();
        addCam1();
        final String generated = ok("add", "--input-interface", "in0", "--input-group", "239.1.1.2",
            "--input-port", "5000", "--input-source", "10.0.0.1", "--output", "239.10.0.2:6000:out0",
            "--output", "10.9.9.9:7000:out0").out().strip();
        assertTrue(generated.matches("[A-Za-z0-9._-]{1,64}") && !generated.equals("cam-1"), generated);

        final JsonNode rules = JSON.readTree(ok("list", "--json").out());
        assertEquals(2, rules.size(), rules::toString);
        final JsonNode cam1 = rules.get(0).get("id").asText().equals("cam-1") ? rules.get(0) : rules.get(1);
        assertEquals(Set.of("id", "name", "input_interface", "input_group", "input_port", "input_source", "outputs",
            "state", "state_reason"), fieldNames(cam1));
        assertEquals("Camera 1", cam1.get("name").asText());
        assertEquals("in0", cam1.get("input_interface").asText());
        assertEquals("239.1.1.1", cam1.get("input_group").asText());
        assertEquals(5000, cam1.get("input_port").asInt());
        assertTrue(cam1.get("input_source").isNull());
        assertEquals("active", cam1.get("state").asText());
        final JsonNode output = cam1.get("outputs").get(0);
        assertEquals(Set.of("group", "port", "interface", "ttl"), fieldNames(output));
        assertEquals("239.10.0.1", output.get("group").asText());
        assertEquals(6000, output.get("port").asInt());
        assertEquals("out0", output.get("interface").asText());
        assertEquals(8, output.get("ttl").asInt());
        final JsonNode other = rules.get(0) == cam1 ? rules.get(1) : rules.get(0);
        assertEquals("10.0.0.1", other.get("input_source").asText());
        assertTrue(other.get("outputs").get(1).get("ttl").isNull());

        final List<List<String>> table = Arrays.stream(ok("list").out().split("\n"))
            .map(line -> List.of(line.split(" {2,}"))).toList();
        assertEquals(List.of(List.of("ID", "STATE", "INPUT", "OUTPUTS", "NAME"),
            List.of("cam-1", "active", "in0 239.1.1.1:5000", "239.10.0.1:6000:out0:8", "Camera 1"),
            List.of(generated, "active", "in0 239.1.1.2:5000 from 10.0.0.1",
                "239.10.0.2:6000:out0,10.9.9.9:7000:out0", "-")), table);

        assertEquals("removed cam-1\n", ok("remove", "cam-1").out());
        final JsonNode after = JSON.readTree(ok("list", "--json").out());
        assertEquals(1, after.size());
        assertEquals(generated, after.get(0).get("id").asText());

        final CliRun missing = cli("remove", "cam-1");
        assertEquals(1, missing.exitCode(), missing::toString);
        assertEquals("mcrelay: no rule has id \"cam-1\"\n", missing.err());
        assertEquals("", missing.out());
    }

    @Test
    void anAddTheDaemonRefusesExitsOneNamingTheFieldAndChangesNothing() throws Exception {
        start();
        addCam1();
        final CliRun sameInput = cli("add", "--input-interface", "in0", "--input-group", "239.1.1.1",
            "--input-port", "5000", "--output", "239.10.0.9:6000:out0", "--id", "cam-2");
        assertEquals(1, sameInput.exitCode(), sameInput::toString);
        assertEquals("", sameInput.out());
        assertTrue(sameInput.err().startsWith("mcrelay: input: rule \"cam-1\" already receives"), sameInput::toString);

        final CliRun sameId = cli("add", "--input-interface", "in0", "--input-group", "239.1.1.7",
            "--input-port", "5000", "--output", "239.10.0.9:6000:out0", "--id", "cam-1");
        assertEquals(1, sameId.exitCode(), sameId::toString);
        assertEquals("mcrelay: id: a rule with id \"cam-1\" already exists\n", sameId.err());

        assertEquals(1, cluster.supervisor().epoch(), "a refused add changes nothing");
        assertEquals(1, JSON.readTree(ok("list", "--json").out()).size());
    }

    @Test
    void anAddAWorkerDoesNotAckExitsFourNamingTheLaggard() throws Exception {
        // Heartbeats are missed for good only after ~4 min of virtual time: the hung worker stays in place (not
        // restarted) while the CLI starts and the daemon waits its 1 s for the acks.
        final Supervisor.Config defaults = Supervisor.Config.defaults(2);
        start(new Supervisor.Config(2, defaults.ackTimeoutNs(), defaults.heartbeatIntervalNs(), 1_000,
            defaults.connectTimeoutNs(), defaults.backoffInitialNs(), defaults.backoffMaxNs(),
            defaults.backoffResetNs(), defaults.limits(), defaults.firstMessageTimeoutNs()));
        final SimLauncher.LiveWorker laggard = cluster.launcher().liveWorkers().get(1);
        final int index = laggard.handle().workerIndex();
        cluster.launcher().setHung(laggard.handle(), true);
        final CliRun run = cli("add", "--input-interface", "in0", "--input-group", "239.1.1.1", "--input-port",
            "5000", "--output", "239.10.0.1:6000:out0", "--id", "cam-1");
        assertEquals(4, run.exitCode(), run::toString);
        assertEquals("cam-1\n", run.out(), "the rule is committed: its id is printed");
        assertEquals("mcrelay: rule cam-1 is committed (epoch 1) but not acked in time by worker " + index
            + "; they are being resynced or restarted\n", run.err());
        assertEquals(1, cluster.supervisor().epoch());

        cluster.launcher().setHung(laggard.handle(), false);
        assertTrue(cluster.runUntil(cluster::converged, 10 * SECOND), "the laggard is resynced or restarted");
        assertEquals("synced at epoch 1\n", ok("sync").out());
    }

    @Test
    void statsAndWorkersShowTheCountersAndWorkersWithTheContractsFieldNames() throws Exception {
        start();
        addCam1();
        for (int i = 0; i < 3; i++) {
            cluster.sendPacket("in0", SOURCE, IpAddress.parse("239.1.1.1").ipv4Value(), 5000,
                "hello".getBytes(StandardCharsets.UTF_8));
            cluster.runFor(10_000_000L);
        }
        cluster.runFor(SECOND); // a few heartbeats carry the counters to the supervisor

        final JsonNode stats = JSON.readTree(ok("stats", "--json").out());
        assertEquals(Set.of("rules", "unmatched", "removed_rules", "drops", "inputs", "workers", "journal"),
            fieldNames(stats));
        assertEquals(Set.of("packets_in", "bytes_in"), fieldNames(stats.get("removed_rules")));
        assertEquals("{\"state\":\"ok\",\"reason\":null}", stats.get("journal").toString());
        final JsonNode rule = stats.get("rules").get(0);
        assertEquals(Set.of("id", "packets_in", "bytes_in", "packets_in_per_second", "bytes_in_per_second", "drops",
            "outputs"), fieldNames(rule));
        assertEquals("cam-1", rule.get("id").asText());
        assertEquals(3, rule.get("packets_in").asLong());
        assertEquals(15, rule.get("bytes_in").asLong());
        assertEquals(Set.of("buffer_full", "no_buffer_space", "send_error", "link_down"),
            fieldNames(rule.get("drops")));
        final JsonNode output = rule.get("outputs").get(0);
        assertEquals(Set.of("group", "port", "interface", "packets_out", "bytes_out", "errors"), fieldNames(output));
        assertEquals(3, output.get("packets_out").asLong());
        assertEquals(0, stats.get("unmatched").asLong());
        assertEquals(Set.of("malformed", "fragment", "ring_full", "staging_full"), fieldNames(stats.get("drops")));
        // One entry per (input interface, worker) that received anything; together they were offered the 3 frames.
        long offered = 0;
        for (final JsonNode input : stats.get("inputs")) {
            assertEquals(Set.of("interface", "worker", "tp_packets", "ring_full", "staging_full"), fieldNames(input));
            assertEquals("in0", input.get("interface").asText());
            assertEquals(0, input.get("ring_full").asLong() + input.get("staging_full").asLong());
            offered += input.get("tp_packets").asLong();
        }
        assertEquals(3, offered, stats::toString);
        assertEquals(2, stats.get("workers").size());
        final Set<String> workerFields = Set.of("index", "pid", "state", "restarts", "epoch", "ruleset_hash");
        assertEquals(workerFields, fieldNames(stats.get("workers").get(0)));

        final String human = ok("stats").out();
        assertTrue(human.startsWith("RULE   OUTPUT"), human);
        assertTrue(human.contains("cam-1  in  "), human);
        assertTrue(human.contains("239.10.0.1:6000:out0  3"), human);
        assertTrue(human.contains("unmatched 0, malformed 0, fragment 0, ring_full 0, staging_full 0, removed rules' "
            + "packets in 0\n"), human);
        assertTrue(human.contains("INPUT  WORKER  TP_PACKETS  RING_FULL  STAGING_FULL"), human);
        assertTrue(human.contains("WORKER  PID"), human);

        final JsonNode workers = JSON.readTree(ok("workers", "--json").out());
        assertEquals(2, workers.size());
        final Set<String> withReason = new java.util.TreeSet<>(workerFields);
        withReason.add("last_restart_reason");
        for (final JsonNode worker : workers) {
            assertEquals(withReason, fieldNames(worker));
            assertEquals(1, worker.get("epoch").asLong());
            assertEquals("none", worker.get("last_restart_reason").asText(), "never restarted");
        }
        assertTrue(ok("workers").out().contains("LAST_RESTART"));
        final String[] lines = ok("workers").out().split("\n");
        assertEquals(3, lines.length, () -> String.join("\n", lines));
        assertTrue(lines[0].startsWith("WORKER  PID"), lines[0]);
    }

    @Test
    void pingSyncAndVersionAnswer() throws Exception {
        start();
        final String pong = ok("ping").out();
        assertTrue(pong.matches("pong from " + socket + " in \\d+\\.\\d{3} ms\n"), pong);
        assertEquals("synced at epoch 0\n", ok("sync").out());
        assertTrue(ok("version").out().endsWith("daemon " + BuildInfo.version() + " (control protocol "
            + BuildInfo.CONTROL_PROTOCOL_VERSION + ") at " + socket + "\n"));
    }

    @Test
    void logLevelGetAndSet() throws Exception {
        start();
        assertEquals("FACILITY  LEVEL\nroot      INFO\n", ok("log-level", "get").out());
        assertEquals("FACILITY         LEVEL\nio.mcrelay.core  DEBUG\n",
            ok("log-level", "set", "--facility", "io.mcrelay.core", "debug").out());
        assertEquals("FACILITY         LEVEL\nio.mcrelay.core  DEBUG\n",
            ok("log-level", "get", "--facility", "io.mcrelay.core").out());
        final CliRun bad = cli("log-level", "set", "LOUD");
        assertEquals(1, bad.exitCode(), bad::toString);
        assertEquals("mcrelay: \"LOUD\" is not a log level (TRACE, DEBUG, INFO, WARN, ERROR or OFF)\n", bad.err());
        assertEquals("FACILITY  LEVEL\nroot      INFO\n", ok("log-level", "get", "--facility", "root").out());
    }

    @Test
    void traceEnableShowDisable() throws Exception {
        start();
        assertEquals("cam-1\n", ok("add", "--input-interface", "in0", "--input-group", "239.1.1.1",
            "--input-port", "5000", "--output", "239.10.0.1:6000:out0", "--output", "239.10.0.2:6000:out9",
            "--id", "cam-1").out()); // out9 does not exist: that copy is dropped
        assertEquals("tracing of rule cam-1 enabled\n", ok("trace", "enable", "cam-1").out());
        cluster.sendPacket("in0", SOURCE, IpAddress.parse("239.1.1.1").ipv4Value(), 5000,
            "traced".getBytes(StandardCharsets.UTF_8));
        cluster.runFor(SECOND);
        final String[] shown = ok("trace", "show", "cam-1").out().split("\n");
        assertEquals("rule cam-1: tracing enabled, 4 steps", shown[0]);
        assertTrue(shown[1].startsWith("WORKER  PACKET  STEP"), shown[1]);
        assertEquals(List.of("received", "matched", "sent", "dropped"),
            Arrays.stream(shown).skip(2).map(line -> line.split(" +")[2]).toList());
        assertEquals("0", shown[4].split(" +")[3], "the send names its output");
        assertTrue(shown[5].split(" +")[4].startsWith("link_down"), shown[5]);
        assertEquals("tracing of rule cam-1 disabled\n", ok("trace", "disable", "cam-1").out());
        assertTrue(ok("trace", "show", "cam-1").out().startsWith("rule cam-1: tracing disabled, 4 steps\n"));
        final CliRun unknown = cli("trace", "enable", "nope");
        assertEquals(1, unknown.exitCode(), unknown::toString);
        assertEquals("mcrelay: no rule has id \"nope\"\n", unknown.err());
    }

    @Test
    void configCheckAndLoad() throws Exception {
        start();
        final Path good = dir.resolve("studio.json");
        Files.writeString(good, """
            {
              // two cameras
              "rules": [
                {"id": "cam-1", "input_interface": "in0", "input_group": "239.1.1.1", "input_port": 5000,
                 "outputs": [{"group": "239.10.0.1", "port": 6000, "interface": "out0", "ttl": 8}]},
                {"id": "cam-2", "input_interface": "in0", "input_group": "239.1.1.2", "input_port": 5000,
                 "outputs": [{"group": "239.10.0.2", "port": 6000, "interface": "out0"}]}
              ]
            }
            """);
        assertEquals(good + ": valid, 2 rules; a load now would add 2, remove 0 and keep 0\n",
            ok("config", "check", good.toString()).out());
        assertEquals(0, cluster.supervisor().epoch(), "check applies nothing");
        assertEquals("loaded " + good + " at epoch 1: 2 added, 0 removed, 0 kept\n",
            ok("config", "load", good.toString()).out());
        assertEquals(2, JSON.readTree(ok("list", "--json").out()).size());

        // The running table saved, and loaded back: nothing changes, not even the epoch.
        final Path saved = dir.resolve("saved.json");
        assertEquals("saved 2 rules of epoch 1 to " + saved + "\n", ok("config", "save", saved.toString()).out());
        final String text = Files.readString(saved);
        assertTrue(text.startsWith("// the rule table of epoch 1, written by 'mcrelay config save'\n{"), text);
        assertTrue(text.indexOf("\"cam-1\"") < text.indexOf("\"cam-2\""), text);
        assertEquals(saved + ": valid, 2 rules; a load now would add 0, remove 0 and keep 2\n",
            ok("config", "check", saved.toString()).out());
        assertEquals("loaded " + saved + " at epoch 1: 0 added, 0 removed, 2 kept\n",
            ok("config", "load", saved.toString()).out());
        assertEquals(1, cluster.supervisor().epoch(), "a load that changes nothing takes no epoch");

        final Path bad = dir.resolve("bad.json");
        Files.writeString(bad, """
            {
              "rules": [
                {"id": "cam-1", "input_interface": "in0", "input_group": "239.1.1.1", "input_port": "x",
                 "outputs": [{"group": "239.10.0.1", "port": 6000, "interface": "out0"}]}
              ]
            }
            """);
        for (final String command : List.of("check", "load")) {
            final CliRun refused = cli("config", command, bad.toString());
            assertEquals(1, refused.exitCode(), refused::toString);
            assertEquals("", refused.out());
            assertTrue(refused.err().matches("mcrelay: " + bad + ":3:\\d+: rules\\[0]\\.input_port: .*\n"),
                refused::toString);
        }
        assertEquals(1, cluster.supervisor().epoch(), "a bad file changes nothing");
        assertEquals(2, JSON.readTree(ok("list", "--json").out()).size());

        final CliRun unreadable = cli("config", "load", dir.resolve("absent.json").toString());
        assertEquals(1, unreadable.exitCode(), unreadable::toString);
        assertTrue(unreadable.err().startsWith("mcrelay: cannot read " + dir.resolve("absent.json")),
            unreadable::toString);
    }

    @Test
    void aClosedDaemonIsExitThreeNamingTheSocket() throws Exception {
        start();
        server.close();
        final CliRun run = cli("ping");
        assertEquals(3, run.exitCode(), run::toString);
        assertFalse(run.err().isEmpty());
        assertTrue(run.err().contains(socket.toString()), run::toString);
    }
}
