package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * What every {@link WorkerChannel} guarantees (without faults): whole frames, in order, {@code FULL} without a
 * partial frame, and EOF after the frames sent before a close; a frame's descriptor arrives with that frame only, the
 * sender keeps its own whatever the result, and none leaks (untaken, refused, in flight at a close). Subclasses
 * supply a connected pair, a way to let the channel make progress (nothing for an in-memory pipe, a short wait for
 * a socket), descriptors of their kind, a way to recognise one on arrival and a count of open descriptors.
 */
public abstract class WorkerChannelContract {
    /** Two connected ends. */
    public record Pair(WorkerChannel supervisorEnd, WorkerChannel workerEnd) {
    }

    /** A connected pair whose buffer in each direction holds about {@code capacityBytes}. */
    protected abstract Pair createPair(int capacityBytes);

    /** Lets queued frames move from one end to the other. */
    protected abstract void settle(Pair pair);

    /** A new open descriptor of the kind this channel passes; the test owns and closes it. */
    protected abstract PassedDescriptor newDescriptor();

    /** True if {@code arrived} refers to the same open file as {@code sent} (which may be closed by now). */
    protected abstract boolean sameFile(PassedDescriptor sent, PassedDescriptor arrived);

    /** How many descriptors (handles) are open now: the same before and after a test that leaks none. */
    protected abstract long openDescriptors();

    /** A received frame and the descriptor taken with it, or {@code null}. */
    public record Arrival(byte[] frame, PassedDescriptor descriptor) {
    }

    private static WorkerChannel.SendResult send(final WorkerChannel channel, final byte[] bytes,
        final PassedDescriptor descriptor) {
        return channel.send(new UnsafeBuffer(bytes), 0, bytes.length, descriptor);
    }

    /** Receives what arrives at {@code end}, taking the descriptor of every frame when {@code take}. */
    private List<Arrival> arrivals(final Pair pair, final WorkerChannel end, final boolean take) {
        final List<Arrival> received = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            settle(pair);
            end.poll((buffer, offset, length) -> {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(new Arrival(copy, take ? end.takeDescriptor() : null));
            }, 1000);
        }
        return received;
    }

    private static void closeAll(final List<Arrival> arrivals) {
        for (final Arrival arrival : arrivals) {
            if (arrival.descriptor() != null) {
                arrival.descriptor().close();
            }
        }
    }

    private static WorkerChannel.SendResult send(final WorkerChannel channel, final byte[] bytes) {
        return channel.send(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private List<byte[]> receiveAll(final Pair pair, final WorkerChannel end) {
        final List<byte[]> received = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            settle(pair);
            end.poll((buffer, offset, length) -> {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                received.add(copy);
            }, 1000);
        }
        return received;
    }

    @Test
    void framesArriveWholeAndInOrderBothWays() {
        final Pair pair = createPair(64 * 1024);
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            final byte[] frame = new byte[i * 37];
            java.util.Arrays.fill(frame, (byte) i);
            sent.add(frame);
            assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), frame));
        }
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.workerEnd(), new byte[] {9, 9}));
        final List<byte[]> received = receiveAll(pair, pair.workerEnd());
        assertEquals(sent.size(), received.size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), received.get(i), "frame " + i);
        }
        final List<byte[]> back = receiveAll(pair, pair.supervisorEnd());
        assertEquals(1, back.size());
        assertArrayEquals(new byte[] {9, 9}, back.getFirst());
    }

    @Test
    void aFullBufferRefusesWholeFramesAndLosesNothing() {
        final Pair pair = createPair(4096);
        final byte[] frame = new byte[1000];
        int sent = 0;
        WorkerChannel.SendResult result;
        while ((result = send(pair.supervisorEnd(), frame)) == WorkerChannel.SendResult.SENT && sent < 10_000) {
            sent++;
        }
        assertEquals(WorkerChannel.SendResult.FULL, result, "a bounded channel must fill up");
        assertTrue(sent >= 1);
        assertEquals(sent, receiveAll(pair, pair.workerEnd()).size());
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), frame), "room again after reading");
    }

    @Test
    void theFramesSentBeforeACloseArriveThenEof() {
        final Pair pair = createPair(64 * 1024);
        send(pair.supervisorEnd(), new byte[] {1});
        send(pair.supervisorEnd(), new byte[] {2});
        pair.supervisorEnd().close();
        assertEquals(WorkerChannel.SendResult.CLOSED, send(pair.supervisorEnd(), new byte[] {3}));
        final List<byte[]> received = receiveAll(pair, pair.workerEnd());
        assertEquals(2, received.size());
        assertTrue(pair.workerEnd().isClosed());
        assertEquals(WorkerChannel.SendResult.CLOSED, send(pair.workerEnd(), new byte[] {4}));
        pair.supervisorEnd().close(); // idempotent
    }

    @Test
    void anOpenChannelIsNotClosed() {
        final Pair pair = createPair(4096);
        settle(pair);
        assertFalse(pair.supervisorEnd().isClosed());
        assertFalse(pair.workerEnd().isClosed());
        assertTrue(pair.workerEnd().frameBytesMax() > 0);
        pair.workerEnd().close();
        pair.supervisorEnd().close();
    }

    @Test
    void aFrameWithADescriptorArrivesWithItInItsPlaceAmongPlainFrames() {
        final long before = openDescriptors();
        final Pair pair = createPair(64 * 1024);
        final PassedDescriptor first = newDescriptor();
        final PassedDescriptor second = newDescriptor();
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {1}));
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {2, 2}, first));
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {3}));
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {4, 4, 4}, second));
        assertEquals(WorkerChannel.SendResult.SENT, send(pair.workerEnd(), new byte[] {5}, second));
        assertTrue(first.isOpen() && second.isOpen(), "the sender keeps its own");
        first.close(); // the frame in flight holds its own
        final List<Arrival> received = arrivals(pair, pair.workerEnd(), true);
        assertEquals(4, received.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, received.get(i).frame()[0], "frame " + i + " in order");
        }
        assertNull(received.get(0).descriptor(), "a plain frame carries none");
        assertNull(received.get(2).descriptor(), "a plain frame carries none");
        assertNotNull(received.get(1).descriptor());
        assertNotNull(received.get(3).descriptor());
        assertNotSame(second, received.get(3).descriptor(), "the receiver gets its own handle");
        assertTrue(sameFile(first, received.get(1).descriptor()), "the first descriptor came with frame 2");
        assertTrue(sameFile(second, received.get(3).descriptor()), "the second descriptor came with frame 4");
        assertFalse(sameFile(first, received.get(3).descriptor()));
        final List<Arrival> back = arrivals(pair, pair.supervisorEnd(), true);
        assertEquals(1, back.size());
        assertTrue(sameFile(second, back.getFirst().descriptor()), "descriptors go both ways");
        closeAll(received);
        closeAll(back);
        second.close();
        pair.supervisorEnd().close();
        pair.workerEnd().close();
        assertEquals(before, openDescriptors(), "every handle closed: none left in the channels");
    }

    @Test
    void aDescriptorNotTakenIsClosedByTheChannelAndTakingIsForHandlersOnly() {
        final long before = openDescriptors();
        final Pair pair = createPair(64 * 1024);
        try (PassedDescriptor mine = newDescriptor()) {
            final long withMine = openDescriptors();
            assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {7}, mine));
            assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {8}));
            final List<Arrival> received = arrivals(pair, pair.workerEnd(), false);
            assertEquals(2, received.size());
            assertEquals(withMine, openDescriptors(), "the untaken descriptor was closed when its handler returned");
            assertTrue(mine.isOpen());
            assertThrows(IllegalStateException.class, () -> pair.workerEnd().takeDescriptor(),
                "outside a handler there is no frame to take a descriptor from");
            assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {9}, mine));
            final List<PassedDescriptor> taken = new ArrayList<>();
            for (int round = 0; round < 50 && taken.isEmpty(); round++) {
                settle(pair);
                pair.workerEnd().poll((buffer, offset, length) -> {
                    taken.add(pair.workerEnd().takeDescriptor());
                    assertNull(pair.workerEnd().takeDescriptor(), "a descriptor is taken once");
                }, 10);
            }
            assertEquals(1, taken.size());
            assertTrue(sameFile(mine, taken.getFirst()));
            taken.getFirst().close();
        }
        pair.supervisorEnd().close();
        pair.workerEnd().close();
        assertEquals(before, openDescriptors());
    }

    @Test
    void aFullChannelTakesNeitherTheFrameNorItsDescriptor() {
        final long before = openDescriptors();
        final Pair pair = createPair(4096);
        final byte[] frame = new byte[1000];
        int sent = 0;
        while (send(pair.supervisorEnd(), frame) == WorkerChannel.SendResult.SENT && sent < 10_000) {
            sent++;
        }
        final PassedDescriptor mine = newDescriptor();
        assertEquals(WorkerChannel.SendResult.FULL, send(pair.supervisorEnd(), frame, mine));
        assertTrue(mine.isOpen(), "the caller keeps its descriptor");
        final List<Arrival> received = arrivals(pair, pair.workerEnd(), true);
        assertEquals(sent, received.size(), "the refused frame did not go");
        for (final Arrival arrival : received) {
            assertNull(arrival.descriptor(), "no descriptor went with a refused frame");
        }
        mine.close();
        pair.supervisorEnd().close();
        pair.workerEnd().close();
        assertEquals(before, openDescriptors());
    }

    @Test
    void afterACloseSendsAreClosedAndTheCallerKeepsItsDescriptor() {
        final long before = openDescriptors();
        final Pair pair = createPair(64 * 1024);
        final PassedDescriptor mine = newDescriptor();
        pair.workerEnd().close();
        assertEquals(WorkerChannel.SendResult.CLOSED, send(pair.workerEnd(), new byte[] {1}, mine));
        settle(pair);
        assertTrue(pair.supervisorEnd().isClosed());
        assertEquals(WorkerChannel.SendResult.CLOSED, send(pair.supervisorEnd(), new byte[] {1}, mine));
        assertTrue(mine.isOpen(), "a refused send leaves the caller's descriptor open");
        mine.close();
        pair.supervisorEnd().close();
        assertEquals(before, openDescriptors());
    }

    @Test
    void descriptorsInFlightAreClosedWithTheChannel() {
        final long before = openDescriptors();
        final Pair pair = createPair(64 * 1024);
        try (PassedDescriptor mine = newDescriptor()) {
            for (int i = 0; i < 5; i++) {
                assertEquals(WorkerChannel.SendResult.SENT, send(pair.supervisorEnd(), new byte[] {(byte) i}, mine));
                assertEquals(WorkerChannel.SendResult.SENT, send(pair.workerEnd(), new byte[] {(byte) i}, mine));
            }
            settle(pair);
            pair.supervisorEnd().close();
            pair.workerEnd().close();
        }
        assertEquals(before, openDescriptors(), "no descriptor outlives the channel that held it");
    }
}
