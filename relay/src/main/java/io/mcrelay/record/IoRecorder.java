package io.mcrelay.record;

import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;

import org.agrona.DirectBuffer;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.DescriptorHandoff;
import io.mcrelay.seam.support.ForwardingJournal;
import io.mcrelay.seam.support.ForwardingTimers;
import io.mcrelay.seam.support.ForwardingWorkerChannel;

/**
 * Journals every input the supervisor core consumes and every output it produces, at the seam boundary: the seams
 * it is given are wrapped so that each value a seam hands the core (an input) and each call into a seam (an output)
 * becomes a journal entry, in the order they happen. Entries of one duty cycle follow a {@link IoKinds#CYCLE} marker
 * holding its {@code nowNs}, written only for cycles that had something to record. {@code journal replay} feeds the
 * inputs back and compares the outputs. Single-threaded, like the supervisor it records.
 */
public final class IoRecorder {
    private final Journal journal;
    private final Clock clock;
    private long cycleNs;
    private boolean cycleWritten = true;

    public IoRecorder(final Journal journal, final Clock clock) {
        this.journal = journal;
        this.clock = clock;
    }

    /** Marks the start of the supervisor: its tunables, so that a replay builds the same supervisor. */
    public void start(final long nowNs, final Supervisor.Config config) {
        cycleNs = nowNs;
        cycleWritten = true;
        append(IoKinds.START, "supervisor", IoKinds.encodeConfig(config));
    }

    /** Records the run's seed, so that a journal says which run it is. */
    public void seed(final long nowNs, final long seed) {
        cycleNs = nowNs;
        append(IoKinds.SEED, "run", new WireWriter().i64(seed).toByteArray());
    }

    /** Called before each {@code doWork(nowNs)}: the marker is written before the cycle's first entry, if any. */
    public void beginCycle(final long nowNs) {
        cycleNs = nowNs;
        cycleWritten = false;
    }

    void record(final int kind, final String source, final byte[] payload) {
        ensureCycle();
        append(kind, source, payload);
    }

    private void ensureCycle() {
        if (!cycleWritten) {
            cycleWritten = true;
            append(IoKinds.CYCLE, "supervisor", new WireWriter().i64(cycleNs).toByteArray());
        }
    }

    private void append(final int kind, final String source, final byte[] payload) {
        try {
            journal.append(new Journal.Entry(cycleNs, clock.epochMillis(), kind, source, payload));
        } catch (final Journal.UnwritableException e) {
            // The journal is full or failed: this entry is lost (the journal counts it and marks the gap once it
            // takes entries again); the supervisor goes on, and refuses rule changes meanwhile.
        }
    }

    /** The supervisor's seams, wrapped so that everything crossing them is journaled. */
    public Supervisor.Seams wrap(final Supervisor.Seams seams) {
        return new Supervisor.Seams(new RecordingTimers(seams.timers()), new RecordingLauncher(seams.launcher()),
            new RecordingControl(seams.control()), new RecordingLinks(seams.links()),
            new RecordingLogLevels(seams.logLevels()), new RecordingInputSockets(seams.inputSockets()),
            new RecordingMemberships(seams.memberships()), new RecordingStateJournal(seams.journal()), seams.clock());
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length) {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return copy;
    }

    private final class RecordingTimers extends ForwardingTimers {
        RecordingTimers(final Timers inner) {
            super(inner);
        }

        @Override
        public long schedule(final long deadlineNs) {
            final long id = inner.schedule(deadlineNs);
            record(IoKinds.TIMER_SCHEDULED, "timers", new WireWriter().i64(deadlineNs).i64(id).toByteArray());
            return id;
        }

        @Override
        public boolean cancel(final long timerId) {
            final boolean cancelled = inner.cancel(timerId);
            record(IoKinds.TIMER_CANCELLED, "timers", new WireWriter().i64(timerId).bool(cancelled).toByteArray());
            return cancelled;
        }

        @Override
        public int poll(final long nowNs, final Handler handler, final int limit) {
            return inner.poll(nowNs, (timerId, firedNs) -> {
                record(IoKinds.TIMER_FIRED, "timers", new WireWriter().i64(timerId).i64(firedNs).toByteArray());
                handler.onTimer(timerId, firedNs);
            }, limit);
        }
    }

    private final class RecordingLauncher implements WorkerLauncher {
        private final WorkerLauncher inner;

        RecordingLauncher(final WorkerLauncher inner) {
            this.inner = inner;
        }

        @Override
        public WorkerHandle launch(final int workerIndex) {
            final WorkerHandle handle = inner.launch(workerIndex);
            record(IoKinds.WORKER_LAUNCHED, IoKinds.workerSource(handle), IoKinds.encodeHandle(handle));
            return handle;
        }

        @Override
        public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
            record(IoKinds.WORKER_KILL, IoKinds.workerSource(handle), IoKinds.encodeKill(handle, reason, detail));
            inner.kill(handle, reason, detail);
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return inner.poll(new Listener() {
                @Override
                public void onConnected(final WorkerHandle handle, final WorkerChannel channel) {
                    record(IoKinds.WORKER_CONNECTED, IoKinds.workerSource(handle), IoKinds.encodeHandle(handle));
                    listener.onConnected(handle, new RecordingChannel(channel, IoKinds.workerSource(handle)));
                }

                @Override
                public void onExited(final WorkerHandle handle, final int exitStatus) {
                    final WireWriter out = new WireWriter();
                    out.bytes(IoKinds.encodeHandle(handle)).i32(exitStatus);
                    record(IoKinds.WORKER_EXITED, IoKinds.workerSource(handle), out.toByteArray());
                    listener.onExited(handle, exitStatus);
                }
            }, limit);
        }
    }

    /**
     * A worker channel whose frames are journaled: {@code worker-send}/{@code worker-frame}, or
     * {@code worker-send-descriptor}/{@code worker-frame-descriptor} for a frame that carried a descriptor (the
     * journal records that there was one, never its number). To know whether a frame came with one, this wrapper
     * takes it from the inner channel and hands it on through {@link #takeDescriptor()}.
     */
    private final class RecordingChannel extends ForwardingWorkerChannel {
        private final String source;
        private boolean closedRecorded;
        private final DescriptorHandoff<PassedDescriptor> handoff = new DescriptorHandoff<>();

        RecordingChannel(final WorkerChannel inner, final String source) {
            super(inner);
            this.source = source;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            final SendResult result = inner.send(buffer, offset, length);
            recordSend(IoKinds.WORKER_SEND, result, buffer, offset, length);
            return result;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
            final PassedDescriptor descriptor) {
            final SendResult result = inner.send(buffer, offset, length, descriptor);
            recordSend(IoKinds.WORKER_SEND_DESCRIPTOR, result, buffer, offset, length);
            return result;
        }

        private void recordSend(final int kind, final SendResult result, final DirectBuffer buffer, final int offset,
            final int length) {
            final WireWriter out = new WireWriter().u8(result.ordinal());
            out.bytes(bytes(buffer, offset, length));
            record(kind, source, out.toByteArray());
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            return inner.poll((buffer, offset, length) -> {
                final PassedDescriptor descriptor = inner.takeDescriptor();
                record(descriptor == null ? IoKinds.WORKER_FRAME : IoKinds.WORKER_FRAME_DESCRIPTOR, source,
                    bytes(buffer, offset, length));
                handoff.deliver(handler, buffer, offset, length, descriptor);
            }, limit);
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            return handoff.take();
        }

        @Override
        public boolean isClosed() {
            final boolean closed = inner.isClosed();
            if (closed && !closedRecorded) {
                closedRecorded = true; // only the first "closed" is news; it stays closed
                record(IoKinds.WORKER_CHANNEL_CLOSED, source, new byte[0]);
            }
            return closed;
        }

        @Override
        public void close() {
            record(IoKinds.WORKER_CHANNEL_CLOSE, source, new byte[0]);
            inner.close();
        }
    }

    private final class RecordingControl implements ControlServer {
        private final ControlServer inner;

        RecordingControl(final ControlServer inner) {
            this.inner = inner;
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return inner.poll(new Listener() {
                @Override
                public void onConnected(final long connectionId) {
                    record(IoKinds.CLIENT_CONNECTED, IoKinds.clientSource(connectionId), new byte[0]);
                    listener.onConnected(connectionId);
                }

                @Override
                public void onFrame(final long connectionId, final byte[] payload) {
                    record(IoKinds.CLIENT_FRAME, IoKinds.clientSource(connectionId), payload.clone());
                    listener.onFrame(connectionId, payload);
                }

                @Override
                public void onDisconnected(final long connectionId, final String reason) {
                    record(IoKinds.CLIENT_DISCONNECTED, IoKinds.clientSource(connectionId),
                        new WireWriter().string(reason.length() > 1000 ? reason.substring(0, 1000) : reason)
                            .toByteArray());
                    listener.onDisconnected(connectionId, reason);
                }
            }, limit);
        }

        @Override
        public boolean send(final long connectionId, final byte[] payload) {
            final boolean sent = inner.send(connectionId, payload);
            record(IoKinds.CLIENT_SEND, IoKinds.clientSource(connectionId), IoKinds.encodeClientSend(sent, payload));
            return sent;
        }

        @Override
        public void disconnect(final long connectionId) {
            record(IoKinds.CLIENT_DISCONNECT, IoKinds.clientSource(connectionId), new byte[0]);
            inner.disconnect(connectionId);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private final class RecordingLinks implements LinkMonitor {
        private final LinkMonitor inner;

        RecordingLinks(final LinkMonitor inner) {
            this.inner = inner;
        }

        @Override
        public List<LinkState> links() {
            final List<LinkState> links = inner.links();
            final WireWriter out = new WireWriter().i32(links.size());
            for (final LinkState link : links) {
                out.string(link.name()).i32(link.ifIndex()).bool(link.up());
            }
            record(IoKinds.LINKS, "links", out.toByteArray());
            return links;
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return inner.poll(event -> {
                record(IoKinds.LINK_EVENT, "links", new WireWriter().u8(event.kind().ordinal()).string(event.name())
                    .i32(event.ifIndex()).toByteArray());
                listener.onLinkEvent(event);
            }, limit);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private final class RecordingLogLevels implements LogLevels {
        private final LogLevels inner;

        RecordingLogLevels(final LogLevels inner) {
            this.inner = inner;
        }

        @Override
        public SortedMap<String, String> levels() {
            final SortedMap<String, String> levels = inner.levels();
            final WireWriter out = new WireWriter().i32(levels.size());
            levels.forEach((facility, level) -> out.string(facility).string(level));
            record(IoKinds.LOG_LEVELS, "log-levels", out.toByteArray());
            return levels;
        }

        @Override
        public String set(final String facility, final String level) {
            final String problem = inner.set(facility, level);
            record(IoKinds.LOG_LEVEL_SET, "log-levels", new WireWriter().string(facility == null ? "" : facility)
                .string(level == null ? "" : level).string(problem == null ? "" : problem).toByteArray());
            return problem;
        }
    }

    private final class RecordingInputSockets implements InputSockets {
        private final InputSockets inner;

        RecordingInputSockets(final InputSockets inner) {
            this.inner = inner;
        }

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            final WireWriter out = new WireWriter().i32(interfaceNames.size());
            interfaceNames.forEach(out::string);
            record(IoKinds.INPUT_SOCKETS, "sockets", out.toByteArray());
            inner.setWanted(interfaceNames);
        }

        @Override
        public void reopen(final String interfaceName) {
            record(IoKinds.INPUT_SOCKETS_REOPEN, "sockets", new WireWriter().string(interfaceName).toByteArray());
            inner.reopen(interfaceName);
        }

        @Override
        public void setFilter(final String interfaceName,
                              final java.util.SortedSet<InputSockets.Destination> destinations) {
            record(IoKinds.INPUT_FILTER, "sockets", IoKinds.encodeFilter(interfaceName, destinations));
            inner.setFilter(interfaceName, destinations);
        }

        @Override
        public void closeReleased(final String interfaceName, final long generation) {
            record(IoKinds.INPUT_CLOSE, "sockets", new WireWriter().string(interfaceName).i64(generation)
                .toByteArray());
            inner.closeReleased(interfaceName, generation);
        }

        @Override
        public long generation(final String interfaceName) {
            final long generation = inner.generation(interfaceName);
            record(IoKinds.INPUT_GENERATION, "sockets", new WireWriter().string(interfaceName).i64(generation)
                .toByteArray());
            return generation;
        }

        @Override
        public PassedDescriptor member(final String interfaceName, final int workerIndex) {
            final PassedDescriptor member = inner.member(interfaceName, workerIndex);
            record(IoKinds.INPUT_MEMBER, "sockets", new WireWriter().string(interfaceName).i32(workerIndex)
                .bool(member != null).toByteArray());
            return member;
        }
    }

    private final class RecordingMemberships implements GroupMemberships {
        private final GroupMemberships inner;

        RecordingMemberships(final GroupMemberships inner) {
            this.inner = inner;
        }

        @Override
        public Limits limits() {
            final Limits limits = inner.limits();
            record(IoKinds.MEMBERSHIP_LIMITS, "memberships", new WireWriter().i32(limits.groupsPerSocket())
                .i32(limits.sourcesPerGroup()).toByteArray());
            return limits;
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            final String refusal = inner.join(interfaceName, socket, membership);
            record(IoKinds.MEMBERSHIP_JOIN, "memberships", IoKinds.membership(interfaceName, socket, membership)
                .string(refusal == null ? "" : refusal).toByteArray());
            return refusal;
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            record(IoKinds.MEMBERSHIP_LEAVE, "memberships", IoKinds.membership(interfaceName, socket, membership)
                .toByteArray());
            inner.leave(interfaceName, socket, membership);
        }

        @Override
        public void forget(final String interfaceName) {
            record(IoKinds.MEMBERSHIP_FORGET, "memberships", new WireWriter().string(interfaceName).toByteArray());
            inner.forget(interfaceName);
        }
    }

    /**
     * The supervisor's own journal (commits, snapshots) is the same journal: its appends are outputs in their own
     * right and sit in the sequence where they happened. Reads (recovery) pass through.
     */
    private final class RecordingStateJournal extends ForwardingJournal {
        RecordingStateJournal(final Journal inner) {
            super(inner);
        }

        @Override
        public long append(final Entry entry) {
            ensureCycle();
            return inner.append(entry);
        }
    }
}
