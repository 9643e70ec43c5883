package io.mcrelay.sim.check.archfixture;

/** Breaks SimArchitectureTest's one-thread-per-run rule: a checker that starts a thread of its own. */
public final class StartsAThread {
    private StartsAThread() {
    }

    public static Thread watch(final Runnable task) {
        final Thread thread = new Thread(task, "watcher");
        thread.start();
        return thread;
    }
}
