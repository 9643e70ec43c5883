package io.mcrelay.linux.process;

import java.nio.file.Path;
import java.util.List;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * A stand-in for the supervisor, run as a child JVM by {@link WorkerProcessTest}: launches worker 0 under the
 * runtime parent given as its first argument ({@link ProbeWorker} in the mode of its second), prints "worker PID"
 * once it connected, then waits to be killed.
 */
public final class StandInSupervisor {
    private StandInSupervisor() {
    }

    public static void main(final String[] args) throws InterruptedException {
        final ProcessWorkerLauncher launcher = ProcessWorkerLauncher.create(
            WorkerTestConfigs.config(Path.of(args[0])).withMain(ProbeWorker.class.getName(), List.of(args[1])));
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        final boolean[] connected = {false};
        final WorkerChannel[] channel = {null};
        final long deadlineNs = System.nanoTime() + 60_000_000_000L;
        while (!connected[0] && System.nanoTime() < deadlineNs) {
            launcher.awaitActivity(100);
            launcher.poll(new WorkerLauncher.Listener() {
                @Override
                public void onConnected(final WorkerLauncher.WorkerHandle h, final WorkerChannel c) {
                    connected[0] = true;
                    channel[0] = c; // kept open: the worker must die of the parent-death signal, not of EOF
                }

                @Override
                public void onExited(final WorkerLauncher.WorkerHandle h, final int status) {
                    System.out.println("exited " + status);
                    System.exit(1);
                }
            }, 10);
        }
        if (!connected[0]) {
            System.out.println("worker " + handle.pid() + " did not connect within 60 s");
            launcher.close();
            System.exit(2);
        }
        System.out.println("worker " + handle.pid());
        System.out.flush();
        while (true) {
            Thread.sleep(1000);
        }
    }
}
