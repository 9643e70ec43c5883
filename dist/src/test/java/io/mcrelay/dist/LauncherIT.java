package io.mcrelay.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs what a user runs, after the shaded jar is built: the {@code ./mcrelay} launcher at the repository root,
 * and the jar directly with the {@code jvm.options} that the build puts beside it. Proves the CLI contract's
 * exit codes and the {@code version} output with no daemon running (the control socket points at a path that
 * does not exist), from a working directory other than the repository's.
 *
 * <p>The pom sets {@code mcrelay.root} (the repository root) and {@code mcrelay.jar}; {@code project.version},
 * when set, pins the version that {@code version} must print.
 */
class LauncherIT {
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    private Path tempDir;

    private Path root;
    private Path jar;
    private Path socket;

    @BeforeEach
    void locateBuild() {
        root = Path.of(requiredProperty("mcrelay.root"));
        jar = Path.of(requiredProperty("mcrelay.jar"));
        assertTrue(Files.isExecutable(root.resolve("mcrelay")), "the launcher is missing or not executable: "
            + root.resolve("mcrelay"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar is missing: " + jar);
        socket = tempDir.resolve("no-daemon-here.sock");
    }

    @Test
    void shouldPrintVersionsAndUnreachableDaemonAndExitZero() {
        final ProcessRun run = launcher("version");

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(versionLine().matcher(run.stdout()).find(), () -> "no version line\n" + run.describe());
        assertTrue(hasLine(run.stdout(), "control protocol " + io.mcrelay.BuildInfo.CONTROL_PROTOCOL_VERSION), run::describe);
        assertTrue(run.stdout().contains("daemon: not reachable"), run::describe);
    }

    @Test
    void shouldExitTwoWithUsageWhenNoCommandIsGiven() {
        final ProcessRun run = launcher();

        assertEquals(2, run.exitCode(), run::describe);
        assertTrue(run.stderr().contains("Usage:"), run::describe);
    }

    @Test
    void shouldExitTwoNamingAnUnknownCommand() {
        final ProcessRun run = launcher("frobnicate");

        assertEquals(2, run.exitCode(), run::describe);
        assertTrue(run.stderr().contains("frobnicate"), run::describe);
    }

    @Test
    void shouldListCommandsInHelpAndExitZero() {
        final ProcessRun run = launcher("--help");

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(Pattern.compile("(?m)^\\s+version\\b").matcher(run.stdout()).find(), run::describe);
    }

    @Test
    void shouldExitThreeNamingTheSocketFromMcrelaySocketWhenNoDaemonAnswers() {
        final ProcessRun run = launcher("ping");

        assertEquals(3, run.exitCode(), run::describe);
        assertEquals("mcrelay: no daemon: nothing at " + socket + " (start one with 'mcrelay supervisor', or pass "
            + "--socket / set MCRELAY_SOCKET)\n", run.stderr(), run::describe);
        assertEquals("", run.stdout(), run::describe);
    }

    @Test
    void shouldExitTwoNamingABadOutputBeforeContactingTheDaemon() {
        final ProcessRun run =
            launcher("add", "--input-interface", "eth0", "--input-group", "239.1.1.1", "--input-port",
            "5000", "--output", "239.1.1.1:notaport:eth0");

        assertEquals(2, run.exitCode(), run::describe);
        assertTrue(run.stderr().startsWith("invalid --output \"239.1.1.1:notaport:eth0\": outputs[0].port: "),
            run::describe);
        assertTrue(run.stderr().contains("Usage: mcrelay add"), run::describe);
    }

    @Test
    void shouldRunJarDirectlyWithJvmOptionsBesideIt() {
        // The launcher reads <root>/dist/target/jvm.options; anything else that starts the jar (a systemd unit, a
        // script) relies on the same file sitting next to the jar.
        final Path options = jar.resolveSibling("jvm.options");
        assertTrue(Files.isRegularFile(options), "jvm.options is not beside the jar: " + options);

        final ProcessRun run =
            run(List.of(javaHome().resolve("bin/java").toString(), "@" + options, "-jar", jar.toString(),
            "version"));

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(versionLine().matcher(run.stdout()).find(), () -> "no version line\n" + run.describe());
        assertTrue(hasLine(run.stdout(), "control protocol " + io.mcrelay.BuildInfo.CONTROL_PROTOCOL_VERSION), run::describe);
    }

    @Test
    void theLauncherUsesTheAotCacheAndPrintsTheSameWithoutIt() {
        // dist builds the caches at package; the launcher passes one when it is newer than the jar and of this JDK.
        assertTrue(Files.isRegularFile(jar.resolveSibling("mcrelay.aot")), "no AOT cache beside the jar");
        assertTrue(Files.isRegularFile(jar.resolveSibling("mcrelay-worker.aot")), "no workers' AOT cache beside it");
        for (final List<String> args : List.of(List.of("version"), List.of("gen", "--help"),
            List.of("add", "--output", "239.1.1.1:notaport:eth0"))) {
            final ProcessRun cached = run(launcherCommand(args), Map.of("MCRELAY_JAVA_OPTS", "-Xlog:aot=info:stderr"));
            final ProcessRun plain = run(launcherCommand(args), Map.of("MCRELAY_JAVA_OPTS", "-Xlog:aot=info:stderr",
                "MCRELAY_AOT", "off"));
            assertTrue(cached.stderr().contains("Opened AOT cache " + jar.resolveSibling("mcrelay.aot")),
                cached::describe);
            assertTrue(cached.stderr().contains("Using AOT-linked classes: true"), cached::describe);
            assertFalse(plain.stderr().contains("Opened AOT cache"), plain::describe);
            assertEquals(plain.exitCode(), cached.exitCode(), args::toString);
            assertEquals(plain.stdout(), cached.stdout(), args::toString);
        }
    }

    /**
     * The launcher runs client commands on the serial collector, and a collector named in MCRELAY_JAVA_OPTS replaces
     * it (the JVM refuses two) instead of stopping the command.
     */
    @Test
    void aCollectorInMcrelayJavaOptsReplacesTheLaunchersOwn() {
        final ProcessRun plain =
            run(launcherCommand(List.of("version")), Map.of("MCRELAY_JAVA_OPTS", "-Xlog:gc:stderr"));
        assertEquals(0, plain.exitCode(), plain::describe);
        assertTrue(plain.stderr().contains("Using Serial"), plain::describe);
        final ProcessRun g1 = run(launcherCommand(List.of("version")),
            Map.of("MCRELAY_JAVA_OPTS", "-XX:+UseG1GC -Xlog:gc:stderr"));
        assertEquals(0, g1.exitCode(), g1::describe);
        assertTrue(g1.stderr().contains("Using G1"), g1::describe);
        assertEquals(plain.stdout(), g1.stdout());
    }

    /**
     * picocli ships Java 5 class files, which the AOT cache cannot hold; dist upgrades them (UpgradeClassFiles) so that
     * a client command takes every picocli class it needs from the cache, none from the jar.
     */
    @Test
    void theCommandLineLibrarysClassesComeFromTheCache() throws IOException {
        try (java.util.jar.JarFile shipped = new java.util.jar.JarFile(jar.toFile())) {
            final byte[] header = shipped.getInputStream(shipped.getJarEntry("picocli/CommandLine.class"))
                .readNBytes(8);
            final int major = (header[6] & 0xFF) << 8 | header[7] & 0xFF;
            assertTrue(major >= 52, "picocli/CommandLine.class is of class-file version " + major);
        }
        final ProcessRun run = run(launcherCommand(List.of("version")),
            Map.of("MCRELAY_JAVA_OPTS", "-Xlog:class+load=info:stderr"));
        assertEquals(0, run.exitCode(), run::describe);
        final List<String> picocli = run.stderr().lines().filter(l -> l.contains(" picocli.")).toList();
        assertFalse(picocli.isEmpty(), run::describe);
        final List<String> fromJar = picocli.stream().filter(l -> !l.contains("source: shared objects file"))
            .toList();
        assertTrue(fromJar.isEmpty(), () -> fromJar.size() + " of " + picocli.size()
            + " picocli classes not from the cache, e.g. " + fromJar.subList(0, Math.min(5, fromJar.size())));
    }

    @Test
    void theDaemonsWorkersUseTheAotCacheToo() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("SKIPPED theDaemonsWorkersUseTheAotCacheToo: the supervisor starts its workers as "
                + "another user, which needs root (this test runs as " + System.getProperty("user.name") + ")");
            org.junit.jupiter.api.Assumptions.abort("needs root to start workers as another user");
        }
        // The workers run as another user: the runtime directory's parents must let it through.
        Files.setPosixFilePermissions(tempDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        for (final boolean cached : List.of(true, false)) {
            final Path run = Files.createDirectories(tempDir.resolve(cached ? "cached" : "plain"));
            Files.setPosixFilePermissions(run, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path control = run.resolve("control.sock");
            final List<String> command = launcherCommand(List.of("supervisor", "--workers", "1", "--socket",
                control.toString(), "--journal", run.resolve("journal").toString()));
            final ProcessBuilder builder = new ProcessBuilder(command).directory(tempDir.toFile())
                .redirectOutput(run.resolve("daemon.log").toFile()).redirectErrorStream(true);
            builder.environment().put("JAVA_HOME", javaHome().toString());
            builder.environment().put("XDG_CACHE_HOME", tempDir.resolve("cache").toString());
            builder.environment().remove("MCRELAY_JAVA_OPTS");
            builder.environment().put("MCRELAY_AOT", cached ? "on" : "off");
            final Process daemon = builder.start();
            try {
                final long worker = readyWorkerPid(control, daemon, run.resolve("daemon.log"));
                final String maps = Files.readString(Path.of("/proc/" + worker + "/maps"));
                if (cached) {
                    assertTrue(maps.contains("/aot/mcrelay-worker.aot"), () -> "the worker maps no copy of its cache:\n"
                        + maps.lines().filter(l -> l.contains(".aot") || l.contains(".jsa")).toList());
                } else {
                    assertFalse(maps.contains(".aot"), "a worker of a daemon without the cache maps one");
                }
            } finally {
                daemon.destroy(); // SIGTERM: the supervisor stops its workers and removes its runtime directory
                if (!daemon.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Waits until the daemon on {@code control} reports worker 0 ready; returns its pid. */
    private long readyWorkerPid(final Path control, final Process daemon, final Path log) throws Exception {
        final Pattern ready = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)[^}]*\"state\"\\s*:\\s*\"ready\"");
        String last = "";
        for (int i = 0; i < 240 && daemon.isAlive(); i++) {
            final ProcessRun workers =
                run(launcherCommand(List.of("workers", "--json", "--socket", control.toString())));
            last = workers.stdout();
            final java.util.regex.Matcher matcher = ready.matcher(last);
            if (workers.exitCode() == 0 && matcher.find()) {
                return Long.parseLong(matcher.group(1));
            }
            Thread.sleep(250);
        }
        fail("no worker became ready within 60 s; last answer: " + last + "\n--- daemon log ---\n"
            + ProcessRun.read(log));
        return -1;
    }

    @Test
    void jvmWarningsGoToStderrNeverIntoTheOutput() {
        // A cache that cannot be used makes the JVM complain; what a command prints must be unchanged by it.
        final ProcessRun warned = run(launcherCommand(List.of("version")),
            Map.of("MCRELAY_JAVA_OPTS", "-XX:AOTCache=" + tempDir.resolve("absent.aot")));
        final ProcessRun plain = launcher("version");
        assertEquals(0, warned.exitCode(), warned::describe);
        assertTrue(warned.stderr().contains("][aot] "), warned::describe); // the JVM says why, on stderr
        assertEquals(plain.stdout(), warned.stdout(), warned::describe);
    }

    /** The first line of {@code version}: the exact build version when the pom passes it, else its shape. */
    private static Pattern versionLine() {
        final String version = System.getProperty("project.version");
        return version == null || version.isBlank()
            ? Pattern.compile("(?m)^mcrelay \\d+\\.\\d+\\.\\d+\\S*$")
            : Pattern.compile("(?m)^mcrelay " + Pattern.quote(version) + "$");
    }

    private static boolean hasLine(final String text, final String line) {
        return text.lines().anyMatch(line::equals);
    }

    private ProcessRun launcher(final String... args) {
        return run(launcherCommand(List.of(args)));
    }

    private List<String> launcherCommand(final List<String> args) {
        final List<String> command = new ArrayList<>();
        command.add(root.resolve("mcrelay").toString());
        command.addAll(args);
        return command;
    }

    private ProcessRun run(final List<String> command) {
        return run(command, Map.of());
    }

    /**
     * Runs {@code command} from the temporary directory with the environment a user would have, plus: the JDK that
     * runs this test as {@code JAVA_HOME} (so the launcher need not search), the absent control socket, and a
     * private cache directory (so the launcher's JDK finder never writes into the real home); then {@code extraEnv}.
     */
    private ProcessRun run(final List<String> command, final Map<String, String> extraEnv) {
        return ProcessRun.run(tempDir, command, env -> {
            env.put("JAVA_HOME", javaHome().toString());
            env.put("MCRELAY_SOCKET", socket.toString());
            env.put("XDG_CACHE_HOME", tempDir.resolve("cache").toString());
            env.remove("MCRELAY_JAVA_OPTS"); // a developer's extra JVM options must not change what is tested
            env.remove("MCRELAY_AOT");
            env.putAll(extraEnv);
        }, TIMEOUT_SECONDS);
    }

    private static Path javaHome() {
        return Path.of(System.getProperty("java.home"));
    }

    private static String requiredProperty(final String name) {
        return ProcessRun.requiredProperty(name);
    }
}
