package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.DutyCycleRunner;
import io.mcrelay.seam.support.LauncherEvents;

/**
 * A {@link WorkerLauncher} whose workers are in-process {@link WorkerAgent}s: the real worker logic over simulated
 * seams. A launched worker connects on the next poll; a kill drops all of its state, as the death of a process
 * would. The simulator steps the live workers through {@link #step(long)} or {@link #stepWorker}, each worker's duty
 * cycle through its own {@link DutyCycleRunner}: an error escaping a cycle fails that runner and reaches the caller,
 * which ends the run. Single-threaded.
 */
public final class SimLauncher implements WorkerLauncher {
    /** Builds the agent of a new worker incarnation around its end of the channel. */
    @FunctionalInterface
    public interface WorkerFactory {
        Incarnation create(int workerIndex, long launchId, WorkerChannel workerEnd);
    }

    /** A worker incarnation: its agent, its packet I/O (closed when the incarnation ends) and its timers. */
    public record Incarnation(WorkerAgent agent, PacketIo io, SimTimers timers) {
    }

    /** Decorates the two ends of a new worker's channel (faults, recording); the identity by default. */
    @FunctionalInterface
    public interface ChannelWrapper {
        WorkerChannel wrap(WorkerChannel end, boolean supervisorEnd, WorkerHandle handle);
    }

    /** A live worker: its agent, run through a {@link DutyCycleRunner} of its own, as the worker process runs it. */
    public static final class LiveWorker {
        private final WorkerHandle handle;
        private final WorkerAgent agent;
        private final DutyCycleRunner runner;
        private final PacketIo io;
        private final SimTimers timers;
        private final SimWorkerChannel workerEnd;
        private final SimWorkerChannel rogueEnd;
        private boolean hung;

        LiveWorker(final WorkerHandle handle, final Incarnation incarnation, final SimWorkerChannel workerEnd,
                   final SimWorkerChannel rogueEnd) {
            this.handle = handle;
            this.agent = incarnation.agent();
            this.runner = new DutyCycleRunner("worker " + handle.workerIndex() + " (launch " + handle.launchId() + ")",
                agent);
            this.io = incarnation.io();
            this.timers = incarnation.timers();
            this.workerEnd = workerEnd;
            this.rogueEnd = rogueEnd;
        }

        public WorkerHandle handle() {
            return handle;
        }

        public WorkerAgent agent() {
            return agent;
        }

        /** The worker's timers, or {@code null} if its factory did not say. */
        public SimTimers timers() {
            return timers;
        }

        /** The worker's packet I/O. */
        public PacketIo io() {
            return io;
        }

        /** Frames waiting in the rings of the worker's inputs (0 if its I/O is not simulated). */
        public int receiveBacklog() {
            return io instanceof SimPacketIo simulated ? simulated.rxDepth() : 0;
        }

        /** True while the worker is frozen: alive, but running no duty cycle. */
        public boolean isHung() {
            return hung;
        }
    }

    /** Exit status of a worker killed by the supervisor (SIGKILL). */
    public static final int KILLED = -9;
    /** Exit status of a worker that crashed on its own (SIGSEGV, say). */
    public static final int CRASHED = -11;

    private final WorkerFactory factory;
    private final Clock clock;
    private final int channelCapacityBytes;
    private final int frameBytesMax;
    private final ChannelWrapper wrapper;
    private final LauncherEvents events = new LauncherEvents();
    private final List<WorkerHandle> crashRequests = new ArrayList<>();
    // By launch id: launch order, deterministic.
    private final TreeMap<Long, LiveWorker> live = new TreeMap<>();
    /** {@link #live}'s workers as an immutable list, made again only after a launch or an exit ({@code null}). */
    private List<LiveWorker> liveList;
    private EndedInputs endedInputs = new EndedInputs();
    private long nextLaunchId = 1;
    private long nextPid = 1000;

    public SimLauncher(final WorkerFactory factory, final Clock clock, final int channelCapacityBytes,
                       final int frameBytesMax) {
        this(factory, clock, channelCapacityBytes, frameBytesMax, (end, supervisorEnd, handle) -> end);
    }

    public SimLauncher(final WorkerFactory factory, final Clock clock, final int channelCapacityBytes,
                       final int frameBytesMax, final ChannelWrapper wrapper) {
        this.wrapper = wrapper;
        this.factory = factory;
        this.clock = clock;
        this.channelCapacityBytes = channelCapacityBytes;
        this.frameBytesMax = frameBytesMax;
    }

    @Override
    public WorkerHandle launch(final int workerIndex) {
        final WorkerHandle handle = new WorkerHandle(workerIndex, nextLaunchId++, nextPid++);
        final SimWorkerChannel[] ends = SimWorkerChannel.pair(channelCapacityBytes, frameBytesMax);
        final Incarnation incarnation = factory.create(workerIndex, handle.launchId(),
            wrapper.wrap(ends[1], false, handle));
        incarnation.agent().start(clock.nanoTime());
        live.put(handle.launchId(), new LiveWorker(handle, incarnation, ends[1], ends[0]));
        liveList = null;
        events.connected(handle, wrapper.wrap(ends[0], true, handle));
        return handle;
    }

    @Override
    public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
        end(handle, KILLED);
    }

    /** A crash the worker did not ask for: the process dies at once, its channel breaks. */
    public void crash(final WorkerHandle handle) {
        end(handle, CRASHED);
    }

    /**
     * A crash decided in the middle of someone's duty cycle (a fault at a protocol point): carried out at the end of
     * the current step, so no agent loses its state under its own feet.
     */
    public void requestCrash(final WorkerHandle handle) {
        crashRequests.add(handle);
    }

    /** Carries out the requested crashes; returns how many workers died. */
    public int applyCrashRequests() {
        int crashed = 0;
        for (final WorkerHandle handle : crashRequests) {
            if (live.containsKey(handle.launchId())) {
                end(handle, CRASHED);
                crashed++;
            }
        }
        crashRequests.clear();
        return crashed;
    }

    /** The supervisor is gone: every worker gets its parent-death signal and dies. */
    public void killAll() {
        for (final LiveWorker worker : List.copyOf(live.values())) {
            end(worker.handle, KILLED);
        }
    }

    /** Freezes or thaws a worker: a hung worker neither reads nor sends, like a process stuck in a loop. */
    public void setHung(final WorkerHandle handle, final boolean hung) {
        final LiveWorker worker = live.get(handle.launchId());
        if (worker != null) {
            worker.hung = hung;
        }
    }

    private void end(final WorkerHandle handle, final int status) {
        final LiveWorker worker = live.remove(handle.launchId());
        liveList = null;
        if (worker == null) {
            return; // already gone: a second kill does nothing
        }
        worker.workerEnd.close();
        if (worker.io instanceof SimPacketIo simulated) {
            // What the process last read: the counts its members took since stay with them for the next reader.
            simulated.countsAsRead().forEach(endedInputs::add);
            endedInputs.addFramesDelivered(simulated.framesDelivered());
        } else {
            worker.io.inputCounts().forEach(endedInputs::add);
        }
        worker.io.close(); // its sockets go with the process: unsent packets are lost, and frames no one else holds
        events.exited(handle, status);
    }

    /** Adds what the inputs of each incarnation had counted when it ends to {@code into} (shared by lives). */
    public SimLauncher countingEndedInputsInto(final EndedInputs into) {
        endedInputs = java.util.Objects.requireNonNull(into, "into");
        return this;
    }

    /** What the inputs of the incarnations that ended had counted. */
    public EndedInputs endedInputs() {
        return endedInputs;
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        return events.deliver(listener, limit);
    }

    /**
     * Puts a frame into a worker's channel as if the supervisor had sent it: how a fault (a corrupted or forged
     * command) reaches a worker. Returns false if the channel could not take it.
     */
    public boolean injectCommand(final WorkerHandle handle, final byte[] frame) {
        final LiveWorker worker = live.get(handle.launchId());
        return worker != null && worker.rogueEnd.send(new org.agrona.concurrent.UnsafeBuffer(frame), 0,
            frame.length) == WorkerChannel.SendResult.SENT;
    }

    /** Runs one duty cycle of every live, unfrozen worker, in launch order; a worker that is done exits. */
    public int step(final long nowNs) {
        int work = 0;
        for (final LiveWorker worker : List.copyOf(live.values())) {
            work += stepWorker(worker, nowNs);
        }
        return work;
    }

    /**
     * Runs one duty cycle of one worker (unless it is frozen or gone) through its runner; a worker that is done exits.
     * An error escaping the cycle is rethrown, and the worker's runner refuses every step after it.
     */
    public int stepWorker(final LiveWorker worker, final long nowNs) {
        if (worker.hung || live.get(worker.handle.launchId()) != worker) {
            return 0;
        }
        final int work = worker.runner.step(nowNs);
        if (worker.agent.isDone()) {
            end(worker.handle, 0);
            return work + 1;
        }
        return work;
    }

    /** The earliest timer deadline of the live workers, or {@link Long#MAX_VALUE}. */
    public long nextDeadlineNs() {
        long next = Long.MAX_VALUE;
        for (final LiveWorker worker : live.values()) {
            if (worker.timers != null && !worker.hung) {
                next = Math.min(next, worker.timers.nextDeadlineNs());
            }
        }
        return next;
    }

    /** The live workers, in launch order: an immutable list (the simulator asks at every step and delivery). */
    public List<LiveWorker> liveWorkers() {
        if (liveList == null) {
            liveList = List.copyOf(live.values());
        }
        assert liveList.equals(List.copyOf(live.values()));
        return liveList;
    }

    /** The live worker in slot {@code workerIndex}, or {@code null}. */
    public LiveWorker liveWorker(final int workerIndex) {
        for (final LiveWorker worker : live.values()) {
            if (worker.handle.workerIndex() == workerIndex) {
                return worker;
            }
        }
        return null;
    }
}
