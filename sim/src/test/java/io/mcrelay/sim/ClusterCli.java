package io.mcrelay.sim;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.mcrelay.cli.CliRun;

/**
 * Runs the real CLI against a simulated cluster's supervisor behind a real control socket: the command on another
 * thread, while the calling thread steps the cluster so that the supervisor answers as it would in production.
 */
final class ClusterCli {
    /** How long a command may take in real time before the test gives up on it. */
    static final long REAL_TIME_LIMIT_NS = 30_000_000_000L;

    private ClusterCli() {
    }

    /** Runs {@code mcrelay ARGS --socket SOCKET} while stepping {@code cluster}. */
    static CliRun run(final Cluster cluster, final Path socket, final String... args) throws Exception {
        final List<String> full = new ArrayList<>(Arrays.asList(args));
        full.add("--socket");
        full.add(socket.toString());
        final CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(
            () -> CliRun.of(full.toArray(String[]::new)));
        final long deadlineNs = System.nanoTime() + REAL_TIME_LIMIT_NS;
        while (!run.isDone() && System.nanoTime() < deadlineNs) {
            cluster.step();
        }
        return run.get(1, TimeUnit.SECONDS);
    }
}
