package io.mcrelay.daemon;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.core.worker.WorkerTotals;
import io.mcrelay.linux.packetio.WorkerIo;
import io.mcrelay.linux.process.StreamWorkerChannel;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.runtime.DeadlineTrackingTimers;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.DutyCycle;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.support.DutyCycleRunner;

/**
 * A worker process's event loop: the deterministic {@link WorkerAgent} wired to the real seams (its
 * {@link StreamWorkerChannel}, the {@link WorkerIo} built from its descriptors, {@link SystemClock} and
 * {@link WheelTimers}), driven on the calling thread until the agent is done.
 *
 * <p>Each turn runs one duty cycle ({@link WorkerAgent#doWork}); when it did nothing, the loop waits in
 * {@link WorkerIo#await} (with io_uring: one {@code io_uring_enter(min_complete = 1)} on the I/O's ring, which also
 * watches the channel and carries a {@code TIMEOUT}) until a frame, a send completion or a channel frame is ready,
 * or until the next timer's deadline (the heartbeat), and at most {@link #WAIT_MAX_NS}. It never spins while idle,
 * and never waits while work is pending. The agent is done when the channel reaches EOF (the supervisor closed it or
 * died: the channel's poll wakes the wait at once), on a {@code Shutdown} or a bad frame; the loop then returns and
 * the caller exits. Nothing allocates or logs per packet.
 *
 * <p>A duty cycle that takes longer than {@link #SLOW_CYCLE_NS} is logged (to the worker's log, its stderr) with how
 * long it took and where the agent is: the supervisor restarts a worker silent for 4 heartbeat intervals, and such a
 * line says what kept it. So is every table taken in ({@code Sync}): its epoch, its rules, and the duty cycles and time
 * it took from its first chunk to its install.
 */
public final class WorkerRuntime implements AutoCloseable {
    /** The longest single wait, even with no timer due: a bound on how late anything missed could be seen. */
    public static final long WAIT_MAX_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A duty cycle longer than this (a heartbeat interval's worth of the 4 the supervisor allows) is logged. */
    public static final long SLOW_CYCLE_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private final WorkerChannel channel;
    private final WorkerIo io;
    private final Clock clock;
    private final DeadlineTrackingTimers timers;
    private final WorkerAgent agent;
    private long idleWaits;

    private WorkerRuntime(final WorkerChannel channel, final WorkerIo io, final Clock clock,
        final DeadlineTrackingTimers timers, final WorkerAgent agent) {
        this.channel = channel;
        this.io = io;
        this.clock = clock;
        this.timers = timers;
        this.agent = agent;
    }

    /**
     * Wires a worker: the I/O over {@code descriptors} per {@code options}, watching {@code channel}'s socket, and
     * the agent for worker {@code workerIndex}. Takes ownership of the channel and the descriptors (closed by
     * {@link #close()}; if this throws, the channel is closed and the descriptors are still the caller's).
     */
    public static WorkerRuntime create(final int workerIndex, final StreamWorkerChannel channel,
        final int[] descriptors, final WorkerIo.Config options) {
        Objects.requireNonNull(channel, "channel");
        final WorkerIo io;
        try {
            io = WorkerIo.open(descriptors, options, channel.fd());
        } catch (final RuntimeException e) {
            channel.close();
            throw e;
        }
        final Clock clock = SystemClock.INSTANCE;
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(clock.nanoTime()));
        final WorkerAgent.Config defaults = WorkerAgent.Config.defaults(workerIndex);
        final WorkerAgent.Config config = new WorkerAgent.Config(workerIndex,
            TimeUnit.MILLISECONDS.toNanos(options.heartbeatIntervalMs()), defaults.commandLimit(),
            defaults.sendLimit(), defaults.completionLimit())
            .withLogLevels(new io.mcrelay.runtime.LogbackLogLevels()); // the supervisor's log-level set reaches us
        return new WorkerRuntime(channel, io, clock, timers, new WorkerAgent(config, channel, io.packetIo(), timers));
    }

    /** The I/O (for its backend and input names). */
    public WorkerIo io() {
        return io;
    }

    /**
     * Runs the loop until the agent is done; returns why it ended. An error escaping a duty cycle ends the loop and
     * propagates (the worker process exits; the supervisor restarts it).
     */
    public String run() {
        agent.start(clock.nanoTime());
        final DutyCycle timed = new DutyCycle() {
            private long syncStartNs = -1;
            private long syncCycles;
            private WorkerMessage.SyncProgress lastProgress = WorkerMessage.SyncProgress.NONE;

            @Override
            public int doWork(final long nowNs) {
                final int work = agent.doWork(nowNs);
                final WorkerMessage.SyncProgress progress = agent.syncProgress();
                if (progress.epoch() >= 0) {
                    syncStartNs = syncStartNs < 0 ? nowNs : syncStartNs;
                    syncCycles++;
                    lastProgress = progress;
                } else if (syncStartNs >= 0) {
                    System.err.println("mcrelay worker " + agent.workerIndex() + ": took in the table of epoch "
                        + lastProgress.epoch() + " (" + lastProgress.rules() + " rules in " + lastProgress.chunks()
                        + " chunks) over " + (syncCycles + 1) + " duty cycles, "
                        + (clock.nanoTime() - syncStartNs) / 1_000_000 + " ms; now at epoch " + agent.epoch());
                    syncStartNs = -1;
                    syncCycles = 0;
                }
                final long tookNs = clock.nanoTime() - nowNs;
                if (tookNs > SLOW_CYCLE_NS) {
                    System.err.println("mcrelay worker " + agent.workerIndex() + ": a duty cycle took "
                        + tookNs / 1_000_000 + " ms (epoch " + agent.epoch() + ", " + agent.rules().size()
                        + " rules, work " + work + ")");
                }
                return work;
            }

            @Override
            public boolean isDone() {
                return agent.isDone();
            }
        };
        new DutyCycleRunner("worker", timed).run(clock, () -> false, this::idle);
        return agent.doneReason();
    }

    /** After a cycle that did nothing: wait in the I/O until a frame, a message or the next timer is due. */
    private void idle(final long nowNs) {
        final long next = timers.nextDeadlineNs();
        // The wheel fires a due timer up to one tick late: wait past the deadline by its resolution.
        final long untilTimer = next == DeadlineTrackingTimers.NONE ? WAIT_MAX_NS
            : next - nowNs + timers.resolutionNs();
        final long waitNs = Math.min(WAIT_MAX_NS, untilTimer);
        if (waitNs > 0) {
            idleWaits++;
            io.await(waitNs, agent.epoch() != WorkerAgent.NO_EPOCH); // no ruleset: frames wait
        }
    }

    /** Turns that found nothing to do and waited. */
    public long idleWaits() {
        return idleWaits;
    }

    /** The agent's totals (frames, sends, drops). */
    public WorkerTotals totals() {
        return agent.totals();
    }

    @Override
    public void close() {
        try {
            io.close();
        } finally {
            channel.close();
        }
    }
}
