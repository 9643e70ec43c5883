package io.mcrelay.seam.support;

import java.util.Objects;
import java.util.function.BooleanSupplier;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.DutyCycle;

/**
 * Runs one {@link DutyCycle}: stepped by the caller ({@link #step}, as the simulator does for every agent in one
 * thread) or looping in the caller's thread ({@link #run}, as the daemon and the worker process do), reading the clock
 * once per cycle and handing an idle cycle to an {@link Idle} that decides how to wait.
 *
 * <p>An error escaping a cycle is never looped over: the runner remembers it, refuses every later step, and
 * rethrows it to its caller, whose composition root logs it and ends the process (a broken invariant crashes the
 * agent; the supervisor restarts a worker, an operator's service manager the supervisor). Single-threaded; starts no
 * thread and never sleeps itself.
 */
public final class DutyCycleRunner {
    /** What a looping runner does after a cycle that did no work. */
    @FunctionalInterface
    public interface Idle {
        /** Waits (or not) after an idle cycle at {@code nowNs}; returns when there may be work again. */
        void idle(long nowNs);
    }

    private final String name;
    private final DutyCycle cycle;
    private Throwable failure;
    private long cycles;
    private long idleCycles;

    /** A runner for {@code cycle}; {@code name} names the agent in the error of a failed cycle. */
    public DutyCycleRunner(final String name, final DutyCycle cycle) {
        this.name = Objects.requireNonNull(name, "name");
        this.cycle = Objects.requireNonNull(cycle, "cycle");
    }

    /**
     * Runs one cycle at {@code nowNs} and returns its work. An error escaping it fails the runner and is rethrown;
     * stepping a failed runner throws {@link IllegalStateException} naming the first error.
     */
    public int step(final long nowNs) {
        if (failure != null) {
            throw new IllegalStateException(name + ": its duty cycle failed earlier: " + failure, failure);
        }
        cycles++;
        try {
            return cycle.doWork(nowNs);
        } catch (final RuntimeException | Error e) {
            failure = e;
            throw e;
        }
    }

    /**
     * Loops until {@code stop} says so or the agent is done: each turn reads {@code clock} once, runs one cycle, and
     * after a cycle that did no work calls {@code idle} (unless the agent just ended). An error escaping a cycle ends
     * the loop and is rethrown.
     */
    public void run(final Clock clock, final BooleanSupplier stop, final Idle idle) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(idle, "idle");
        while (!stop.getAsBoolean() && !cycle.isDone()) {
            final long nowNs = clock.nanoTime();
            if (step(nowNs) == 0 && !cycle.isDone()) {
                idleCycles++;
                idle.idle(nowNs);
            }
        }
    }

    /** The agent's name, as given. */
    public String name() {
        return name;
    }

    /** The error that escaped a cycle, or {@code null} while none has. */
    public Throwable failure() {
        return failure;
    }

    /** Cycles run so far. */
    public long cycles() {
        return cycles;
    }

    /** Cycles of {@link #run} that did no work and were handed to the idle strategy. */
    public long idleCycles() {
        return idleCycles;
    }
}
