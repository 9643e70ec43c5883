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
}
