package io.mcrelay.seam;

/**
 * Starts and stops worker processes. Production: an unprivileged process that connects back over a Unix socket,
 * proves itself with a one-time token and receives its packet sockets; simulation: an in-process worker whose kill
 * drops all of its state.
 *
 * <p>Contract: {@link #launch} returns at once; the worker's connection and its exit arrive later as events from
 * {@link #poll}, each exactly once per launch, the exit after the connection (a worker may exit without having
 * connected); {@link #kill} of a live worker leads to its exit event; kill of an exited worker does nothing.
 * Events are delivered in the order they happened.
 */
public interface WorkerLauncher {
    /** A launched worker: its slot, a launch number unique for this launcher, and its process id (0 if none). */
    record WorkerHandle(int workerIndex, long launchId, long pid) {
    }

    /** Receives launcher events. */
    interface Listener {
        /** The worker connected and proved itself; {@code channel} is now its channel, owned by the listener. */
        void onConnected(WorkerHandle handle, WorkerChannel channel);

        /** The worker's process ended; {@code exitStatus} as the OS reports it (negative: killed by that signal). */
        void onExited(WorkerHandle handle, int exitStatus);
    }

    /** Starts a worker for slot {@code workerIndex}. */
    WorkerHandle launch(int workerIndex);

    /**
     * Stops a worker at once (SIGKILL in production) for {@code reason}; {@code detail} says more, in words (a
     * production launcher logs both at WARN).
     */
    void kill(WorkerHandle handle, RestartReason reason, String detail);

    /** Delivers up to {@code limit} events; returns how many. */
    int poll(Listener listener, int limit);
}
