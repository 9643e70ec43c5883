package io.mcrelay.linux.process;

import io.mcrelay.seam.WorkerLauncher.WorkerHandle;

/** A process {@link ProcessWorkerLauncher} launched, and where it stands; only the launcher touches it. */
final class LaunchedWorker {
    final WorkerHandle handle;
    final Process process;
    final byte[] token;
    final int pidfd;
    boolean connected;
    boolean killed;
    /** Why it was killed, as the kill's WARN said it: repeated when its exit is logged. */
    String killedFor = "";
    boolean exited;
    /** Its channel once it connected (the core owns it; this launcher only names its descriptor). */
    StreamWorkerChannel channel;

    LaunchedWorker(final WorkerHandle handle, final Process process, final byte[] token, final int pidfd) {
        this.handle = handle;
        this.process = process;
        this.token = token;
        this.pidfd = pidfd;
    }
}
