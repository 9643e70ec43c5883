package io.mcrelay.sim.check;

import java.util.Objects;

/**
 * An invariant checker of a simulated run: it is shown what happens and reports what breaks its invariant to the
 * run's {@link Failures}, under its name. A checker only reads what it is shown; it never changes the run, so a run
 * with checkers does the same things, and prints the same digest, as one without.
 */
public abstract class Checker {
    private final String name;
    private final Failures failures;

    protected Checker(final String name, final Failures failures) {
        this.name = Objects.requireNonNull(name, "name");
        this.failures = Objects.requireNonNull(failures, "failures");
    }

    /** The invariant's name, as failures start with it. */
    public final String name() {
        return name;
    }

    protected final void fail(final String message) {
        failures.add(name, message);
    }
}
