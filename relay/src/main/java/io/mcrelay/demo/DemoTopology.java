package io.mcrelay.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's network: three namespaces, {@code TAG-src} (the generator), {@code TAG-relay} (the daemon) and
 * {@code TAG-sink} (the receivers), joined by two veth pairs: {@code in0p} (source, 10.99.1.1/24) to {@code in0}
 * (relay, 10.99.1.2/24), and {@code out0} (relay, 10.99.2.1/24) to {@code out0p} (sink, 10.99.2.2/24). Made and
 * removed with iproute2's {@code ip}; deleting a namespace deletes its veth ends. Remembers what it made, so
 * {@link #delete} removes exactly that, whatever step failed. Not thread-safe: {@link #delete} is called once, under
 * the demo's lock.
 */
final class DemoTopology {
    /** The prefix of every namespace a demo makes; the demo's pid follows it. */
    static final String PREFIX = "mcdemo";

    private final String ip;
    private final String tag;
    private final List<String> made = new ArrayList<>();

    DemoTopology(final String ip, final long pid) {
        this.ip = ip;
        this.tag = PREFIX + pid;
    }

    String source() {
        return tag + "-src";
    }

    String relay() {
        return tag + "-relay";
    }

    String sink() {
        return tag + "-sink";
    }

    String tag() {
        return tag;
    }

    /** Makes the namespaces and links; throws naming the command that failed (what was made stays for delete). */
    void create() throws IOException {
        for (final String namespace : List.of(source(), relay(), sink())) {
            run(ip, "netns", "add", namespace);
            made.add(namespace);
            run(ip, "-n", namespace, "link", "set", "lo", "up");
        }
        run(ip, "link", "add", "in0", "netns", relay(), "type", "veth", "peer", "name", "in0p", "netns", source());
        run(ip, "link", "add", "out0", "netns", relay(), "type", "veth", "peer", "name", "out0p", "netns", sink());
        address(source(), "in0p", "10.99.1.1/24");
        address(relay(), "in0", "10.99.1.2/24");
        address(relay(), "out0", "10.99.2.1/24");
        address(sink(), "out0p", "10.99.2.2/24");
    }

    private void address(final String namespace, final String link, final String cidr) throws IOException {
        run(ip, "-n", namespace, "addr", "add", cidr, "dev", link);
        run(ip, "-n", namespace, "link", "set", link, "up");
    }

    /** Deletes the namespaces this topology made; returns what could not be deleted (empty when all went). */
    List<String> delete() {
        final List<String> left = new ArrayList<>();
        for (final String namespace : List.copyOf(made).reversed()) {
            try {
                run(ip, "netns", "delete", namespace);
                made.remove(namespace);
            } catch (final IOException e) {
                left.add(namespace + " (" + e.getMessage() + ")");
            }
        }
        return left;
    }

    /**
     * Namespaces of earlier demos whose process is gone ({@code mcdemoPID-...} with no process {@code PID}), from
     * {@code ip netns list}: a demo killed with SIGKILL could not remove them.
     */
    static List<String> orphans(final String ip) throws IOException {
        final List<String> orphans = new ArrayList<>();
        for (final String line : run(ip, "netns", "list").split("\n")) {
            final String name = line.strip().split("\\s+")[0];
            if (name.startsWith(PREFIX) && name.indexOf('-') > PREFIX.length()) {
                final String pid = name.substring(PREFIX.length(), name.indexOf('-'));
                if (pid.chars().allMatch(Character::isDigit) && !Path.of("/proc", pid).toFile().exists()) {
                    orphans.add(name);
                }
            }
        }
        return orphans;
    }

    /** Runs a command; returns its output, or throws with the command and its output when it fails. */
    static String run(final String... command) throws IOException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                + output.strip());
        }
        return output;
    }
}
