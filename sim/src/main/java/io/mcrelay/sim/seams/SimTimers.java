package io.mcrelay.sim.seams;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import io.mcrelay.seam.Timers;

/**
 * Exact {@link Timers} for the simulator: a timer fires on the first poll at or after its deadline, in deadline order,
 * ties in scheduling order, so a run's timer expiries depend only on the times passed in. Not thread-safe.
 */
public final class SimTimers implements Timers {
    private record Pending(long deadlineNs, long timerId) implements Comparable<Pending> {
        @Override
        public int compareTo(final Pending other) {
            final int byDeadline = Long.compare(deadlineNs, other.deadlineNs);
            return byDeadline != 0 ? byDeadline : Long.compare(timerId, other.timerId);
        }
    }

    private final TreeSet<Pending> queue = new TreeSet<>();
    // Lookup by id for cancel; never iterated, so its order cannot leak into a run.
    private final Map<Long, Pending> byId = new HashMap<>();
    private long nextId = 1;

    @Override
    public long schedule(final long deadlineNs) {
        final Pending pending = new Pending(deadlineNs, nextId++);
        queue.add(pending);
        byId.put(pending.timerId(), pending);
        return pending.timerId();
    }

    @Override
    public boolean cancel(final long timerId) {
        final Pending pending = byId.remove(timerId);
        return pending != null && queue.remove(pending);
    }

    @Override
    public int poll(final long nowNs, final Handler handler, final int limit) {
        int fired = 0;
        while (fired < limit && !queue.isEmpty() && queue.first().deadlineNs() <= nowNs) {
            final Pending pending = queue.pollFirst();
            byId.remove(pending.timerId());
            fired++;
            handler.onTimer(pending.timerId(), nowNs);
        }
        return fired;
    }

    @Override
    public int pending() {
        return queue.size();
    }

    @Override
    public long resolutionNs() {
        return 0;
    }

    /** The earliest pending deadline, or {@link Long#MAX_VALUE}: where the simulator may jump time to. */
    public long nextDeadlineNs() {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.first().deadlineNs();
    }
}
