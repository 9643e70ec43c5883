package io.mcrelay.seam;

/**
 * One-shot timers driven by the time the caller passes in, never by a clock of their own.
 *
 * <p>Contract: a timer never fires before its deadline; a timer whose deadline is at or before {@code nowNs -
 * resolutionNs()} fires on the next {@link #poll}, unless cancelled; each timer fires at most once; a cancelled timer
 * never fires; timers due in the same poll fire in deadline order, ties in scheduling order (up to the resolution);
 * {@code poll} fires at most {@code limit} timers, leaving the rest due for the next poll.
 */
public interface Timers {
    /** Receives a fired timer. */
    @FunctionalInterface
    interface Handler {
        void onTimer(long timerId, long nowNs);
    }

    /** Schedules a timer and returns its id, unique among this instance's timers. */
    long schedule(long deadlineNs);

    /** Cancels a pending timer; returns false if it already fired, was cancelled or never existed. */
    boolean cancel(long timerId);

    /** Fires due timers, at most {@code limit}; returns how many fired. */
    int poll(long nowNs, Handler handler, int limit);

    /** Number of timers scheduled and not yet fired or cancelled. */
    int pending();

    /** The granularity of deadlines: a due timer may fire up to this late (0 for exact timers). */
    long resolutionNs();
}
