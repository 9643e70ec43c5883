package io.mcrelay.linux.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the launcher reads from the host before it starts workers: the CPUs this process may run on, the JVM options
 * file, and the helper program ({@code setpriv}) on a search path. Stateless.
 */
public final class HostFacts {
    private HostFacts() {
    }

    /** The JVM options in a {@code jvm.options} file: one per line, blank lines and {@code #} comments skipped. */
    public static List<String> readJvmOptions(final Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the worker JVM options from " + file, e);
        }
    }

    /**
     * The CPUs this process may run on ({@code Cpus_allowed_list} of /proc/self/status, e.g. {@code 0-3,8}):
     * a worker pinned outside them (a cpuset, a container) would fail to start.
     */
    public static int[] allowedCpus() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return parseCpuList(line.substring("Cpus_allowed_list:".length()).strip());
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("/proc/self/status has no Cpus_allowed_list");
    }

    /** A kernel CPU list ({@code 0-3,8,10-11}) as the CPUs it names, in order. */
    public static int[] parseCpuList(final String list) {
        final List<Integer> cpus = new ArrayList<>();
        for (final String part : list.split(",")) {
            final String[] range = part.strip().split("-");
            final int first = Integer.parseInt(range[0]);
            final int last = range.length > 1 ? Integer.parseInt(range[1]) : first;
            if (range.length > 2 || last < first || last - first > 65_536) {
                throw new IllegalArgumentException("not a CPU list: " + list);
            }
            for (int cpu = first; cpu <= last; cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code name} in the directories of {@code searchPath}, or a clear error naming what it is needed for. */
    public static Path find(final String name, final String searchPath, final String purpose) {
        for (final String dir : searchPath.split(":")) {
            if (!dir.isEmpty()) {
                final Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException(name + " not found in " + searchPath + ": it is needed " + purpose
            + " (install util-linux)");
    }
}
