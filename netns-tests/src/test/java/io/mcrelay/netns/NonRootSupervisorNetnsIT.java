package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.traffic.HistoryChecker;

/**
 * The supervisor without full root, as its systemd unit starts it: a system user ({@code daemon} here) holding only
 * the capabilities it needs as ambient capabilities. With workers as another user ({@code nobody}) it needs six
 * ({@code CAP_NET_RAW}, {@code CAP_NET_ADMIN}, {@code CAP_SETUID}, {@code CAP_SETGID}, {@code CAP_SETPCAP},
 * {@code CAP_KILL}) and, without {@code CAP_CHOWN}, gives the workers' socket to their group (it is a member);
 * with workers as its own user, three. Either way it forwards every packet, and the workers hold no capability in
 * any set and run with {@code no_new_privs}. {@code --check} and the start name a missing capability.
 */
class NonRootSupervisorNetnsIT {
    private static final String PREFIX = "mcrnr";
    private static final String SIX = "net_raw,net_admin,setuid,setgid,setpcap,kill";
    /** The six as the kernel's mask (linux/capability.h: 13, 12, 7, 6, 8, 5). */
    private static final String SIX_MASK = "00000000000031e0";
    private static final String NOBODY_GROUP = "65534";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void withSixCapabilitiesItStartsItsWorkersAsAnotherUserAndForwards() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "six", DaemonKit.RUN_AS + "daemon:daemon:"
            + NOBODY_GROUP + ":" + SIX, "--user", "nobody")) {
            final Map<String, String> supervisor = status(relay.daemon.pid());
            System.out.println("[non-root] supervisor (pid " + relay.daemon.pid() + "): uid " + supervisor.get("Uid")
                + ", CapEff " + supervisor.get("CapEff"));
            assertEquals("1\t1\t1\t1", supervisor.get("Uid"), supervisor::toString);
            assertEquals(SIX_MASK, supervisor.get("CapEff"), supervisor::toString);
            assertTrue(DaemonKit.read(relay.log).contains("workers run as nobody (uid 65534, gid 65534)"),
                () -> DaemonKit.read(relay.log));
            final Path socket = workerSocket(relay);
            assertEquals(65534, Files.getAttribute(socket, "unix:gid"), "the workers' group owns their socket");
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertWorkersUnprivileged(relay, "65534");
            assertEveryPacketForwarded(relay);
        }
    }

    @Test
    void withThreeCapabilitiesItRunsItsWorkersAsItsOwnUserAndForwards() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "three", DaemonKit.RUN_AS
            + "daemon:daemon::net_raw,net_admin,setpcap", "--user", "daemon")) {
            assertEquals("0000000000003100", status(relay.daemon.pid()).get("CapEff"));
            assertTrue(DaemonKit.read(relay.log).contains("workers run as this user (uid 1), through setpriv without "
                + "capabilities"), () -> DaemonKit.read(relay.log));
            assertWorkersUnprivileged(relay, "1");
            assertEveryPacketForwarded(relay);
        }
    }

    /**
     * Without {@code CAP_KILL}, {@code --check} names it and what it is for, and exits 1; the start itself refuses
     * with the same line and creates nothing.
     */
    @Test
    void aMissingCapabilityIsNamedByCheckAndByTheStart() throws Exception {
        Netns.requireRoot();
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        try {
            final String five = "net_raw,net_admin,setuid,setgid,setpcap";
            final List<String> prefix = DaemonKit.runAsPrefix("daemon:daemon:" + NOBODY_GROUP + ":" + five, dir);
            final String line = "the supervisor (uid 1) lacks CAP_KILL (signal workers that run as another user): run "
                + "it as root or grant them (AmbientCapabilities= in its systemd unit, docs/packaging.md)";
            final Run check = run(prefix, dir, "--check");
            System.out.println("[non-root] --check without CAP_KILL:\n" + check.out());
            assertEquals(1, check.exit(), check::toString);
            assertTrue(check.out().contains("missing  capabilities: " + line), check::toString);
            final Run start = run(prefix, dir);
            assertEquals(1, start.exit(), start::toString);
            assertTrue(start.out().contains("mcrelay supervisor: cannot start: " + line), start::toString);
            assertTrue(!Files.exists(dir.resolve("control.sock")) && !Files.exists(dir.resolve("journal")),
                "nothing created");
        } finally {
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    private record Run(int exit, String out) {
    }

    /** {@code mcrelay supervisor --user nobody [more]} under {@code prefix}, from the jar copied into {@code dir}. */
    private static Run run(final List<String> prefix, final Path dir, final String... more) throws Exception {
        final Path dist = Path.of(System.getProperty("mcrelay.dist", "../dist/target")).toAbsolutePath().normalize();
        final Path jar = Files.copy(dist.resolve("mcrelay.jar"), dir.resolve("mcrelay.jar"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        try {
            final List<String> command = new ArrayList<>(prefix);
            command.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "supervisor", "--socket",
                dir.resolve("control.sock").toString(), "--journal", dir.resolve("journal").toString(), "--user",
                "nobody", "--workers", "1"));
            command.addAll(List.of(more));
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), out);
            return new Run(process.exitValue(), out);
        } finally {
            Files.deleteIfExists(jar);
        }
    }

    private static void assertEveryPacketForwarded(final TrafficRelay relay) throws Exception {
        final ControlResponse.OutputStats[] before = new ControlResponse.OutputStats[1];
        final TrafficRelay.Run run = TrafficRelay.conclusive(() -> {
            before[0] = relay.settledStats().rules().getFirst().outputs().getFirst();
            return relay.send(5_000, 5_000, 1_200, () -> { });
        });
        final HistoryChecker.Report report = run.report();
        final ControlResponse.StatsReport stats = relay.settledStats();
        System.out.println("[non-root] 5000 at 5000/s: " + report.describe());
        assertTrue(report.clean(), () -> report.describe() + "\n" + stats + "\n" + DaemonKit.read(relay.log));
        assertEquals(5_000, report.received(), report::describe);
        assertEquals(5_000, stats.rules().getFirst().outputs().getFirst().packetsOut() - before[0].packetsOut());
        DropAccountingNetnsIT.assertIdentities(stats);
    }

    /** Every worker runs as {@code uid}, with every capability set empty and no_new_privs. */
    private static void assertWorkersUnprivileged(final TrafficRelay relay, final String uid) throws Exception {
        for (final ControlResponse.WorkerInfo worker : relay.workers()) {
            final Map<String, String> status = status(worker.pid());
            assertEquals(uid + "\t" + uid + "\t" + uid + "\t" + uid, status.get("Uid"), status::toString);
            for (final String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
                assertEquals("0000000000000000", status.get(set), () -> set + " of worker " + worker.index());
            }
            assertEquals("1", status.get("NoNewPrivs"));
            System.out.println("[non-root] worker " + worker.index() + " (pid " + worker.pid() + "): uid " + uid
                + ", no capabilities, NoNewPrivs");
        }
    }

    /** The workers' socket in the daemon's runtime directory. */
    private static Path workerSocket(final TrafficRelay relay) throws Exception {
        try (Stream<Path> entries = Files.list(relay.dir)) {
            final Path runtime = entries.filter(p -> p.getFileName().toString().startsWith("mcrelay-")).findFirst()
                .orElseThrow(() -> new AssertionError("no runtime directory in " + relay.dir));
            return runtime.resolve("worker.sock");
        }
    }

    /** {@code /proc/PID/status} as field → value. */
    private static Map<String, String> status(final long pid) throws Exception {
        final Map<String, String> fields = new HashMap<>();
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            final int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
