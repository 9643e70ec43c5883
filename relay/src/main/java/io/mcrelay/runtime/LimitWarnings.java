package io.mcrelay.runtime;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;

/**
 * WARN lines for the control socket's limits, at most one per limit per {@link #intervalNs}: a peer that makes a
 * limit bite a million times a second costs the log one line every interval, which counts every occurrence. Time is
 * the caller's (the server's injected clock). Not thread-safe.
 */
final class LimitWarnings {
    /** The limits that may bite, each logged on its own schedule. */
    enum Limit {
        CONNECTIONS_PER_USER, CONNECTIONS_TOTAL, HELD_BYTES, IDLE, READ_TIMEOUT, FRAMING, NOT_READING, ACCEPT_FAILED,
        UNKNOWN_PEER
    }

    private static final class Count {
        long total;
        long lastLoggedNs;
        boolean logged;
    }

    private final Logger log;
    private final long intervalNs;
    private final Map<Limit, Count> counts = new EnumMap<>(Limit.class);

    LimitWarnings(final Logger log, final long intervalNs) {
        if (intervalNs <= 0) {
            throw new IllegalArgumentException("intervalNs must be positive: " + intervalNs);
        }
        this.log = log;
        this.intervalNs = intervalNs;
    }

    /**
     * Counts one occurrence of {@code limit}; logs {@code message} with the count so far unless a line for the same
     * limit was logged less than the interval ago.
     *
     * @return whether a line was logged
     */
    boolean bit(final Limit limit, final long nowNs, final Supplier<String> message) {
        final Count count = counts.computeIfAbsent(limit, l -> new Count());
        count.total++;
        if (count.logged && nowNs - count.lastLoggedNs < intervalNs) {
            return false;
        }
        count.logged = true;
        count.lastLoggedNs = nowNs;
        log.warn("{} ({} so far; at most one such line every {} s)", message.get(), count.total,
            intervalNs / 1_000_000_000L);
        return true;
    }

    /** How many times {@code limit} bit. */
    long count(final Limit limit) {
        final Count count = counts.get(limit);
        return count == null ? 0 : count.total;
    }
}
