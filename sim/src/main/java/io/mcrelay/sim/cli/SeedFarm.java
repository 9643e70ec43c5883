package io.mcrelay.sim.cli;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Runs many seeds on several threads and hands their results back in seed order, as one thread would. Each seed's
 * run is whole in itself (its own cluster, clock, randomness and event log: no simulation shares mutable state with
 * another, and nothing static is mutable), so a seed's digest does not depend on how many ran beside it: the
 * determinism test compares them. Only a farm of seeds is spread; one run stays on one thread. It lives with the
 * command line, the one room of the simulator that may start threads (and read the wall clock, for its reports):
 * {@code SimArchitectureTest} keeps them out of the others.
 */
public final class SeedFarm {
    /** The most threads a farm takes. */
    public static final int JOBS_MAX = 64;
    /** A seed's thread's stack: the main thread's usual 8 MiB, so a run behaves alike on either. */
    private static final long STACK_BYTES = 8L << 20;

    private SeedFarm() {
    }

    /** One thread per processor the JVM may use, at most {@link #JOBS_MAX}. */
    public static int defaultJobs() {
        return Math.min(JOBS_MAX, Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Runs {@code runSeed} for seeds {@code first} to {@code first + count - 1} on {@code jobs} threads (on the
     * calling thread when {@code jobs} is 1), and gives each result to {@code inOrder}, on the calling thread, in seed
     * order, as soon as it and every earlier one are done. At most twice {@code jobs} results wait at a time. An
     * exception thrown by {@code runSeed} ends the farm and is rethrown here (a caller that wants every seed run
     * turns failures into results).
     */
    public static <T> void run(final long first, final int count, final int jobs, final LongFunction<T> runSeed,
                               final Consumer<T> inOrder) {
        if (jobs < 1 || jobs > JOBS_MAX) {
            throw new IllegalArgumentException("jobs must be 1 to " + JOBS_MAX + ", not " + jobs);
        }
        if (jobs == 1) {
            for (int i = 0; i < count; i++) {
                inOrder.accept(runSeed.apply(first + i));
            }
            return;
        }
        final ExecutorService pool = Executors.newFixedThreadPool(jobs, task -> {
            final Thread thread = new Thread(null, task, "sim-seed", STACK_BYTES);
            thread.setDaemon(true); // a caller that gives up (an exception) does not wait for runs under way
            return thread;
        });
        try {
            final ArrayDeque<Future<T>> window = new ArrayDeque<>();
            int submitted = 0;
            while (submitted < count && window.size() < 2 * jobs) {
                final long seed = first + submitted++;
                window.add(pool.submit(() -> runSeed.apply(seed)));
            }
            while (!window.isEmpty()) {
                final T result = await(window.poll());
                if (submitted < count) {
                    final long seed = first + submitted++;
                    window.add(pool.submit(() -> runSeed.apply(seed)));
                }
                inOrder.accept(result);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T await(final Future<T> future) {
        try {
            return future.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a seed", e);
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }
}
