package io.mcrelay.netns;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * How the end-to-end suites wait: through Awaitility, at a {@link Pace} (a generous hang guard, never a timing
 * assertion, and a pause between looks), failing with what was awaited, what was seen last and whatever context the
 * caller gives (a daemon's log, the frames captured so far). Each wait's duration is printed, so slow machines show
 * up in the output, not as failures.
 *
 * <p>The probe runs on the calling thread: what the suites poll (rings mapped in confined arenas, an io_uring, a
 * netlink socket, a worker's channel) belongs to the test thread. Exceptions and assertion failures thrown by a probe
 * end the wait at once, as does an exception another thread leaves uncaught meanwhile (Awaitility's default).
 */
final class Waits {
    /** The shortest hang guard: anything shorter would be a timing assertion in disguise. */
    private static final Duration GUARD_MIN = Duration.ofSeconds(10);

    /** How long a wait may last before it counts as hung, and how long it pauses between looks. */
    record Pace(Duration guard, Duration poll) {
        /** A daemon (a child JVM) starting or answering over its control socket, each look a request: 60 s. */
        static final Pace DAEMON = new Pace(Duration.ofSeconds(60), Duration.ofMillis(50));
        /**
         * A worker process the test supervises (a JVM starting, a Sync acked, a heartbeat, an exit), each look pumping
         * its channel and blocking up to a few milliseconds for activity: 60 s.
         */
        static final Pace WORKER = new Pace(Duration.ofSeconds(60), Duration.ofMillis(1));
        /**
         * What the kernel (or a relay already forwarding) delivers within microseconds once caused: frames on a
         * ring, datagrams at a socket, link events, send completions, error reports: 10 s.
         */
        static final Pace DELIVERY = new Pace(GUARD_MIN, Duration.ofMillis(1));

        Pace {
            if (guard.compareTo(GUARD_MIN) < 0) {
                throw new IllegalArgumentException("a hang guard of " + guard + " is under " + GUARD_MIN
                    + ": it would assert a duration");
            }
            if (poll.isNegative() || poll.isZero() || poll.compareTo(guard) >= 0) {
                throw new IllegalArgumentException("the pause between looks must be positive and under the guard, "
                    + "not " + poll);
            }
        }

        /** This pace with {@code otherPoll} between looks (where each look has a side effect to pace, a send). */
        Pace every(final Duration otherPoll) {
            return new Pace(guard, otherPoll);
        }
    }

    private Waits() {
    }

    /**
     * Polls {@code probe} at {@code pace} until it returns a value {@code done} accepts and returns that value; fails
     * after the pace's guard naming {@code what}, the last value seen and {@code context}.
     */
    static <T> T until(final Pace pace, final String what, final Callable<T> probe, final Predicate<T> done,
        final Supplier<String> context) {
        final AtomicReference<T> last = new AtomicReference<>();
        final long start = System.nanoTime();
        try {
            Awaitility.await(what).atMost(pace.guard()).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(pace.poll()).until(() -> {
                    final T value = probe.call();
                    last.set(value);
                    return done.test(value);
                });
        } catch (final ConditionTimeoutException e) {
            final String more = context.get();
            throw new AssertionError("waited " + pace.guard().toSeconds() + " s for " + what + "; last seen: "
                + last.get() + (more.isEmpty() ? "" : "\n" + more), e);
        }
        System.out.println("[wait] " + what + ": " + (System.nanoTime() - start) / 1_000_000 + " ms");
        return last.get();
    }

    /** {@link #until(Pace, String, Callable, Predicate, Supplier)} with no context beyond the last value seen. */
    static <T> T until(final Pace pace, final String what, final Callable<T> probe, final Predicate<T> done) {
        return until(pace, what, probe, done, () -> "");
    }

    /** Polls {@code condition} at {@code pace} until it holds; fails as the other {@code until}s do. */
    static void until(final Pace pace, final String what, final Callable<Boolean> condition,
        final Supplier<String> context) {
        until(pace, what, condition, Boolean::booleanValue, context);
    }

    /** {@link #until(Pace, String, Callable, Predicate, Supplier)} at the {@link Pace#DAEMON} pace. */
    static <T> T until(final String what, final Callable<T> probe, final Predicate<T> done,
        final Supplier<String> context) {
        return until(Pace.DAEMON, what, probe, done, context);
    }

    /** Polls {@code condition} at the {@link Pace#DAEMON} pace until it holds; fails as the other {@code until}s do. */
    static void until(final String what, final Callable<Boolean> condition, final Supplier<String> context) {
        until(Pace.DAEMON, what, condition, context);
    }
}
