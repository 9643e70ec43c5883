package io.mcrelay.linux;

/**
 * The worker process's entry point ({@link ProcessWorkerLauncher}'s default main class): starts
 * ({@link WorkerProcess#start(String[])}), then serves its channel until the supervisor's end closes. For now it
 * answers nothing: the packet path (io_uring) and the {@code WorkerAgent} are wired in when production packet I/O
 * exists. Exit statuses: 0 after EOF, {@link WorkerProcess#EXIT_USAGE}, {@link WorkerProcess#EXIT_REFUSED},
 * {@link WorkerProcess#EXIT_ORPHANED}.
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(final String[] args) {
        final WorkerProcess.Started started;
        try {
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
        WorkerProcess.serveUntilEof(started.channel());
        started.channel().close();
        for (final int fd : started.descriptors()) {
            UnixSockets.close(fd);
        }
    }
}
