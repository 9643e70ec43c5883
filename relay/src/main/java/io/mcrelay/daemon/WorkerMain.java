package io.mcrelay.daemon;

import java.util.Arrays;
import java.util.List;

import io.mcrelay.linux.packetio.WorkerIo;
import io.mcrelay.linux.process.ProcessWorkerLauncher;
import io.mcrelay.linux.process.WorkerProcess;

/**
 * The worker process's entry point ({@link ProcessWorkerLauncher}'s default main class): starts
 * ({@link WorkerProcess#start(String[])}: socket path, worker index, supervisor pid), reads its options from the
 * arguments after those ({@link WorkerIo.Config#parse}: backend, ring geometry, heartbeat interval), then runs the
 * {@link WorkerRuntime} over the descriptors it was passed until the agent is done (the channel's EOF, a
 * {@code Shutdown}). Exit statuses: 0 when the loop ended, 1 when the runtime could not be built or failed,
 * {@link WorkerProcess#EXIT_USAGE}, {@link WorkerProcess#EXIT_REFUSED}, {@link WorkerProcess#EXIT_ORPHANED}.
 */
public final class WorkerMain {
    /** Exit status: the runtime could not be built (a descriptor it cannot adopt, no io_uring...) or failed. */
    public static final int EXIT_FAILED = 1;

    private WorkerMain() {
    }

    public static void main(final String[] args) {
        final WorkerIo.Config options;
        final WorkerProcess.Started started;
        try {
            options = WorkerIo.Config.parse(args.length > 3 ? List.of(Arrays.copyOfRange(args, 3, args.length))
                : List.of());
            started = WorkerProcess.start(args);
        } catch (final WorkerProcess.RefusedException e) {
            System.err.println("mcrelay worker: " + e.getMessage());
            System.exit(WorkerProcess.EXIT_REFUSED);
            return;
        } catch (final WorkerProcess.OrphanedException e) {
            System.err.println("mcrelay worker: " + e.getMessage());
            System.exit(WorkerProcess.EXIT_ORPHANED);
            return;
        } catch (final IllegalArgumentException e) {
            System.err.println("mcrelay worker: " + e.getMessage());
            System.exit(WorkerProcess.EXIT_USAGE);
            return;
        }
        final WorkerRuntime runtime;
        try {
            runtime = WorkerRuntime.create(started.workerIndex(), started.channel(), started.descriptors(), options);
        } catch (final RuntimeException e) {
            System.err.println("mcrelay worker " + started.workerIndex() + ": cannot start: " + e.getMessage());
            System.exit(EXIT_FAILED);
            return;
        }
        System.err.println("mcrelay worker " + started.workerIndex() + ": " + runtime.io().backend().text()
            + " over " + runtime.io().inputNames() + "; " + started.scheduling());
        final String reason;
        try (runtime) {
            reason = runtime.run();
        } catch (final RuntimeException | Error e) {
            // Never looped over: a broken invariant ends the worker, and the supervisor restarts it.
            System.err.println("mcrelay worker " + started.workerIndex() + ": failed: " + e);
            e.printStackTrace();
            System.exit(EXIT_FAILED);
            return;
        }
        System.err.println("mcrelay worker " + started.workerIndex() + ": done: " + reason);
    }
}
