package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/** Small hand-written fakes of the seams, and rule builders, for the unit tests of the supervisor's roles. */
final class TestKit {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;

    private TestKit() {
    }

    /** A rule receiving on {@code input} (on a port of its own, drawn from its id) and sending out of {@code output}. */
    static Rule rule(final String id, final String input, final String output) {
        final int port = 1024 + Math.floorMod(id.hashCode(), 60_000);
        return new Rule(new RuleId(id), null, new RuleInput(input, IpAddress.parse("239.1.1.1"), port, null),
            List.of(new RuleOutput(IpAddress.parse("239.10.0.1"), 5000, output, RuleOutput.TTL_UNSET)));
    }

    static DirectBuffer frame(final WorkerMessage message) {
        return new UnsafeBuffer(WorkerMessageCodec.toBytes(message));
    }

    /**
     * A worker channel that decodes and keeps what is sent, answering {@link #result}; it counts the frames sent with a
     * descriptor and keeps none (the caller keeps its own). It delivers no frames, so it has no descriptor to hand out.
     */
    static final class FakeChannel implements WorkerChannel {
        final List<WorkerMessage> sent = new ArrayList<>();
        SendResult result = SendResult.SENT;
        boolean closed;
        int descriptorsSent;

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
            final PassedDescriptor descriptor) {
            final SendResult sendResult = send(buffer, offset, length);
            if (sendResult == SendResult.SENT) {
                descriptorsSent++;
            }
            return sendResult;
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            throw new IllegalStateException("takeDescriptor outside a frame handler (this fake delivers no frames)");
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            if (closed) {
                return SendResult.CLOSED;
            }
            if (result == SendResult.SENT) {
                sent.add(WorkerMessageCodec.decode(buffer, offset, length));
            }
            return result;
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            return 0;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public int frameBytesMax() {
            return 1 << 20;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A launcher that only records: launches get ids 1, 2, 3...; events are delivered by the test. */
    static final class FakeLauncher implements WorkerLauncher {
        final List<WorkerHandle> launched = new ArrayList<>();
        final List<WorkerHandle> killed = new ArrayList<>();

        @Override
        public WorkerHandle launch(final int workerIndex) {
            final WorkerHandle handle = new WorkerHandle(workerIndex, launched.size() + 1, 1000 + launched.size());
            launched.add(handle);
            return handle;
        }

        @Override
        public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
            killed.add(handle);
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return 0;
        }

        WorkerHandle last() {
            return launched.getLast();
        }
    }

    /** A control server that decodes and keeps the responses sent to each connection. */
    static final class FakeControlServer implements ControlServer {
        final Map<Long, List<ControlResponse>> sent = new HashMap<>();
        final List<Long> disconnected = new ArrayList<>();

        @Override
        public int poll(final Listener listener, final int limit) {
            return 0;
        }

        @Override
        public boolean send(final long connectionId, final byte[] payload) {
            sent.computeIfAbsent(connectionId, id -> new ArrayList<>()).add(ControlCodec.decodeResponse(payload));
            return true;
        }

        @Override
        public void disconnect(final long connectionId) {
            disconnected.add(connectionId);
        }

        @Override
        public void close() {
        }

        List<ControlResponse> to(final long connectionId) {
            return sent.getOrDefault(connectionId, List.of());
        }
    }

    /** Worker-health actions that do nothing: for tests of the roles that only need the slots. */
    static final class QuietActions implements WorkerHealth.Actions {
        @Override
        public void sendSync(final WorkerSlot slot) {
        }

        @Override
        public long scheduleRespawn(final long deadlineNs, final int workerIndex) {
            return 0;
        }

        @Override
        public void retired(final int workerIndex, final io.mcrelay.protocol.WorkerCounters counters) {
        }

        @Override
        public void traced(final WorkerSlot slot, final List<WorkerMessage.TraceEvent> events) {
        }

        @Override
        public void workersChanged() {
        }
    }

    /** Input sockets that record each call as text. */
    static final class RecordingInputSockets implements InputSockets {
        final List<String> calls = new ArrayList<>();

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            calls.add("wanted " + new TreeSet<>(interfaceNames));
        }

        @Override
        public void reopen(final String interfaceName) {
            calls.add("reopen " + interfaceName);
        }
    }

    /** A journal in a list. */
    static final class MemoryJournal implements Journal {
        final List<Entry> entries = new ArrayList<>();
        /** While set, every entry is refused and nothing of it written, as by a full disk. */
        boolean full;

        @Override
        public long append(final Entry entry) {
            if (full) {
                throw new UnwritableException(new Health(State.FULL, "no space (test)"));
            }
            entries.add(entry);
            return entries.size() - 1;
        }

        @Override
        public long firstIndex() {
            return 0;
        }

        @Override
        public long nextIndex() {
            return entries.size();
        }

        @Override
        public Reader reader(final long fromIndex) {
            return new Reader() {
                private long next = Math.max(0, fromIndex);

                @Override
                public IndexedEntry next() {
                    if (next >= entries.size()) {
                        return null;
                    }
                    final long index = next++;
                    return new IndexedEntry(index, entries.get((int) index), JournalSchema.VERSION);
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public long lastIndexOf(final int kind) {
            for (int i = entries.size() - 1; i >= 0; i--) {
                if (entries.get(i).kind() == kind) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void close() {
        }

        List<Integer> kinds() {
            return entries.stream().map(Entry::kind).toList();
        }
    }
}
