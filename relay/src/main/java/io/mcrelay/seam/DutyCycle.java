package io.mcrelay.seam;

/**
 * An agent's duty cycle, in the manner of Agrona's {@code Agent}: one call does a bounded amount of work at one
 * instant and says how much it did. The supervisor and every worker implement it; the daemon and the worker process
 * run theirs through {@link io.mcrelay.seam.support.DutyCycleRunner}, and the simulator steps the very same objects
 * through the same runner in one thread, on virtual time.
 */
public interface DutyCycle {
    /**
     * Does a bounded amount of work at {@code nowNs}, the one clock reading of this cycle. Returns the work done; 0
     * means there was nothing to do, and the runner may wait.
     */
    int doWork(long nowNs);

    /** True once the agent has ended for good (a worker whose channel closed); its runner then stops. */
    default boolean isDone() {
        return false;
    }
}
