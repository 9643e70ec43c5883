package io.mcrelay.netns;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * How the end-to-end suites wait: through Awaitility, polling every 50 ms, with a generous hang guard (never a timing
 * assertion) whose failure names what was awaited and what was seen last, plus whatever context the caller gives (a
 * daemon's log). Each wait's duration is printed, so slow machines show up in the output, not as failures.
 */
final class Waits {
    /** The hang guard of the daemon suites. */
    static final Duration HANG_GUARD = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(50);

    private Waits() {
    }

    /**
     * Polls {@code probe} until it returns a value {@code done} accepts and returns that value; fails after
     * {@link #HANG_GUARD} naming {@code what}, the last value seen and {@code context}. Exceptions and assertion
     * failures thrown by {@code probe} end the wait at once.
     */
    static <T> T until(final String what, final Callable<T> probe, final Predicate<T> done,
        final Supplier<String> context) {
        final AtomicReference<T> last = new AtomicReference<>();
        final long start = System.nanoTime();
        try {
            Awaitility.await(what).atMost(HANG_GUARD).pollDelay(Duration.ZERO).pollInterval(POLL)
                .until(() -> {
                    final T value = probe.call();
                    last.set(value);
                    return done.test(value);
                });
        } catch (final ConditionTimeoutException e) {
            throw new AssertionError("waited " + HANG_GUARD.toSeconds() + " s for " + what + "; last seen: "
                + last.get() + "\n" + context.get(), e);
        }
        System.out.println("[wait] " + what + ": " + (System.nanoTime() - start) / 1_000_000 + " ms");
        return last.get();
    }

    /** Polls {@code condition} until it holds; fails as the other {@code until} does. */
    static void until(final String what, final Callable<Boolean> condition, final Supplier<String> context) {
        until(what, condition, Boolean::booleanValue, context);
    }
}
