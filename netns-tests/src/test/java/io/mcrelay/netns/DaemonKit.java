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
        final List<String> commandOptions = Stream.of(more).filter(option -> !option.startsWith("-D")).toList();
        final List<String> command = new ArrayList<>(List.of(WorkerForwardingNetnsIT.ip(), "netns", "exec",
            netns.name(), ProcessHandle.current().info().command().orElseThrow(), "@" + options, "-Xmx256m"));
        command.addAll(properties);
        command.addAll(List.of("-jar", jar.toString(), daemonCommand, "--socket", socket.toString(), "--journal",
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
