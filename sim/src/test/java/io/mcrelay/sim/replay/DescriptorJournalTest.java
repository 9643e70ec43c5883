package io.mcrelay.sim.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.record.IoKinds;
import io.mcrelay.record.IoRecorder;
import io.mcrelay.record.JournalFormat;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.SharedDescriptor;
import io.mcrelay.sim.Simulator;
import io.mcrelay.sim.seams.InMemoryJournal;
import io.mcrelay.sim.seams.ManualClock;
import io.mcrelay.sim.seams.SimWorkerChannel;

/**
 * The journal knows which worker-channel frames carried a descriptor, never the descriptor: the recorder writes
 * {@code worker-send-descriptor} and {@code worker-frame-descriptor} for them (plain frames keep their kinds and
 * bytes) and hands a received descriptor on to the owner; replay delivers such a frame with a stand-in handle, and a
 * send with or without a descriptor where the recording says otherwise is a divergence.
 */
class DescriptorJournalTest {
    /** A seam this test never calls. */
    private static <T> T unused(final Class<T> seam) {
        return seam.cast(Proxy.newProxyInstance(seam.getClassLoader(), new Class<?>[] {seam}, (proxy, method, args) -> {
            throw new AssertionError(seam.getSimpleName() + "." + method.getName() + " was not expected");
        }));
    }

    /** A launcher whose one worker is connected on {@code channel} at the first poll. */
    private static WorkerLauncher connecting(final WorkerChannel channel) {
        return new WorkerLauncher() {
            private boolean connected;

            @Override
            public WorkerHandle launch(final int workerIndex) {
                throw new AssertionError("no launch expected");
            }

            @Override
            public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
                throw new AssertionError("no kill expected");
            }

            @Override
            public int poll(final Listener listener, final int limit) {
                if (connected) {
                    return 0;
                }
                connected = true;
                listener.onConnected(new WorkerHandle(0, 1, 100), channel);
                return 1;
            }
        };
    }

    private static List<Journal.IndexedEntry> entries(final Journal journal) {
        final List<Journal.IndexedEntry> entries = new ArrayList<>();
        try (Journal.Reader reader = journal.reader(journal.firstIndex())) {
            Journal.IndexedEntry entry;
            while ((entry = reader.next()) != null) {
                entries.add(entry);
            }
        }
        return entries;
    }

    @Test
    void theRecorderNotesEachFrameThatCarriedADescriptorAndHandsTheDescriptorOn() {
        final InMemoryJournal journal = new InMemoryJournal();
        final IoRecorder recorder = new IoRecorder(journal, new ManualClock(0, 0));
        final SimWorkerChannel[] ends = SimWorkerChannel.pair(1 << 16, 1 << 16);
        final Supervisor.Seams seams = recorder.wrap(new Supervisor.Seams(unused(Timers.class),
            connecting(ends[0]), unused(ControlServer.class), unused(LinkMonitor.class), unused(LogLevels.class),
            unused(InputSockets.class), unused(GroupMemberships.class), journal, new ManualClock(0, 0)));
        final WorkerChannel[] recorded = new WorkerChannel[1];
        seams.launcher().poll(new WorkerLauncher.Listener() {
            @Override
            public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
                recorded[0] = channel;
            }

            @Override
            public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
            }
        }, 1);
        final WorkerChannel channel = recorded[0];
        final SharedDescriptor mine = SharedDescriptor.of("socket");
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(new UnsafeBuffer(new byte[] {1}), 0, 1, mine));
        assertEquals(WorkerChannel.SendResult.SENT, channel.send(new UnsafeBuffer(new byte[] {2}), 0, 1));
        ends[1].send(new UnsafeBuffer(new byte[] {3}), 0, 1, mine);
        ends[1].send(new UnsafeBuffer(new byte[] {4}), 0, 1);
        ends[1].send(new UnsafeBuffer(new byte[] {5}), 0, 1, mine);
        final List<PassedDescriptor> taken = new ArrayList<>();
        channel.poll((buffer, offset, length) -> {
            if (buffer.getByte(offset) != 5) { // frame 5's descriptor is left for the channel to close
                taken.add(channel.takeDescriptor());
            }
        }, 10);
        assertEquals(2, taken.size());
        assertSame(mine.referent(), ((SharedDescriptor) taken.get(0)).referent(), "handed on to the owner");
        assertNull(taken.get(1));
        taken.get(0).close();
        ends[0].close();
        ends[1].close();
        assertEquals(1, mine.openHandles(), "only the sender's own handle is left: the channels closed theirs");

        final List<Journal.IndexedEntry> entries = entries(journal);
        final int[] kinds = entries.stream().mapToInt(e -> e.entry().kind()).toArray();
        assertEquals(Arrays.toString(new int[] {IoKinds.WORKER_CONNECTED, IoKinds.WORKER_SEND_DESCRIPTOR,
            IoKinds.WORKER_SEND, IoKinds.WORKER_FRAME_DESCRIPTOR, IoKinds.WORKER_FRAME,
            IoKinds.WORKER_FRAME_DESCRIPTOR}), Arrays.toString(kinds));
        assertEquals("[0, 1]", Arrays.toString(entries.get(1).entry().payload()), "u8 SENT, then the frame");
        assertEquals("[0, 2]", Arrays.toString(entries.get(2).entry().payload()));
        assertEquals("[3]", Arrays.toString(entries.get(3).entry().payload()));
        assertEquals("worker-send-descriptor", JournalFormat.kindName(IoKinds.WORKER_SEND_DESCRIPTOR));
        assertEquals("worker-frame-descriptor", JournalFormat.kindName(IoKinds.WORKER_FRAME_DESCRIPTOR));
        assertTrue(IoKinds.isOutput(IoKinds.WORKER_SEND_DESCRIPTOR) && !IoKinds.isOutput(
            IoKinds.WORKER_FRAME_DESCRIPTOR));
    }

    private static InMemoryJournal recordedRun(final long seed) {
        final InMemoryJournal journal = new InMemoryJournal();
        final Simulator.Result result = Simulator.run(Simulator.Config.defaults(seed).withJournal(journal),
            line -> { });
        assertTrue(result.passed(), () -> "seed " + seed + " " + result.failures());
        return journal;
    }

    /** The recorded journal with the first entry of kind {@code from} turned into {@code to}; its index, or -1. */
    private static long turnFirst(final List<Journal.IndexedEntry> entries, final int from, final int to,
        final InMemoryJournal into) {
        long changed = -1;
        for (final Journal.IndexedEntry indexed : entries) {
            Journal.Entry entry = indexed.entry();
            if (changed < 0 && entry.kind() == from) {
                changed = indexed.index();
                entry = new Journal.Entry(entry.timeNs(), entry.wallMillis(), to, entry.source(), entry.payload());
            }
            into.append(entry);
        }
        return changed;
    }

    @Test
    void replayDeliversAFrameThatCameWithADescriptorAsThatFrame() {
        final InMemoryJournal altered = new InMemoryJournal();
        final long changed = turnFirst(entries(recordedRun(4)), IoKinds.WORKER_FRAME, IoKinds.WORKER_FRAME_DESCRIPTOR,
            altered);
        assertTrue(changed >= 0, "the run received worker frames");
        // This supervisor takes no descriptor from a frame: the stand-in is closed and its outputs are unchanged.
        final JournalReplay.Result replay = JournalReplay.replay(altered);
        assertTrue(replay.identical(), () -> String.valueOf(replay.divergence()));
    }

    @Test
    void aSendWithoutTheDescriptorTheRecordingHadIsADivergence() {
        final InMemoryJournal altered = new InMemoryJournal();
        final long changed = turnFirst(entries(recordedRun(4)), IoKinds.WORKER_SEND, IoKinds.WORKER_SEND_DESCRIPTOR,
            altered);
        final JournalReplay.Result replay = JournalReplay.replay(altered);
        assertNotNull(replay.divergence());
        assertEquals(changed, replay.divergence().index(), replay.divergence().toString());
        assertTrue(replay.divergence().expected().startsWith("worker-send-descriptor from worker:"),
            replay.divergence().toString());
    }
}
