package io.mcrelay.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unpacks the release archive that dist builds at package ({@code mcrelay-VERSION.tar.gz}) as a user would, with
 * {@code tar}, into a directory that has nothing to do with the repository, and runs {@code bin/mcrelay} from
 * there: directly and through a symlink elsewhere (as {@code /usr/bin/mcrelay} would be), with the Java taken from
 * {@code JAVA_HOME} or from {@code PATH}, and refused with one message when neither is a Java 25+. Proves that the
 * archive holds what docs/packaging.md lists, that the launcher finds its jar in the release layout, and that the
 * AOT caches survive the trip (the JVM opens them and uses their linked classes: the jar's time was kept).
 *
 * <p>The pom sets {@code mcrelay.archive}, {@code mcrelay.jar} (the built jar the archive's must equal) and
 * {@code project.version}.
 */
class ReleaseArchiveIT {
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    private Path tempDir;

    private String version;
    private Path top;

    @BeforeEach
    void unpack() throws IOException {
        version = requiredProperty("project.version");
        final Path archive = Path.of(requiredProperty("mcrelay.archive"));
        assertTrue(Files.isRegularFile(archive), "the release archive is missing: " + archive);
        final Path opt = Files.createDirectories(tempDir.resolve("opt"));
        final ProcessRun untar = run(List.of("tar", "-xzf", archive.toString(), "-C", opt.toString()), Map.of());
        assertEquals(0, untar.exitCode(), untar::describe);
        top = opt.resolve("mcrelay-" + version).toRealPath();
    }

    /** The links to this machine's programs go before JUnit deletes the directory (which warns about each). */
    @AfterEach
    void removeToolLinks() throws IOException {
        for (final String tools : List.of("tools", "tools-java")) {
            final Path dir = tempDir.resolve(tools);
            if (Files.isDirectory(dir)) {
                try (var links = Files.list(dir)) {
                    for (final Path link : links.toList()) {
                        Files.delete(link);
                    }
                }
            }
        }
    }

    @Test
    void theArchiveHoldsTheLauncherJarCachesUnitsCompletionsAndDocs() throws IOException {
        final TreeSet<String> files = new TreeSet<>();
        try (var walk = Files.walk(top)) {
            walk.filter(Files::isRegularFile).forEach(f -> files.add(top.relativize(f).toString()));
        }
        for (final String expected : List.of("bin/mcrelay", "lib/mcrelay.jar", "lib/jvm.options", "lib/mcrelay.aot",
            "lib/mcrelay-worker.aot", "lib/mcrelay.aot.jdk", "systemd/mcrelay.service", "systemd/mcrelay@.service",
            "sysusers.d/mcrelay.conf", "tmpfiles.d/mcrelay.conf", "completion/mcrelay.bash",
            "completion/mcrelay.zsh", "README.md", "docs/packaging.md", "docs/operations.md",
            "docs/reference/cli.md")) {
            assertTrue(files.contains(expected), () -> expected + " is not in the archive: " + files);
        }
        assertTrue(Files.isExecutable(top.resolve("bin/mcrelay")), "bin/mcrelay is not executable");
        try (var entries = Files.list(top.getParent())) {
            assertEquals(List.of(top.getFileName().toString()),
                entries.map(p -> p.getFileName().toString()).toList(), "one top directory");
        }
        // The completion scripts are what this build's CLI prints: they know its commands.
        final String bash = Files.readString(top.resolve("completion/mcrelay.bash"));
        assertTrue(bash.contains("complete -F") && bash.contains("supervisor") && bash.contains("--socket"),
            () -> "not a bash completion of mcrelay:\n" + bash.substring(0, Math.min(400, bash.length())));
        final String zsh = Files.readString(top.resolve("completion/mcrelay.zsh"));
        assertTrue(zsh.contains("bashcompinit") && zsh.contains("supervisor"),
            () -> "not a zsh completion of mcrelay:\n" + zsh.substring(0, Math.min(400, zsh.length())));
    }

    @Test
    void theJarKeepsItsSizeAndTimeSoTheCachesStillMatchIt() throws IOException {
        final Path built = Path.of(requiredProperty("mcrelay.jar"));
        final Path shipped = top.resolve("lib/mcrelay.jar");
        assertEquals(Files.size(built), Files.size(shipped));
        // The JVM compares the jar's time in seconds; tar keeps it to the second.
        assertEquals(Files.getLastModifiedTime(built).toMillis() / 1000,
            Files.getLastModifiedTime(shipped).toMillis() / 1000);
        assertTrue(Files.getLastModifiedTime(top.resolve("lib/mcrelay.aot"))
            .compareTo(Files.getLastModifiedTime(shipped)) > 0, "the launcher's check: the cache is newer");
        assertTrue(Files.getLastModifiedTime(top.resolve("lib/mcrelay-worker.aot"))
            .compareTo(Files.getLastModifiedTime(shipped)) > 0, "the supervisor's check: the workers' cache is newer");
    }

    @Test
    void theUnpackedLauncherPrintsTheVersionWithTheCacheBesideItsJar() {
        final ProcessRun run = run(List.of(top.resolve("bin/mcrelay").toString(), "version"),
            Map.of("JAVA_HOME", javaHome().toString(), "MCRELAY_JAVA_OPTS", "-Xlog:aot=info:stderr"));

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(hasLine(run.stdout(), "mcrelay " + version), run::describe);
        assertTrue(run.stdout().contains("daemon: not reachable"), run::describe);
        assertTrue(run.stderr().contains("Opened AOT cache " + top.resolve("lib/mcrelay.aot")), run::describe);
        assertTrue(run.stderr().contains("Using AOT-linked classes: true"), run::describe);
    }

    @Test
    void theWorkersCacheIsValidBesideTheUnpackedJar() {
        // As a worker starts (SupervisorDaemon.WORKER_SIZING), with the workers' cache: the JVM must accept it where
        // the archive put it, or every worker of an installed daemon would start without it.
        final ProcessRun run =
            run(List.of(javaHome().resolve("bin/java").toString(), "@" + top.resolve("lib/jvm.options"),
            "-XX:+UseSerialGC", "-Xms8m", "-XX:TrimNativeHeapInterval=5000", "-XX:-UsePerfData",
            "-XX:ActiveProcessorCount=1", "-Xlog:aot=info:stderr",
            "-XX:AOTCache=" + top.resolve("lib/mcrelay-worker.aot"), "-jar", top.resolve("lib/mcrelay.jar").toString(),
            "version"), Map.of());

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(run.stderr().contains("Opened AOT cache " + top.resolve("lib/mcrelay-worker.aot")), run::describe);
        assertTrue(run.stderr().contains("Using AOT-linked classes: true"), run::describe);
    }

    @Test
    void aSymlinkToTheLauncherFindsTheInstallation() throws IOException {
        final Path usrBin = Files.createDirectories(tempDir.resolve("usr/bin"));
        final Path link = Files.createSymbolicLink(usrBin.resolve("mcrelay"), top.resolve("bin/mcrelay"));

        final ProcessRun run = run(List.of(link.toString(), "version"), Map.of("JAVA_HOME", javaHome().toString()));

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(hasLine(run.stdout(), "mcrelay " + version), run::describe);
    }

    @Test
    void aClientCommandWithoutADaemonExitsThree() {
        final Path socket = tempDir.resolve("nonexistent.sock");
        final ProcessRun run =
            run(List.of(top.resolve("bin/mcrelay").toString(), "ping", "--socket", socket.toString()),
            Map.of("JAVA_HOME", javaHome().toString()));

        assertEquals(3, run.exitCode(), run::describe);
        assertTrue(run.stderr().startsWith("mcrelay: no daemon: nothing at " + socket + " "), run::describe);
        assertEquals("", run.stdout(), run::describe);
    }

    @Test
    void withoutJavaHomeTheJavaOnPathIsUsed() throws IOException {
        final Path path = toolsDirectory(true);

        final ProcessRun run = run(List.of(top.resolve("bin/mcrelay").toString(), "version"),
            Map.of("PATH", path.toString()), "JAVA_HOME");

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(hasLine(run.stdout(), "mcrelay " + version), run::describe);
    }

    @Test
    void aJavaHomeOlderThan25GivesWayToTheJavaOnPath() throws IOException {
        final ProcessRun run = run(List.of(top.resolve("bin/mcrelay").toString(), "version"),
            Map.of("PATH", toolsDirectory(true).toString(), "JAVA_HOME", fakeJavaHome("17.0.2").toString()));

        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(hasLine(run.stdout(), "mcrelay " + version), run::describe);
    }

    @Test
    void withoutAJava25TheLauncherSaysWhatItNeedsAndExitsOne() throws IOException {
        final Path old = fakeJavaHome("17.0.2");

        final ProcessRun run = run(List.of(top.resolve("bin/mcrelay").toString(), "version"),
            Map.of("PATH", toolsDirectory(false).toString(), "JAVA_HOME", old.toString()));

        assertEquals(1, run.exitCode(), run::describe);
        assertEquals("", run.stdout(), run::describe);
        assertTrue(run.stderr().startsWith("mcrelay: needs Java 25 or newer"), run::describe);
        assertTrue(run.stderr().contains("JAVA_HOME: " + old + " is Java 17"), run::describe);
        assertTrue(run.stderr().contains("PATH: no java on PATH"), run::describe);
        assertEquals(1, run.stderr().lines().count(), run::describe);
    }

    /**
     * A directory to be the whole {@code PATH}: the few programs the launcher runs (symlinks to this machine's), and
     * {@code java} (a symlink to the JDK running this test) when {@code withJava}.
     */
    private Path toolsDirectory(final boolean withJava) throws IOException {
        final Path tools = Files.createDirectories(tempDir.resolve(withJava ? "tools-java" : "tools"));
        for (final String tool : List.of("bash", "env", "readlink", "dirname", "cmp")) {
            final Path found = which(tool);
            Files.createSymbolicLink(tools.resolve(tool), found);
        }
        if (withJava) {
            Files.createSymbolicLink(tools.resolve("java"), javaHome().resolve("bin/java"));
        }
        return tools;
    }

    /** A Java home that says it is {@code javaVersion} in its release file and whose java fails if it is run. */
    private Path fakeJavaHome(final String javaVersion) throws IOException {
        final Path home = Files.createDirectories(tempDir.resolve("jdk-" + javaVersion));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + javaVersion + "\"\n");
        final Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\necho 'this java must not be run' >&2\nexit 99\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    private static Path which(final String tool) {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            final Path candidate = Path.of(dir, tool);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(tool + " is not on this machine's PATH: the launcher needs it");
    }

    private static boolean hasLine(final String text, final String line) {
        return text.lines().anyMatch(line::equals);
    }

    private static Path javaHome() {
        return Path.of(System.getProperty("java.home"));
    }

    /**
     * Runs {@code command} from the temporary directory, with a private cache directory, without a developer's
     * MCRELAY_* settings and without the {@code removed} variables; then {@code extraEnv}.
     */
    private ProcessRun run(final List<String> command, final Map<String, String> extraEnv, final String... removed) {
        return ProcessRun.run(tempDir, command, env -> {
            env.put("XDG_CACHE_HOME", tempDir.resolve("cache").toString());
            env.remove("MCRELAY_JAVA_OPTS");
            env.remove("MCRELAY_AOT");
            env.remove("MCRELAY_SOCKET");
            for (final String name : removed) {
                env.remove(name);
            }
            env.putAll(extraEnv);
        }, TIMEOUT_SECONDS);
    }

    private static String requiredProperty(final String name) {
        return ProcessRun.requiredProperty(name);
    }
}
