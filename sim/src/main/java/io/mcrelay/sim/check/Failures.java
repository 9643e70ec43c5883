package io.mcrelay.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.mcrelay.seam.Clock;

/**
 * What the checkers of one run caught, in the order they caught it. Each failure reads {@code CHECKER at T ms: what},
 * {@code T} being the run's virtual time, so that a failure names its checker first (tests look for the name there).
 * Single-threaded.
 */
public final class Failures {
    private static final long MS = 1_000_000L;

    private final Clock clock;
    private final List<String> failures = new ArrayList<>();

    /** Failures stamped with {@code clock}'s time (the run's virtual clock). */
    public Failures(final Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records that {@code checker} caught {@code message} now. */
    public void add(final String checker, final String message) {
        Objects.requireNonNull(checker, "checker");
        failures.add(checker + " at " + clock.nanoTime() / MS + " ms: " + message);
    }

    /** The failures so far, oldest first. */
    public List<String> list() {
        return List.copyOf(failures);
    }

    public boolean isEmpty() {
        return failures.isEmpty();
    }
}
