package io.mcrelay.sim.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.GapEntry;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.record.IoKinds;
import io.mcrelay.record.JournalFormat;
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
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * {@code journal replay}: drives a fresh supervisor core from a journal's recorded inputs alone (as written by
 * {@link io.mcrelay.record.IoRecorder}) and checks that it asks the same things of its seams, in the same order, as
 * the recorded supervisor did. Each supervisor life (a {@code start} entry) is replayed in turn, its recovery served
 * from the entries before it. The first difference ends the replay: its entry index, what was recorded and what the
 * replayed core did. Single-threaded; deterministic.
 */
public final class JournalReplay implements ReplayInputSeams.Cursor {
    /** Where the replay differs from the recording. */
    public record Divergence(long index, String expected, String actual) {
        @Override
        public String toString() {
            return "entry " + index + ": expected " + expected + ", but the replayed supervisor " + actual;
        }
    }

    /**
     * What a replay found: the lives and cycles replayed, the gaps that ended the comparison of a life (one line each:
     * the journal could not take what the supervisor consumed and produced there, so what follows in that life cannot
     * be compared), and the first divergence or {@code null}; or, when the journal was not replayed at all, why
     * ({@code refusal}, else {@code null}).
     */
    public record Result(int lives, int cycles, long entries, List<String> gaps, Divergence divergence,
                         String refusal) {
        public Result {
            gaps = List.copyOf(gaps);
        }

        public boolean identical() {
            return divergence == null && refusal == null;
        }
    }

    /** The replay reached a gap entry: the rest of this life is not compared. */
    private static final class GapReached extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Journal.IndexedEntry gap;

        GapReached(final Journal.IndexedEntry gap) {
            super("gap", null, false, false);
            this.gap = gap;
        }
    }

    private static final class Diverged extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Divergence divergence;

        Diverged(final Divergence divergence) {
            super(divergence.toString(), null, false, false);
            this.divergence = divergence;
        }
    }

    private final List<Journal.IndexedEntry> entries;
    private int cursor;
    private int lifeStart;

    private JournalReplay(final List<Journal.IndexedEntry> entries) {
        this.entries = entries;
    }

    /**
     * Replays every supervisor life recorded in {@code journal}. A journal holding an entry of another schema version
     * than this code writes is refused, naming both versions: its recorded inputs and outputs are in that version's
     * encodings, and its core was that version's, so a replay by this one proves nothing either way.
     */
    public static Result replay(final Journal journal) {
        final List<Journal.IndexedEntry> all = new ArrayList<>();
        try (Journal.Reader reader = journal.reader(journal.firstIndex())) {
            Journal.IndexedEntry entry;
            while ((entry = reader.next()) != null) {
                if (entry.schemaVersion() != JournalSchema.VERSION) {
                    return new Result(0, 0, all.size() + 1, List.of(), null, "entry " + entry.index() + " was written in journal "
                        + "schema version " + entry.schemaVersion() + " (by " + (entry.schemaVersion()
                        < JournalSchema.VERSION ? "an older" : "a newer") + " mcrelay); this mcrelay writes and "
                        + "replays schema version " + JournalSchema.VERSION + " only: replay the journal with the "
                        + "mcrelay that wrote it");
                }
                all.add(entry);
            }
        }
        return new JournalReplay(all).run();
    }

    private Result run() {
        int lives = 0;
        int cycles = 0;
        final List<String> gaps = new ArrayList<>();
        try {
            while (cursor < entries.size()) {
                final Journal.IndexedEntry start = entries.get(cursor);
                if (start.entry().kind() != IoKinds.START) {
                    // State entries written before any recorded start (a journal that began without recording).
                    cursor++;
                    continue;
                }
                lives++;
                lifeStart = cursor;
                cursor++;
                final Supervisor supervisor = new Supervisor(IoKinds.decodeConfig(start.entry().payload()),
                    new Supervisor.Seams(new ReplayTimers(), new ReplayLauncher(), new ReplayControl(),
                        new ReplayLinks(), new ReplayLogLevels(), new ReplayInputSeams.Sockets(this),
                        new ReplayInputSeams.Memberships(this), new ReplayJournal(),
                        new ZeroClock()));
                try {
                    supervisor.start(start.entry().timeNs());
                    while (cursor < entries.size() && entries.get(cursor).entry().kind() != IoKinds.START) {
                        final Journal.IndexedEntry cycle = entries.get(cursor);
                        if (cycle.entry().kind() == EntryKinds.GAP) {
                            throw new GapReached(cycle);
                        }
                        if (cycle.entry().kind() != IoKinds.CYCLE) {
                            throw diverged(cycle, "a cycle to begin", "had nothing more to do");
                        }
                        cursor++;
                        cycles++;
                        supervisor.doWork(WireReader.of(cycle.entry().payload()).i64("cycle time"));
                        final int next = cursor < entries.size() ? entries.get(cursor).entry().kind() : IoKinds.START;
                        if (next != IoKinds.CYCLE && next != IoKinds.START && next != EntryKinds.GAP) {
                            throw diverged(entries.get(cursor), describe(entries.get(cursor)),
                                "finished its cycle without doing it");
                        }
                    }
                } catch (final GapReached gap) {
                    gaps.add("entry " + gap.gap.index() + " (life " + lives + "): "
                        + GapEntry.decode(gap.gap.schemaVersion(), gap.gap.entry().payload()).describe()
                        + "; the rest of this life is not compared");
                    while (cursor < entries.size() && entries.get(cursor).entry().kind() != IoKinds.START) {
                        cursor++;
                    }
                }
            }
        } catch (final Diverged e) {
            return new Result(lives, cycles, entries.size(), gaps, e.divergence, null);
        } catch (final CodecException | IllegalStateException | IllegalArgumentException e) {
            final long index = cursor < entries.size() ? entries.get(cursor).index() : entries.size();
            return new Result(lives, cycles, entries.size(), gaps, new Divergence(index, "a replayable entry",
                "could not go on: " + e.getMessage()), null);
        }
        return new Result(lives, cycles, entries.size(), gaps, null, null);
    }

    // ---- the cursor ------------------------------------------------------------------------------------------

    @Override
    public String describe(final Journal.IndexedEntry entry) {
        final String name = IoKinds.name(entry.entry().kind());
        return (name != null ? name : JournalFormat.kindName(entry.entry().kind())) + " from " + entry.entry().source()
            + " (" + entry.entry().payload().length + " bytes)";
    }

    @Override
    public Diverged diverged(final Journal.IndexedEntry entry, final String expected, final String actual) {
        return new Diverged(new Divergence(entry.index(), expected, actual));
    }

    private Journal.IndexedEntry peek() {
        return cursor < entries.size() ? entries.get(cursor) : null;
    }

    private boolean nextIs(final int kind, final String source) {
        final Journal.IndexedEntry next = peek();
        return next != null && next.entry().kind() == kind && (source == null || next.entry().source().equals(source));
    }

    /** The next entry, which must be of {@code kind} (and from {@code source} when given). */
    @Override
    public Journal.IndexedEntry take(final int kind, final String source, final String doing) {
        final Journal.IndexedEntry next = peek();
        if (next == null) {
            throw new Diverged(new Divergence(entries.size(), "the end of the journal", doing));
        }
        if (next.entry().kind() == EntryKinds.GAP) {
            throw new GapReached(next); // what the supervisor did here was not journaled
        }
        if (next.entry().kind() != kind || (source != null && !next.entry().source().equals(source))) {
            throw diverged(next, describe(next), doing);
        }
        cursor++;
        return next;
    }

    /** An output: the next entry must be exactly this. */
    @Override
    public Journal.IndexedEntry expect(final int kind, final String source, final byte[] payload,
                                       final String doing) {
        final Journal.IndexedEntry next = take(kind, source, doing);
        if (payload != null && !Arrays.equals(next.entry().payload(), payload)) {
            throw diverged(next, describe(next), doing + " with other bytes");
        }
        return next;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length) {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return copy;
    }

    // ---- replay seams ----------------------------------------------------------------------------------------

    private static final class ZeroClock implements Clock {
        @Override
        public long nanoTime() {
            return 0; // the core's time comes from doWork(nowNs); this clock only stamps journal appends
        }

        @Override
        public long epochMillis() {
            return 0;
        }
    }

    private final class ReplayTimers implements Timers {
        @Override
        public long schedule(final long deadlineNs) {
            final WireReader in = WireReader.of(take(IoKinds.TIMER_SCHEDULED, null,
                "scheduled a timer for " + deadlineNs).entry().payload());
            final long recordedDeadline = in.i64("deadline");
            if (recordedDeadline != deadlineNs) {
                throw diverged(entries.get(cursor - 1), "a timer for " + recordedDeadline,
                    "scheduled one for " + deadlineNs);
            }
            return in.i64("timer id");
        }

        @Override
        public boolean cancel(final long timerId) {
            final WireReader in = WireReader.of(take(IoKinds.TIMER_CANCELLED, null, "cancelled timer " + timerId)
                .entry().payload());
            final long recorded = in.i64("timer id");
            if (recorded != timerId) {
                throw diverged(entries.get(cursor - 1), "a cancel of timer " + recorded, "cancelled timer " + timerId);
            }
            return in.bool("cancelled");
        }

        @Override
        public int poll(final long nowNs, final Handler handler, final int limit) {
            int fired = 0;
            while (fired < limit && nextIs(IoKinds.TIMER_FIRED, null)) {
                final WireReader in = WireReader.of(take(IoKinds.TIMER_FIRED, null, "polled timers").entry()
                    .payload());
                fired++;
                handler.onTimer(in.i64("timer id"), in.i64("fired at"));
            }
            return fired;
        }

        @Override
        public int pending() {
            return 0;
        }

        @Override
        public long resolutionNs() {
            return 0;
        }
    }

    private final class ReplayLauncher implements WorkerLauncher {
        @Override
        public WorkerHandle launch(final int workerIndex) {
            final WorkerHandle handle = IoKinds.decodeHandle(WireReader.of(take(IoKinds.WORKER_LAUNCHED, null,
                "launched worker " + workerIndex).entry().payload()));
            if (handle.workerIndex() != workerIndex) {
                throw diverged(entries.get(cursor - 1), "a launch of worker " + handle.workerIndex(),
                    "launched worker " + workerIndex);
            }
            return handle;
        }

        @Override
        public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
            expect(IoKinds.WORKER_KILL, source(handle), IoKinds.encodeKill(handle, reason, detail),
                "killed " + source(handle) + " (" + reason.word() + ": " + detail + ")");
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            int delivered = 0;
            while (delivered < limit && (nextIs(IoKinds.WORKER_CONNECTED, null)
                || nextIs(IoKinds.WORKER_EXITED, null))) {
                final Journal.IndexedEntry event = entries.get(cursor++);
                final WireReader in = WireReader.of(event.entry().payload());
                final WorkerHandle handle = IoKinds.decodeHandle(in);
                delivered++;
                if (event.entry().kind() == IoKinds.WORKER_CONNECTED) {
                    listener.onConnected(handle, new ReplayChannel(source(handle)));
                } else {
                    listener.onExited(handle, in.i32("exit status"));
                }
            }
            return delivered;
        }

        private static String source(final WorkerHandle handle) {
            return "worker:" + handle.workerIndex() + ":" + handle.launchId();
        }
    }

    /**
     * A worker channel fed from the journal. A frame recorded with a descriptor is sent only with one (and a plain
     * frame only without), and arrives with a stand-in handle: the journal never held the descriptor itself.
     */
    private final class ReplayChannel implements WorkerChannel {
        private final String source;
        private final UnsafeBuffer lent = new UnsafeBuffer(new byte[0]);
        private boolean closed;
        private final DescriptorHandoff<PassedDescriptor> handoff = new DescriptorHandoff<>();

        ReplayChannel(final String source) {
            this.source = source;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            return compare(IoKinds.WORKER_SEND, "sent a frame to " + source, buffer, offset, length);
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
            final PassedDescriptor descriptor) {
            return compare(IoKinds.WORKER_SEND_DESCRIPTOR, "sent a frame with a descriptor to " + source, buffer,
                offset, length);
        }

        private SendResult compare(final int kind, final String doing, final DirectBuffer buffer, final int offset,
            final int length) {
            final Journal.IndexedEntry sent = take(kind, source, doing);
            final byte[] recorded = sent.entry().payload();
            final byte[] frame = bytes(buffer, offset, length);
            if (!Arrays.equals(Arrays.copyOfRange(recorded, 1, recorded.length), frame)) {
                throw diverged(sent, describe(sent), "sent another frame to " + source + " (" + length + " bytes)");
            }
            return SendResult.values()[recorded[0]];
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            int delivered = 0;
            while (delivered < limit && (nextIs(IoKinds.WORKER_FRAME, source)
                || nextIs(IoKinds.WORKER_FRAME_DESCRIPTOR, source))) {
                final Journal.IndexedEntry entry = entries.get(cursor++);
                final byte[] frame = entry.entry().payload();
                lent.wrap(frame);
                delivered++;
                handoff.deliver(handler, lent, 0, frame.length,
                    entry.entry().kind() == IoKinds.WORKER_FRAME_DESCRIPTOR
                        ? SharedDescriptor.of("descriptor of journal entry " + entry.index()) : null);
            }
            return delivered;
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            return handoff.take();
        }

        @Override
        public boolean isClosed() {
            if (!closed && nextIs(IoKinds.WORKER_CHANNEL_CLOSED, source)) {
                cursor++;
                closed = true;
            }
            return closed;
        }

        @Override
        public int frameBytesMax() {
            return io.mcrelay.protocol.Frames.WORKER_BYTES_MAX;
        }

        @Override
        public void close() {
            expect(IoKinds.WORKER_CHANNEL_CLOSE, source, null, "closed " + source);
        }
    }

    private final class ReplayControl implements ControlServer {
        @Override
        public int poll(final Listener listener, final int limit) {
            int delivered = 0;
            while (delivered < limit && (nextIs(IoKinds.CLIENT_CONNECTED, null) || nextIs(IoKinds.CLIENT_FRAME, null)
                || nextIs(IoKinds.CLIENT_DISCONNECTED, null))) {
                final Journal.IndexedEntry event = entries.get(cursor++);
                final long connection = Long.parseLong(event.entry().source().substring("client:".length()));
                delivered++;
                switch (event.entry().kind()) {
                    case IoKinds.CLIENT_CONNECTED -> listener.onConnected(connection);
                    case IoKinds.CLIENT_FRAME -> listener.onFrame(connection, event.entry().payload().clone());
                    default -> listener.onDisconnected(connection,
                        WireReader.of(event.entry().payload()).string("reason"));
                }
            }
            return delivered;
        }

        @Override
        public boolean send(final long connectionId, final byte[] payload) {
            final Journal.IndexedEntry sent = take(IoKinds.CLIENT_SEND, "client:" + connectionId,
                "answered client " + connectionId);
            final IoKinds.ClientSend recorded = IoKinds.decodeClientSend(sent.entry().payload());
            if (!recorded.matches(payload)) {
                throw diverged(sent, recorded.describe(), "answered " + IoKinds.describeAnswer(payload));
            }
            return recorded.sent();
        }

        @Override
        public void disconnect(final long connectionId) {
            expect(IoKinds.CLIENT_DISCONNECT, "client:" + connectionId, null, "disconnected client " + connectionId);
        }

        @Override
        public void close() {
        }
    }

    private final class ReplayLinks implements LinkMonitor {
        @Override
        public List<LinkState> links() {
            final WireReader in = WireReader.of(take(IoKinds.LINKS, null, "read the links").entry().payload());
            final int count = in.i32("links");
            final List<LinkState> links = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                links.add(new LinkState(in.string("name"), in.i32("index"), in.bool("up")));
            }
            return links;
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            int delivered = 0;
            while (delivered < limit && nextIs(IoKinds.LINK_EVENT, null)) {
                final WireReader in = WireReader.of(take(IoKinds.LINK_EVENT, null, "polled links").entry()
                    .payload());
                delivered++;
                listener.onLinkEvent(new LinkEvent(LinkEvent.Kind.values()[in.u8("kind")], in.string("name"),
                    in.i32("index")));
            }
            return delivered;
        }

        @Override
        public void close() {
        }
    }

    private final class ReplayLogLevels implements LogLevels {
        @Override
        public SortedMap<String, String> levels() {
            final WireReader in = WireReader.of(take(IoKinds.LOG_LEVELS, null, "read log levels").entry().payload());
            final int count = in.i32("levels");
            final TreeMap<String, String> levels = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                levels.put(in.string("facility"), in.string("level"));
            }
            return levels;
        }

        @Override
        public String set(final String facility, final String level) {
            final WireReader in = WireReader.of(take(IoKinds.LOG_LEVEL_SET, null, "set a log level").entry()
                .payload());
            in.string("facility");
            in.string("level");
            final String problem = in.string("problem");
            return problem.isEmpty() ? null : problem;
        }
    }

    /** Recovery reads what came before this life's start; appends are outputs compared with the recording. */
    private final class ReplayJournal implements Journal {
        @Override
        public long append(final Entry entry) {
            return expect(entry.kind(), entry.source(), entry.payload(), "journaled "
                + JournalFormat.kindName(entry.kind())).index();
        }

        @Override
        public long firstIndex() {
            return entries.isEmpty() ? 0 : entries.getFirst().index();
        }

        @Override
        public long nextIndex() {
            return entries.isEmpty() ? 0 : entries.get(lifeStart).index();
        }

        @Override
        public Reader reader(final long fromIndex) {
            return new Reader() {
                private int position = 0;

                @Override
                public IndexedEntry next() {
                    while (position < lifeStart && entries.get(position).index() < fromIndex) {
                        position++;
                    }
                    return position < lifeStart ? entries.get(position++) : null;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public long lastIndexOf(final int kind) {
            for (int i = lifeStart - 1; i >= 0; i--) {
                if (entries.get(i).entry().kind() == kind) {
                    return entries.get(i).index();
                }
            }
            return -1;
        }

        @Override
        public void close() {
        }
    }
}
