package io.mcrelay.dist;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How a command the dist tests ran ended and what it printed, and the one way they run one: from a directory, stdin
 * from {@code /dev/null}, stdout and stderr to files there, an environment the caller adjusts, killed (with its
 * children) past a time limit, which fails the test with what it printed so far.
 */
record ProcessRun(List<String> command, int exitCode, String stdout, String stderr) {
    /** stdout and stderr together. */
    String output() {
        return stdout + stderr;
    }

    /** Every failure message: the command, how it ended, what it printed. */
    String describe() {
        return describe(command, "exit code: " + exitCode, stdout, stderr);
    }

    static String describe(final List<String> command, final String outcome, final String stdout,
        final String stderr) {
        return "command: " + String.join(" ", command) + "\n" + outcome
            + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }

    /** Runs {@code command} in {@code dir} with the environment {@code environment} leaves, at most {@code seconds}. */
    static ProcessRun run(final Path dir, final List<String> command, final Consumer<Map<String, String>> environment,
        final long seconds) {
        final Path stdout;
        final Path stderr;
        try {
            stdout = Files.createTempFile(dir, "stdout-", ".txt");
            stderr = Files.createTempFile(dir, "stderr-", ".txt");
        } catch (final IOException e) {
            throw new AssertionError("cannot create output files in " + dir, e);
        }
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
        environment.accept(builder.environment());
        try {
            final Process process = builder.start();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                fail("did not finish in " + seconds + " s and was killed\n"
                    + describe(command, "killed; output so far:", read(stdout), read(stderr)));
            }
            return new ProcessRun(command, process.exitValue(), read(stdout), read(stderr));
        } catch (final IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    static String read(final Path file) throws IOException {
        // Lenient decoding: a stray byte in the output must not hide the output itself.
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /** A system property the dist pom's Failsafe configuration sets; fails naming it when it is not. */
    static String requiredProperty(final String name) {
        final String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            fail("system property " + name + " is not set: the dist pom's Failsafe configuration sets it");
        }
        return value;
    }
}
