package io.mcrelay.fault;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * The real supervisor's launcher, decorated for the fault-injection daemon. Each worker's channel (the supervisor's
 * end) is wrapped as the plan says: {@link CrashPointChannel} (the worker is killed as a command goes to it) and
 * {@link FaultyWorkerChannel} (frames lost, duplicated, delayed, reordered) when those kinds are enabled, and
 * {@link SyncDroppingChannel} for a slot's replacement workers under {@link Break#SYNC}. Under {@link Break#RESPAWN}, a launch in a slot that already
 * had a worker starts nothing: the launch "exits" at once with status 1, as a worker that cannot start would.
 * Single-threaded, like the supervisor it serves.
 */
public final class FaultyLauncher implements WorkerLauncher {
    /** The exit status of a launch refused under {@link Break#RESPAWN}. */
    public static final int REFUSED_STATUS = 1;

    private final WorkerLauncher inner;
    private final Clock clock;
    private final FaultPlan plan;
    private final Set<Break> breaks;
    private final Set<Integer> slotsLaunched = new HashSet<>(); // lookups only
    /** Each slot's first launch (lookups only): its channel is never broken, so that the daemon starts. */
    private final java.util.Map<Integer, Long> firstLaunch = new java.util.HashMap<>();
    private final ArrayDeque<WorkerHandle> refused = new ArrayDeque<>();
    private long refusedLaunchId = -1;

    public FaultyLauncher(final WorkerLauncher inner, final Clock clock, final FaultPlan plan,
                          final Set<Break> breaks) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.breaks = Set.copyOf(breaks);
    }

    @Override
    public WorkerHandle launch(final int workerIndex) {
        if (breaks.contains(Break.RESPAWN) && !slotsLaunched.add(workerIndex)) {
            final WorkerHandle handle = new WorkerHandle(workerIndex, refusedLaunchId--, 0);
            refused.addLast(handle);
            return handle;
        }
        slotsLaunched.add(workerIndex);
        final WorkerHandle handle = inner.launch(workerIndex);
        firstLaunch.putIfAbsent(workerIndex, handle.launchId());
        return handle;
    }

    @Override
    public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
        if (handle.launchId() >= 0) {
            inner.kill(handle, reason, detail);
        }
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        int delivered = 0;
        while (delivered < limit && !refused.isEmpty()) {
            listener.onExited(refused.pollFirst(), REFUSED_STATUS);
            delivered++;
        }
        if (delivered == limit) {
            return delivered;
        }
        return delivered + inner.poll(new Listener() {
            @Override
            public void onConnected(final WorkerHandle handle, final WorkerChannel channel) {
                listener.onConnected(handle, wrap(handle, channel));
            }

            @Override
            public void onExited(final WorkerHandle handle, final int exitStatus) {
                listener.onExited(handle, exitStatus);
            }
        }, limit - delivered);
    }

    private WorkerChannel wrap(final WorkerHandle handle, final WorkerChannel channel) {
        WorkerChannel wrapped = channel;
        if (breaks.contains(Break.SYNC) && firstLaunch.get(handle.workerIndex()) != handle.launchId()) {
            wrapped = new SyncDroppingChannel(wrapped);
        }
        if (plan.isEnabled(FaultKind.WORKER_CRASH_BEFORE_APPLY)) {
            wrapped = new CrashPointChannel(wrapped, plan, false, () -> inner.kill(handle, RestartReason.REQUESTED,
                "fault injection: killed as a command went to it"));
        }
        if (plan.isEnabled(FaultKind.CHANNEL_LOSS) || plan.isEnabled(FaultKind.CHANNEL_DUPLICATION)
            || plan.isEnabled(FaultKind.CHANNEL_DELAY) || plan.isEnabled(FaultKind.CHANNEL_REORDER)) {
            wrapped = new FaultyWorkerChannel(wrapped, clock, plan);
        }
        return wrapped;
    }
}
