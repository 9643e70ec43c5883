package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * What every {@link WorkerChannel} guarantees (without faults): whole frames, in order, {@code FULL} without a
 * partial frame, and EOF after the frames sent before a close. Subclasses supply a connected pair and a way to let
 * the channel make progress (nothing for an in-memory pipe, a short wait for a socket).
 */
public abstract class WorkerChannelContract {
    /** Two connected ends. */
    public record Pair(WorkerChannel supervisorEnd, WorkerChannel workerEnd) {
    }

    /** A connected pair whose buffer in each direction holds about {@code capacityBytes}. */
    protected abstract Pair createPair(int capacityBytes);

    /** Lets queued frames move from one end to the other. */
    protected abstract void settle(Pair pair);

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
}
