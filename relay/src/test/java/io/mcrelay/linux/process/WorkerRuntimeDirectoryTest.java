package io.mcrelay.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' JVM options file is a java launcher argument file: an option with spaces, quotes, a backslash or a
 * {@code #} (a supervisor started with {@code -Dmcrelay.x="a b"} passes it on) stays one argument, as the real launcher
 * reads it.
 */
class WorkerRuntimeDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void optionsNeedingQuotesAreQuotedAndPlainOnesAreNot() {
        assertEquals("-Xss512k", WorkerRuntimeDirectory.argFileLine("-Xss512k"));
        assertEquals("\"-Dmcrelay.x=a b\"", WorkerRuntimeDirectory.argFileLine("-Dmcrelay.x=a b"));
        assertEquals("\"-Dmcrelay.x=say \\\"hi\\\" \\\\ #1\"",
            WorkerRuntimeDirectory.argFileLine("-Dmcrelay.x=say \"hi\" \\ #1"));
    }

    @Test
    void theJavaLauncherReadsEachQuotedOptionBackAsOneArgument() throws IOException, InterruptedException {
        final String awkward = "blocked for this test: \"quoted\", a back\\slash, #hash, 'single'";
        final Path file = dir.resolve("jvm.options");
        Files.write(file, List.of(WorkerRuntimeDirectory.argFileLine("-Dmcrelay.awkward=" + awkward),
            WorkerRuntimeDirectory.argFileLine("-Dmcrelay.plain=1")), StandardCharsets.UTF_8);
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final Process process = new ProcessBuilder(java.toString(), "@" + file, "-XshowSettings:properties",
            "-version").redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.contains("mcrelay.awkward = " + awkward), out);
        assertTrue(out.contains("mcrelay.plain = 1"), out);
    }

    /**
     * A supervisor killed with SIGKILL leaves its runtime directory (a copy of the classpath in it): the next one made
     * in the same parent removes those of supervisors that are gone, and leaves alone one whose pid runs and any other
     * name.
     */
    @Test
    void theDirectoriesOfSupervisorsThatAreGoneAreRemovedAndNoOthers() throws IOException {
        // Above the kernel's largest pid (4,194,304): never a running process.
        final Path gone = Files.createDirectories(dir.resolve("mcrelay-4194399-0123456789abcdef/lib"));
        Files.writeString(gone.resolve("relay.jar"), "a copy");
        final Path live = Files.createDirectory(dir.resolve("mcrelay-" + ProcessHandle.current().pid()
            + "-fedcba9876543210"));
        final Path other = Files.createDirectory(dir.resolve("mcrelay-4194399-notours"));
        WorkerRuntimeDirectory.removeStale(dir);
        assertTrue(!Files.exists(gone.getParent()), "the gone supervisor's directory is removed");
        assertTrue(Files.isDirectory(live), "a running supervisor's is kept");
        assertTrue(Files.isDirectory(other), "another name is kept");
    }
}
