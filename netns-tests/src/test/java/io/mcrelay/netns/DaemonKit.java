package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real daemon as the end-to-end suites run it: {@code mcrelay supervisor} as a child JVM in a topology's relay
 * namespace, its output in a log file, reached through its control socket; and what the suites wait for (a ready
 * worker, each with its process) at the {@link Waits.Pace#DAEMON} pace, failing with the daemon's log.
 */
final class DaemonKit {
    private DaemonKit() {
    }

    /**
     * {@code mcrelay supervisor} from the shipped jar ({@code dist/target/mcrelay.jar}, with its {@code jvm.options},
     * as the {@code ./mcrelay} launcher runs it) in the relay namespace, one worker unless {@code more} starts with
     * {@code --workers}; its stdout and stderr in {@code log}.
     */
    static Process startDaemon(final WorkerForwardingNetnsIT.Topology net, final Path socket,
        final Path journal, final Path log, final String... more) throws IOException {
        return startDaemonIn(net.relay, "supervisor", socket, journal, log, more);
    }

    /**
     * The system property that runs every daemon of the suites with {@code --backend VALUE} (unless the suite names a
     * backend itself): {@code -Dmcrelay.netns.backend=epoll} runs the suites on the fallback backend. Unset: the
     * daemon's default ({@code auto}, io_uring on these machines).
     */
    static final String BACKEND_PROPERTY = "mcrelay.netns.backend";

    /**
     * A test device, consumed here, not a daemon option: {@code --run-as=USER:GROUP:SUPPLEMENTARY:CAPS} runs the daemon
     * as {@code USER} (group {@code GROUP}, supplementary group {@code SUPPLEMENTARY} or none) holding exactly
     * {@code CAPS} (e.g. {@code net_raw,net_admin,setpcap}: inheritable, ambient and bounding set), through
     * {@code setpriv}, as a systemd unit with {@code AmbientCapabilities=} would start it. The daemon's directory (the
     * socket's parent) is given to {@code USER}, and the shipped jar and its options are copied into it, readable to
     * all (a checkout may live where other users cannot read).
     */
    static final String RUN_AS = "--run-as=";

    /**
     * As {@link #startDaemon}, in namespace {@code netns}, as {@code mcrelay COMMAND} ({@code supervisor}, or the
     * fault-injection module's {@code fault-supervisor}). Entries of {@code more} that start with {@code -D} are
     * system properties of the daemon's JVM (placed before {@code -jar}); the rest are the command's options.
     */
    static Process startDaemonIn(final Netns netns, final String daemonCommand, final Path socket, final Path journal,
        final Path log, final String... more) throws IOException {
        final Path dist = Path.of(System.getProperty("mcrelay.dist", "../dist/target")).toAbsolutePath().normalize();
        final Path jar = dist.resolve("mcrelay.jar");
        final Path options = dist.resolve("jvm.options");
        assertTrue(Files.isReadable(jar) && Files.isReadable(options), () -> "the shipped jar is not built: "
            + jar + " and " + options + " (build them with ./mvnw -pl dist -am package)");
        final List<String> properties = Stream.of(more).filter(option -> option.startsWith("-D")).toList();
        final List<String> commandOptions = Stream.of(more)
            .filter(option -> !option.startsWith("-D") && !option.startsWith(RUN_AS)).toList();
        final List<String> runAs = Stream.of(more).filter(option -> option.startsWith(RUN_AS)).toList();
        final List<String> command = new ArrayList<>(List.of(WorkerForwardingNetnsIT.ip(), "netns", "exec",
            netns.name()));
        Path runJar = jar;
        Path runOptions = options;
        if (!runAs.isEmpty()) {
            final Path copies = socket.getParent().resolve("dist");
            Files.createDirectories(copies);
            runJar = Files.copy(jar, copies.resolve("mcrelay.jar"), StandardCopyOption.REPLACE_EXISTING);
            runOptions = Files.copy(options, copies.resolve("jvm.options"), StandardCopyOption.REPLACE_EXISTING);
            for (final Path path : List.of(copies, runJar, runOptions)) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path)
                    ? "rwxr-xr-x" : "rw-r--r--"));
            }
            command.addAll(runAsPrefix(runAs.getLast().substring(RUN_AS.length()), socket.getParent()));
        }
        command.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "@" + runOptions,
            "-Xmx256m"));
        command.addAll(properties);
        command.addAll(List.of("-jar", runJar.toString(), daemonCommand, "--socket", socket.toString(), "--journal",
            journal.toString()));
        command.addAll(!commandOptions.isEmpty() && commandOptions.getFirst().equals("--workers") ? List.of()
            : List.of("--workers", "1"));
        final String backend = System.getProperty(BACKEND_PROPERTY, "");
        if (!backend.isBlank() && commandOptions.stream().noneMatch(option -> option.startsWith("--backend"))) {
            command.addAll(List.of("--backend", backend.strip()));
        }
        command.addAll(commandOptions);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The {@code setpriv} command of a {@link #RUN_AS} value; gives {@code dir} to its user first. */
    static List<String> runAsPrefix(final String value, final Path dir) throws IOException {
        final String[] fields = value.split(":", -1);
        assertEquals(4, fields.length, () -> "--run-as=USER:GROUP:SUPPLEMENTARY:CAPS, not " + value);
        try {
            final Process chown = new ProcessBuilder("chown", fields[0] + ":" + fields[1], dir.toString())
                .redirectErrorStream(true).start();
            final String out = new String(chown.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(chown.waitFor(30, TimeUnit.SECONDS) && chown.exitValue() == 0, () -> "chown: " + out);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while giving " + dir + " to " + fields[0], e);
        }
        final String caps = fields[3].isEmpty() ? "" : Stream.of(fields[3].split(",")).map(cap -> "+" + cap)
            .collect(java.util.stream.Collectors.joining(","));
        final List<String> prefix = new ArrayList<>(List.of("setpriv", "--reuid=" + fields[0], "--regid=" + fields[1],
            fields[2].isEmpty() ? "--clear-groups" : "--groups=" + fields[2]));
        if (!caps.isEmpty()) {
            prefix.addAll(List.of("--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=-all," + caps));
        } else {
            prefix.add("--bounding-set=-all");
        }
        prefix.add("--");
        return prefix;
    }

    /** Waits for the control socket and connects; fails with the daemon's log if it died or never listened. */
    static ControlClient connect(final Process daemon, final Path socket, final Path log) throws Exception {
        Waits.until("the daemon's control socket " + socket, () -> {
            assertTrue(daemon.isAlive(), () -> "the daemon exited " + daemon.exitValue() + ":\n" + read(log));
            return Files.exists(socket);
        }, () -> read(log));
        return ControlClient.connect(socket, 20_000);
    }

    /** The workers as {@code workers} reports them. */
    static List<ControlResponse.WorkerInfo> workers(final ControlClient client) throws Exception {
        final ControlResponse answer = client.exchange(new ControlRequest.Workers(client.nextRequestId()));
        return assertInstanceOf(ControlResponse.WorkerList.class, answer, answer::toString).workers();
    }

    /** Asks for the workers until one is ready (started, connected, synced). */
    static void awaitReadyWorker(final ControlClient client, final Path log) {
        Waits.until("a ready worker", () -> workers(client),
            workers -> workers.stream().anyMatch(worker -> worker.state().equals("ready")), () -> read(log));
    }

    /**
     * Asks for the workers until {@code count} are ready and the processes running from the runtime directory under
     * {@code dir} are exactly theirs (a worker being restarted has no process, or a new one, for a while); returns
     * their pids, sorted.
     */
    static List<Long> awaitReadyWorkersRunning(final ControlClient client, final int count, final Path dir,
        final Path log) {
        final List<Object> seen = Waits.until(count + " ready workers, each with its process", () -> {
            final List<Long> readyPids = workers(client).stream().filter(worker -> worker.state().equals("ready"))
                .map(ControlResponse.WorkerInfo::pid).sorted().toList();
            return List.<Object>of(readyPids, processesMentioning(dir).stream().sorted().toList());
        }, pair -> ((List<?>) pair.get(0)).size() == count && pair.get(0).equals(pair.get(1)), () -> read(log));
        @SuppressWarnings("unchecked")
        final List<Long> running = (List<Long>) seen.get(1);
        return running;
    }

    /** SIGTERM, then exit 0 within 30 s. */
    static void stop(final Process daemon, final Path log) throws InterruptedException {
        daemon.destroy(); // SIGTERM
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), () -> "still running 30 s after SIGTERM:\n" + read(log));
        assertEquals(0, daemon.exitValue(), () -> read(log));
    }

    /** The processes whose command line names something under {@code dir} (workers run from its runtime dir). */
    static List<Long> processesMentioning(final Path dir) throws IOException {
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

    static String read(final Path log) {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
