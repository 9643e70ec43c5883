package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.cli.CliRun;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Nobody can lock the control socket (issue 13's acceptance), on the real daemon from the shipped jar. A throwaway
 * group is made the socket's ({@code --socket-group}); {@code nobody}, given that group, runs {@link ControlFlood}
 * from a copy of its class file: 200 idle connections, one sending text where a length belongs, one an oversize
 * length, one a frame that is no JSON and one half a frame. Meanwhile root's {@code list}, {@code add} and
 * {@code stats} through the CLI are answered, and the table changes only by that {@code add}. The daemon holds at
 * most 16 of nobody's connections, told the others why it closed them, answered the broken frames with a refusal
 * naming the problem, and logged the limits that bit. The same user without the group cannot connect at all. A second
 * daemon with {@code --control-idle-timeout 2} closes a silent connection and one holding half a frame, while one that
 * keeps sending requests stays. Durations are printed, never asserted.
 */
class ControlSocketLockoutNetnsIT {
    private static final String PREFIX = "mcrlk";
    private static final int IDLE = 200;
    private static final int PER_USER_MAX = 16;

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** A system group made for one test and deleted in every path (a shutdown hook if the JVM is stopped). */
    private static final class ThrowawayGroup implements AutoCloseable {
        final String name;
        final int gid;
        private final Thread hook;

        ThrowawayGroup() throws Exception {
            name = "mcrlk" + ProcessHandle.current().pid() % 1_000_000;
            run("groupadd", "--system", name);
            hook = new Thread(() -> quietly("groupdel", name));
            Runtime.getRuntime().addShutdownHook(hook);
            gid = Integer.parseInt(run("getent", "group", name).split(":")[2].strip());
        }

        @Override
        public void close() {
            quietly("groupdel", name);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // shutting down: the hook runs anyway
            }
        }
    }

    private static String run(final String... command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), () -> String.join(" ", command) + " hung");
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> String.join(" ", command) + ": " + out);
        return out;
    }

    private static void quietly(final String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        } catch (final IOException e) {
            System.out.println("[lockout] " + String.join(" ", command) + " failed: " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@link ControlFlood} as {@code nobody} (with {@code group}'s gid as a supplementary group, if given), from a
     * copy of its class files under {@code dir} that nobody can read; its stdout lines arrive in a queue.
     */
    private static final class Flood implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final PrintWriter commands;

        Flood(final Path dir, final Integer gid, final String... args) throws IOException {
            final Path classes = copyClasses(dir);
            final List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup"));
            command.add(gid == null ? "--clear-groups" : "--groups=" + gid);
            command.addAll(List.of("--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", "-cp", classes.toString(), ControlFlood.class.getName()));
            command.addAll(List.of(args));
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().name("flood-output").start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (final IOException e) {
                    lines.add("(output lost: " + e + ")");
                }
            });
        }

        private static Path copyClasses(final Path dir) throws IOException {
            final Path root = dir.resolve("flood");
            final Path from = Path.of(ControlFlood.class.getProtectionDomain().getCodeSource().getLocation()
                .getPath()).resolve("io/mcrelay/netns");
            final Path to = Files.createDirectories(root.resolve("io/mcrelay/netns"));
            for (Path p = to; !p.equals(dir); p = p.getParent()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            try (Stream<Path> files = Files.list(from)) {
                for (final Path file : files.filter(f -> f.getFileName().toString().startsWith("ControlFlood"))
                    .toList()) {
                    final Path copy = Files.copy(file, to.resolve(file.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            return root;
        }

        /** The next line, within the daemon pace's hang guard. */
        String next(final String what) throws InterruptedException {
            final String line = lines.poll(60, TimeUnit.SECONDS);
            assertTrue(line != null, () -> "no line from the flood within 60 s (" + what + "); alive: "
                + process.isAlive());
            return line;
        }

        /** The report's lines: the first ({@code report ...}), then each peer line by name. */
        Map<String, String> report() throws InterruptedException {
            commands.println("report");
            final Map<String, String> report = new LinkedHashMap<>();
            for (String line = next("report"); !line.equals("end"); line = next("report")) {
                if (line.startsWith("peer ")) {
                    final String[] parts = line.split(" ", 3);
                    report.put(parts[1], parts[2]);
                } else {
                    report.put("report", line);
                }
            }
            return report;
        }

        @Override
        public void close() throws InterruptedException {
            commands.println("quit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static RuleDocument rule(final String id, final String group) {
        return new RuleDocument(id, null, "in0", group, 7000, null,
            List.of(new RuleDocument.OutputDocument("239.8.8.8", 8000, "out0", null)), null);
    }

    private static List<RuleDocument> list(final ControlClient client) throws Exception {
        final ControlResponse listed = client.exchange(new ControlRequest.ListRules(client.nextRequestId()));
        return assertInstanceOf(ControlResponse.Rules.class, listed, listed::toString).rules();
    }

    private static CliRun timed(final String what, final String... args) {
        final long startNs = System.nanoTime();
        final CliRun run = CliRun.of(args);
        System.out.println("[lockout] root's " + what + " answered in " + (System.nanoTime() - startNs) / 1_000_000
            + " ms (exit " + run.exitCode() + ")");
        return run;
    }

    @Test
    void aGroupMemberHoldingIdleAndBrokenConnectionsLocksNobodyElseOut() throws Exception {
        Netns.requireRoot();
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        final Path socket = dir.resolve("control.sock");
        final Path log = dir.resolve("daemon.log");
        Process daemon = null;
        try (ThrowawayGroup group = new ThrowawayGroup();
            WorkerForwardingNetnsIT.Topology net = new WorkerForwardingNetnsIT.Topology(PREFIX)) {
            // A long idle timeout: this test is about the per-user limit, not about idle connections expiring.
            daemon = DaemonKit.startDaemon(net, socket, dir.resolve("journal"), log, "--socket-group", group.name,
                "--control-idle-timeout", "600");
            final List<RuleDocument> before;
            try (ControlClient client = DaemonKit.connect(daemon, socket, log)) {
                DaemonKit.awaitReadyWorker(client, log);
                assertInstanceOf(ControlResponse.RuleAdded.class,
                    client.exchange(new ControlRequest.Add(client.nextRequestId(), rule("r0", "239.7.7.7"))));
                before = list(client);
            }
            assertEquals(group.name, ((GroupPrincipal) Files.getAttribute(socket, "posix:group",
                LinkOption.NOFOLLOW_LINKS)).getName(), "the socket's group is --socket-group's");
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                LinkOption.NOFOLLOW_LINKS)));

            try (Flood outsider = new Flood(dir, null, socket.toString(), "1")) {
                final String line = outsider.next("a connect without the group");
                assertTrue(line.startsWith("connect failed: ") && line.contains("Permission denied"),
                    () -> "nobody outside the socket's group cannot connect: " + line);
            }

            final long floodStartNs = System.nanoTime();
            try (Flood flood = new Flood(dir, group.gid, socket.toString(), Integer.toString(IDLE), "misbehave")) {
                assertEquals("opened " + (IDLE + 4), flood.next("the flood's connections"),
                    () -> DaemonKit.read(log));
                System.out.println("[lockout] nobody opened " + (IDLE + 4) + " connections in "
                    + (System.nanoTime() - floodStartNs) / 1_000_000 + " ms");
                final String path = socket.toString();
                final CliRun listed = timed("list", "list", "--json", "--socket", path);
                assertEquals(0, listed.exitCode(), () -> listed.err() + "\n" + DaemonKit.read(log));
                assertTrue(listed.out().contains("\"r0\""), listed::out);
                final CliRun added = timed("add", "add", "--socket", path, "--id", "r1", "--input-interface", "in0",
                    "--input-group", "239.7.7.8", "--input-port", "7000", "--output", "239.8.8.8:8000:out0");
                assertEquals(0, added.exitCode(), () -> added.err() + "\n" + DaemonKit.read(log));
                assertEquals("r1", added.out().strip());
                final CliRun stats = timed("stats", "stats", "--json", "--socket", path);
                assertEquals(0, stats.exitCode(), () -> stats.err() + "\n" + DaemonKit.read(log));
                assertTrue(stats.out().contains("\"r1\""), stats::out);

                final Map<String, String> report = flood.report();
                System.out.println("[lockout] " + report);
                final String counts = report.get("report");
                final int open = Integer.parseInt(counts.replaceAll(".*idle_open=(\\d+).*", "$1"));
                final int closed = Integer.parseInt(counts.replaceAll(".*idle_closed=(\\d+).*", "$1"));
                assertEquals(IDLE, open + closed, counts);
                // framed-garbage and half hold their places; garbage and oversize were closed.
                assertTrue(open >= 1 && open + 2 <= PER_USER_MAX, () -> "nobody holds at most " + PER_USER_MAX
                    + " connections, two of them the broken ones still open: " + counts);
                assertTrue(report.get("idle-refused").startsWith("closed ") && report.get("idle-refused").contains(
                    "user nobody holds 16 connections to the control socket, the most one user may (root excepted)"),
                    () -> "an idle connection over the limit is told why: " + report);
                assertTrue(report.get("garbage").startsWith("closed ") && report.get("garbage").contains(
                    "\"code\":\"bad_request\"") && report.get("garbage").contains("frame length 1195725856 exceeds "
                    + "the limit of 16777216 bytes"), () -> "text where a length belongs: " + report);
                assertTrue(report.get("oversize").startsWith("closed ") && report.get("oversize").contains(
                    "frame length 16777217 exceeds the limit of 16777216 bytes"), () -> "oversize: " + report);
                assertTrue(report.get("framed-garbage").startsWith("open ") && report.get("framed-garbage")
                    .contains("\"code\":\"bad_request\""), () -> "a frame that is no JSON is refused: " + report);
                assertEquals("open ", report.get("half"), "half a frame is held, unanswered, until the idle timeout");
            }

            try (ControlClient client = DaemonKit.connect(daemon, socket, log)) {
                final List<RuleDocument> after = list(client);
                assertEquals(List.of("r0", "r1"), after.stream().map(RuleDocument::id).toList(), after::toString);
                assertEquals(before.getFirst(), after.getFirst(), "r0 unchanged");
            }
            final String text = DaemonKit.read(log);
            assertTrue(text.contains("WARN") && text.contains("user nobody holds 16 connections to the control socket"),
                () -> "the per-user limit is logged when it bites:\n" + text);
            // One line for whichever broken length was read first; the other came within 10 s of it.
            assertTrue(text.lines().anyMatch(l -> l.contains("WARN") && l.contains("of user nobody closed: frame length ")
                && l.contains(" exceeds the limit of 16777216 bytes")), text);
            // Rate-limited: about 186 connections were refused, and one line per 10 s at most says so.
            final long limitLines = text.lines().filter(l -> l.contains("user nobody holds 16 connections")).count();
            final long linesMax = 1 + (System.nanoTime() - floodStartNs) / TimeUnit.SECONDS.toNanos(10);
            System.out.println("[lockout] per-user limit lines in the log: " + limitLines + " (at most " + linesMax
                + " for the time the flood ran)");
            assertTrue(limitLines <= linesMax, () -> limitLines + " lines:\n" + text);
            DaemonKit.stop(daemon, log);
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    @Test
    void idleConnectionsAreClosedAfterAShortIdleTimeoutWhileABusyOneStays() throws Exception {
        Netns.requireRoot();
        final Path dir = WorkerForwardingNetnsIT.runtimeParent();
        final Path socket = dir.resolve("control.sock");
        final Path log = dir.resolve("daemon.log");
        Process daemon = null;
        try (WorkerForwardingNetnsIT.Topology net = new WorkerForwardingNetnsIT.Topology(PREFIX)) {
            daemon = DaemonKit.startDaemon(net, socket, dir.resolve("journal"), log, "--control-idle-timeout", "2");
            try (ControlClient busy = DaemonKit.connect(daemon, socket, log);
                SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX);
                SocketChannel half = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                silent.connect(UnixDomainSocketAddress.of(socket));
                half.connect(UnixDomainSocketAddress.of(socket));
                half.write(ByteBuffer.allocate(4 + 8).putInt(100).put("{\"type\":".getBytes(StandardCharsets.US_ASCII))
                    .flip());
                silent.configureBlocking(false);
                half.configureBlocking(false);
                final long startNs = System.nanoTime();
                int pings = 0;
                boolean silentClosed = false;
                boolean halfClosed = false;
                // Root's connections too: the idle timeout spares nobody. The busy client asks every 500 ms.
                while (!(silentClosed && halfClosed) && System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(60)) {
                    final ControlResponse pong = busy.exchange(new ControlRequest.Ping(busy.nextRequestId()));
                    assertInstanceOf(ControlResponse.Pong.class, pong, pong::toString);
                    pings++;
                    Thread.sleep(500); // pacing the busy client, not a wait
                    if (!silentClosed && closedByPeer(silent)) {
                        silentClosed = true;
                        System.out.println("[idle] the silent connection was closed after "
                            + (System.nanoTime() - startNs) / 1_000_000 + " ms");
                    }
                    if (!halfClosed && closedByPeer(half)) {
                        halfClosed = true;
                        System.out.println("[idle] the connection holding half a frame was closed after "
                            + (System.nanoTime() - startNs) / 1_000_000 + " ms");
                    }
                }
                final String state = "silent closed " + silentClosed + ", half closed " + halfClosed;
                assertTrue(silentClosed && halfClosed, () -> "waited 60 s for the idle connections to be closed ("
                    + state + "):\n" + DaemonKit.read(log));
                final ControlResponse pong = busy.exchange(new ControlRequest.Ping(busy.nextRequestId()));
                assertInstanceOf(ControlResponse.Pong.class, pong, "the busy client is still served after " + pings
                    + " pings");
            }
            final String text = DaemonKit.read(log);
            assertTrue(text.contains("idle timeout: no request in the 2000 ms since the last request or answer"), text);
            DaemonKit.stop(daemon, log);
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    /** Reads what is there without waiting; true once the daemon closed the connection. */
    private static boolean closedByPeer(final SocketChannel channel) {
        final ByteBuffer sink = ByteBuffer.allocate(4096);
        try {
            int read;
            do {
                sink.clear();
                read = channel.read(sink);
            } while (read > 0);
            return read < 0;
        } catch (final IOException e) {
            return true;
        }
    }
}
