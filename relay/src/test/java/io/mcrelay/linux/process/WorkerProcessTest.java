package io.mcrelay.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * Worker processes against the real kernel: what the privilege drop leaves a worker (read back from
 * /proc/PID/status), its CPU pinning, that a passed descriptor works in the worker, that a wrong token or a foreign
 * process is refused, that a worker exits at its channel's EOF and at its supervisor's death (measured, within 1 s),
 * and the clear errors when the environment lacks something. Tests that need root (setpriv) say so and are skipped
 * otherwise.
 */
class WorkerProcessTest {
    private static final long CONNECT_DEADLINE_NS = TimeUnit.SECONDS.toNanos(30);
    private Path parent;
    private final List<ProcessWorkerLauncher> launchers = new ArrayList<>();
    private final List<WorkerChannel> channels = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();
    private final List<Long> strayPids = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final List<Integer> statuses = new ArrayList<>();

    @BeforeEach
    void makeParent() {
        parent = WorkerTestConfigs.runtimeParent();
    }

    @AfterEach
    void cleanUp() {
        channels.forEach(WorkerChannel::close);
        launchers.forEach(ProcessWorkerLauncher::close);
        fds.forEach(Syscalls::close);
        for (final long pid : strayPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        WorkerTestConfigs.delete(parent);
    }

    private static boolean root() {
        return Processes.effectiveUid() == 0;
    }

    private static void requireRoot() {
        if (!root()) {
            System.out.println("[worker] skipping: not root (effective uid " + Processes.effectiveUid()
                + "): workers cannot drop privileges through setpriv here");
        }
        Assumptions.assumeTrue(root(), "needs root (setpriv)");
    }

    private ProcessWorkerLauncher launcher(final ProcessWorkerLauncher.Config config) {
        final ProcessWorkerLauncher launcher = ProcessWorkerLauncher.create(config);
        launchers.add(launcher);
        return launcher;
    }

    /** Records every launcher event in {@link #events} (and channels, exit statuses). */
    private final WorkerLauncher.Listener recorder = new WorkerLauncher.Listener() {
        @Override
        public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
            events.add("connected " + handle.launchId());
            channels.add(channel);
        }

        @Override
        public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
            events.add("exited " + handle.launchId());
            statuses.add(exitStatus);
        }
    };

    /** Polls until {@code done} holds for the events seen, within 30 s. */
    private void pollUntil(final ProcessWorkerLauncher launcher, final Predicate<List<String>> done) {
        final long start = System.nanoTime();
        while (!done.test(events)) {
            assertTrue(System.nanoTime() - start < CONNECT_DEADLINE_NS, () -> "no such event within 30 s: " + events);
            launcher.awaitActivity(100);
            launcher.poll(recorder, 10);
        }
    }

    @Test
    void aWorkerRunsUnprivilegedWithoutCapabilitiesAndNoNewPrivs() throws IOException {
        requireRoot();
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent));
        assertTrue(launcher.dropsPrivileges());
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        pollUntil(launcher, e -> e.contains("connected " + handle.launchId()));
        final int uid = launcher.workerUser().uid();
        final int gid = launcher.workerUser().gid();
        assertTrue(uid != 0 && gid != 0);
        final String uids = WorkerTestConfigs.status(handle.pid(), "Uid");
        assertEquals(List.of(uid, uid, uid, uid), fields(uids), "real, effective, saved and fs uid: " + uids);
        assertEquals(List.of(gid, gid, gid, gid), fields(WorkerTestConfigs.status(handle.pid(), "Gid")));
        assertEquals("", WorkerTestConfigs.status(handle.pid(), "Groups"), "no supplementary groups");
        for (final String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertEquals("0000000000000000", WorkerTestConfigs.status(handle.pid(), set), set);
        }
        assertEquals("1", WorkerTestConfigs.status(handle.pid(), "NoNewPrivs"));
        final Path dir = launcher.runtimeDirectory();
        assertEquals("rwx--x--x", mode(dir));
        assertEquals("rw-------", mode(dir.resolve("worker.sock")));
        assertEquals(uid, Files.getAttribute(dir.resolve("worker.sock"), "unix:uid"));
        assertEquals("rwxr-xr-x", mode(dir.resolve("lib")));
        assertEquals("rw-r--r--", mode(dir.resolve("jvm.options")));
        assertEquals("rw-------", mode(launcher.logFile(handle)));
    }

    private static String mode(final Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void workerNsLoopIsPinnedToItsCpuAndTheJvmsOwnThreadsAreNot() {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final int cpu = cpus - 1; // the last CPU: differs from the default (all) whenever there are two or more
        final String all = WorkerTestConfigs.status(ProcessHandle.current().pid(), "Cpus_allowed_list");
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent).withCpus(index -> cpu));
        final WorkerLauncher.WorkerHandle handle = launcher.launch(3);
        pollUntil(launcher, e -> e.contains("connected " + handle.launchId()));
        // The thread that ran WorkerProcess.start (the Java main thread: the second "java" task, the first being the
        // launcher's, waiting for it) is pinned; the JVM's compilers and collector keep the process's CPUs.
        final List<String> pinned = new ArrayList<>();
        final List<String> compilers = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + handle.pid() + "/task"))) {
            for (final Path task : tasks.sorted(java.util.Comparator.comparingLong(
                t -> Long.parseLong(t.getFileName().toString()))).toList()) {
                final String comm = Files.readString(task.resolve("comm")).strip();
                final String allowed = WorkerTestConfigs.status(task.resolve("status"), "Cpus_allowed_list");
                if (allowed.equals(Integer.toString(cpu)) && !allowed.equals(all)) {
                    pinned.add(comm);
                }
                if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                    compilers.add(allowed);
                }
            }
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
        if (cpus > 1) {
            assertEquals(List.of("java"), pinned, "only the loop's thread is pinned");
            assertFalse(compilers.isEmpty(), "the JVM has compiler threads");
            compilers.forEach(allowed -> assertEquals(all, allowed, "a compiler thread"));
        } else {
            System.out.println("one CPU: pinning cannot be told from the default; checked that the worker started");
        }
    }

    @Test
    void aCpuTheKernelRefusesEndsTheStartWithTheCpuNamed() {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> WorkerProcess.scheduleCallingThread("1023"));
        assertTrue(refused.getMessage().startsWith("cannot pin the loop: sched_setaffinity to CPU 1023 failed"),
            refused.getMessage());
        final IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
            () -> WorkerProcess.scheduleCallingThread("two"));
        assertEquals("-Dmcrelay.worker.cpu must be a CPU number, not 'two'", notANumber.getMessage());
    }

    @Test
    void aPassedDescriptorWorksInTheWorker() throws Exception {
        final int[] pair = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM);
        fds.add(pair[0]);
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent)
            .withMain(ProbeWorker.class.getName(), List.of("send")).withDescriptors(index -> new int[] {pair[0]}));
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        pollUntil(launcher, e -> e.contains("connected " + handle.launchId()));
        final StreamWorkerChannel here = new StreamWorkerChannel(pair[1], 1 << 16, 256);
        channels.add(here);
        final String[] received = {null};
        final long start = System.nanoTime();
        while (received[0] == null) {
            assertTrue(System.nanoTime() - start < CONNECT_DEADLINE_NS, "nothing came through the passed socket");
            Processes.poll(new int[] {pair[1]}, 1, new short[1], 100);
            here.poll((buffer, offset, length) -> received[0] = buffer.getStringWithoutLengthAscii(offset, length),
                1);
        }
        assertEquals("from worker " + handle.pid(), received[0]);
    }

    @Test
    void aWorkerWithAWrongTokenIsRefusedAndNeverConnects() throws IOException {
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent)
            .withMain(ProbeWorker.class.getName(), List.of("liar")));
        final ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
            .getLogger(ProcessWorkerLauncher.class);
        final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
            new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
            pollUntil(launcher, e -> e.contains("exited " + handle.launchId()));
            assertEquals(List.of("exited " + handle.launchId()), events, "refused: no connection event");
            assertEquals(List.of(WorkerProcess.EXIT_REFUSED), statuses);
            assertEquals(1, launcher.refusals());
            final String output = Files.readString(launcher.logFile(handle));
            assertTrue(output.contains("refused"), output);
            // What it printed reached the supervisor's log too, a line an entry, tagged with its index and pid.
            final List<ch.qos.logback.classic.spi.ILoggingEvent> lines = logged.list.stream()
                .filter(event -> event.getFormattedMessage().startsWith("worker 0 (pid " + handle.pid() + "): "))
                .toList();
            assertTrue(lines.stream().anyMatch(event -> event.getFormattedMessage().contains("refused")),
                () -> logged.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .toList().toString());
            assertEquals(output.lines().filter(line -> !line.isBlank()).count(), lines.size(), output);
            assertEquals(java.util.Map.of("worker", "0", "pid", Long.toString(handle.pid())),
                lines.getFirst().getMDCPropertyMap());
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void aConnectionFromAProcessTheLauncherDidNotStartIsClosed() {
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent));
        final int fd = UnixSockets.connect(launcher.runtimeDirectory().resolve("worker.sock"), UnixSockets.Kind.STREAM);
        final StreamWorkerChannel intruder = new StreamWorkerChannel(fd, 1 << 16, 256);
        channels.add(intruder);
        final byte[] hello = WorkerHandshake.hello(WorkerHandshake.newToken());
        assertEquals(WorkerChannel.SendResult.SENT, intruder.send(new UnsafeBuffer(hello), 0, hello.length));
        final long start = System.nanoTime();
        while (!intruder.isClosed()) {
            assertTrue(System.nanoTime() - start < CONNECT_DEADLINE_NS, "the intruder was not thrown out");
            launcher.awaitActivity(100);
            launcher.poll(recorder, 10);
        }
        assertEquals(List.of(), events);
        assertEquals(1, launcher.refusals());
    }

    @Test
    void aConnectionThatSaysNothingIsClosedAfterTheHandshakeTimeout() {
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent).withHandshakeTimeoutMs(200));
        final int fd = UnixSockets.connect(launcher.runtimeDirectory().resolve("worker.sock"), UnixSockets.Kind.STREAM);
        final StreamWorkerChannel silent = new StreamWorkerChannel(fd, 1 << 16, 256);
        channels.add(silent);
        final long start = System.nanoTime();
        while (!silent.isClosed()) {
            assertTrue(System.nanoTime() - start < CONNECT_DEADLINE_NS, "the silent connection stayed open");
            launcher.awaitActivity(50);
            launcher.poll(recorder, 10);
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs >= 200, "closed after " + tookMs + " ms, before the timeout");
        assertEquals(List.of(), events);
        assertEquals(1, launcher.refusals());
    }

    @Test
    void aWorkerExitsWhenTheSupervisorClosesItsChannel() {
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent));
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        pollUntil(launcher, e -> e.contains("connected " + handle.launchId()));
        channels.getLast().close();
        final long closedNs = System.nanoTime();
        pollUntil(launcher, e -> e.contains("exited " + handle.launchId()));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedNs);
        assertEquals(List.of(0), statuses, "EOF is a clean exit");
        System.out.println("the worker left " + tookMs + " ms after EOF"); // recorded, never asserted
    }

    @Test
    void killReportsTheSignal() {
        final ProcessWorkerLauncher launcher = launcher(WorkerTestConfigs.config(parent));
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        pollUntil(launcher, e -> e.contains("connected " + handle.launchId()));
        launcher.kill(handle, RestartReason.REQUESTED, "the test");
        pollUntil(launcher, e -> e.contains("exited " + handle.launchId()));
        assertEquals(List.of(-Processes.SIGKILL), statuses);
        assertEquals(null, WorkerTestConfigs.status(handle.pid(), "State"), "the process is gone and reaped");
    }

    /**
     * A stand-in supervisor (a child JVM) launches a worker that never reads its channel, so only the parent-death
     * signal can end it; the stand-in is killed with SIGKILL, and the worker must be gone (or a zombie waiting for
     * its new parent to reap it) within 1 s, measured by polling /proc.
     */
    @Test
    void aWorkerDiesWithinOneSecondOfItsSupervisor() throws Exception {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final List<String> command = new ArrayList<>(List.of(java));
        command.addAll(WorkerTestConfigs.jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StandInSupervisor.class.getName(),
            parent.toString(), "deaf"));
        final Process standIn = new ProcessBuilder(command).redirectErrorStream(true).start();
        strayPids.add(standIn.pid());
        long workerPid = -1;
        final List<String> output = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(standIn.getInputStream(),
            StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.add(line);
                if (line.startsWith("worker ")) {
                    workerPid = Long.parseLong(line.substring("worker ".length()).strip());
                    break;
                }
            }
            assertTrue(workerPid > 0, () -> "the stand-in launched no worker: " + output);
            strayPids.add(workerPid);
            assertNotNull(WorkerTestConfigs.status(workerPid, "State"), "the worker runs");
            final long killedNs = System.nanoTime();
            standIn.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close
            long goneNs = -1;
            while (System.nanoTime() - killedNs < TimeUnit.SECONDS.toNanos(30)) { // a hang guard
                final String state = WorkerTestConfigs.status(workerPid, "State");
                if (state == null || state.startsWith("Z")) {
                    goneNs = System.nanoTime();
                    break;
                }
                Thread.sleep(5);
            }
            assertTrue(goneNs > 0, "the worker outlived its supervisor by 30 s");
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(goneNs - killedNs);
            System.out.println("worker " + workerPid + " ended " + tookMs + " ms after its supervisor's SIGKILL");
        } finally {
            standIn.destroyForcibly();
            standIn.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void missingToolsAndUsersAreNamed() throws IOException {
        if (!root()) {
            // Nothing to look up: without root, workers run as this user, without setpriv.
            assertNotNull(launcher(WorkerTestConfigs.config(parent).withSearchPath("/nonexistent")));
            return;
        }
        final IllegalStateException noTools = assertThrows(IllegalStateException.class,
            () -> launcher(WorkerTestConfigs.config(parent).withSearchPath("/nonexistent")));
        assertEquals("setpriv not found in /nonexistent: it is needed to drop privileges (install util-linux)",
            noTools.getMessage());
        assertFalse(Files.list(parent).findAny().isPresent(), "nothing left behind");
        if (root()) {
            final IllegalArgumentException noUser = assertThrows(IllegalArgumentException.class,
                () -> launcher(WorkerTestConfigs.config(parent).withUser("no-such-mcrelay-user")));
            assertTrue(noUser.getMessage().startsWith("worker user 'no-such-mcrelay-user' does not exist"),
                noUser.getMessage());
            final IllegalArgumentException rootUser = assertThrows(IllegalArgumentException.class,
                () -> launcher(WorkerTestConfigs.config(parent).withUser("root")));
            assertTrue(rootUser.getMessage().startsWith("worker user 'root' has uid 0: workers never run as root"),
                rootUser.getMessage());
            final Path hidden = parent.resolve("hidden");
            Files.createDirectory(hidden, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            final IllegalStateException unreachable = assertThrows(IllegalStateException.class,
                () -> launcher(WorkerTestConfigs.config(hidden)));
            assertTrue(unreachable.getMessage().contains(hidden + " is mode rwx------ (needs o+x)"),
                unreachable.getMessage());
        }
    }

    private static List<Integer> fields(final String line) {
        final List<Integer> values = new ArrayList<>();
        for (final String field : line.split("\\s+")) {
            values.add(Integer.parseInt(field));
        }
        return values;
    }
}
