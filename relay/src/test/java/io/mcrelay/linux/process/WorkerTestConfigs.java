package io.mcrelay.linux.process;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Launcher configurations for the worker-process tests: a runtime parent under /tmp that the worker user can reach
 * (JUnit's temp directories are 0700), the project's jvm.options, and a small classpath (the compiled classes and
 * Agrona, and SLF4J with Logback, which the worker's packet backend logs through) so each launcher copies little.
 */
final class WorkerTestConfigs {
    private WorkerTestConfigs() {
    }

    /** A fresh runtime parent, mode 0711. */
    static Path runtimeParent() {
        try {
            final Path dir = Files.createTempDirectory(Path.of("/tmp"), "mcrelay-workertest-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            return dir;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ProcessWorkerLauncher.Config config(final Path runtimeParent) {
        final List<Path> classpath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(Path::of)
            .filter(p -> Files.isDirectory(p) || p.getFileName().toString().startsWith("agrona")
                || p.getFileName().toString().startsWith("slf4j-api")
                || p.getFileName().toString().startsWith("logback-"))
            .toList();
        return ProcessWorkerLauncher.Config.defaults(runtimeParent, jvmOptions()).withClasspath(classpath);
    }

    /** The project's jvm.options (the build passes its path), plus options that make a tiny JVM start fast. */
    static List<String> jvmOptions() {
        final String file = System.getProperty("mcrelay.jvmOptions");
        final List<String> options = new ArrayList<>();
        if (file != null) {
            options.addAll(HostFacts.readJvmOptions(Path.of(file)));
            options.add("-Dmcrelay.jvmOptions=" + file); // a JVM started with these starts workers with them too
        } else {
            options.add("--enable-native-access=ALL-UNNAMED");
        }
        options.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xshare:auto"));
        return options;
    }

    /** Removes a runtime parent and all under it. */
    static void delete(final Path root) {
        if (root != null) {
            WorkerRuntimeDirectory.deleteTree(root);
        }
    }

    /** A field of /proc/PID/status, or null when the process is gone. */
    static String status(final long pid, final String field) {
        return status(Path.of("/proc/" + pid + "/status"), field);
    }

    /** A field of a status file such as /proc/PID/task/TID/status, or null when it is gone. */
    static String status(final Path statusFile, final String field) {
        try {
            for (final String line : Files.readAllLines(statusFile)) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).strip();
                }
            }
            return "";
        } catch (final IOException e) {
            return null;
        }
    }
}
