package io.mcrelay.seam;

/**
 * Time, as the core may see it. An agent reads it once per duty cycle and passes {@code nowNs} down.
 *
 * <p>Contract: {@link #nanoTime()} is monotonic (never decreases between two calls, though it may jump forward);
 * {@link #epochMillis()} is wall-clock time for logs and journal records only, and may jump both ways, so no
 * decision may depend on it.
 */
public interface Clock {
    /** Monotonic time in nanoseconds from an arbitrary origin. */
    long nanoTime();

    /** Wall-clock time in milliseconds since the Unix epoch; may jump backwards. */
    long epochMillis();
}
