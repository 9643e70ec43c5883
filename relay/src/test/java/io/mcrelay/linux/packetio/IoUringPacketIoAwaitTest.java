package io.mcrelay.linux.packetio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.process.StreamWorkerChannel;
import io.mcrelay.seam.WorkerChannel;

/**
 * The worker loop's wait ({@link IoUringPacketIo#await}) is one {@code io_uring_enter} on the I/O's own ring: it
 * blocks until its {@code TIMEOUT} (not before, not spinning), returns at once when the watched channel is readable
 * or at its end of file (the channel's {@code POLL_ADD}), and a later, shorter wait is not held up by an earlier,
 * longer timeout still armed. No packet rings are needed for this: an I/O without inputs.
 */
class IoUringPacketIoAwaitTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private IoUringPacketIo io;
    private StreamWorkerChannel[] pair;

    @BeforeEach
    void open() {
        io = IoUringPacketIo.open(List.of(), RingIoConfig.DEFAULT);
        pair = StreamWorkerChannel.pair(1 << 16, 1 << 10);
        io.watchReadable(pair[1].fd());
    }

    @AfterEach
    void close() {
        io.close();
        pair[0].close();
        pair[1].close();
    }

    @Test
    void anIdleWaitBlocksUntilItsTimeout() {
        io.submit(); // arms the channel's poll, as the loop's duty cycle does
        final long start = System.nanoTime();
        io.await(100 * MS);
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= 95 * MS, "waited " + elapsed / MS + " ms, not the 100 ms timeout");
        assertTrue(elapsed < 1000 * MS, "waited " + elapsed / MS + " ms");
        assertEquals(1, io.waits());
    }

    @Test
    void aReadableChannelEndsTheWait() throws InterruptedException {
        final Thread peer = Thread.ofPlatform().start(() -> {
            sleep(50);
            pair[0].send(new UnsafeBuffer(new byte[] {1}), 0, 1);
        });
        final long start = System.nanoTime();
        io.await(5_000 * MS);
        final long elapsed = System.nanoTime() - start;
        peer.join();
        assertTrue(elapsed >= 40 * MS && elapsed < 2_000 * MS, "woke after " + elapsed / MS + " ms, not at the frame");
        final int[] frames = {0};
        assertEquals(1, pair[1].poll((buffer, offset, length) -> frames[0]++, 8));
    }

    @Test
    void theChannelsEndOfFileEndsTheWait() throws InterruptedException {
        final Thread peer = Thread.ofPlatform().start(() -> {
            sleep(50);
            pair[0].close();
        });
        final long start = System.nanoTime();
        io.await(5_000 * MS);
        final long elapsed = System.nanoTime() - start;
        peer.join();
        assertTrue(elapsed < 2_000 * MS, "woke after " + elapsed / MS + " ms");
        assertTrue(pair[1].isClosed(), "EOF");
        assertEquals(WorkerChannel.SendResult.CLOSED, pair[1].send(new UnsafeBuffer(new byte[] {1}), 0, 1));
    }

    @Test
    void aShorterWaitIsNotHeldUpByALongerTimeoutStillArmed() {
        pair[0].send(new UnsafeBuffer(new byte[] {1}), 0, 1);
        io.await(10_000 * MS); // the frame is there: returns at once, its 10 s timeout stays armed
        pair[1].poll((buffer, offset, length) -> { }, 8);
        io.pollCompletions((userData, result) -> { }, 8); // reaps the channel's completion, as a duty cycle does
        final long start = System.nanoTime();
        io.await(50 * MS);
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= 45 * MS && elapsed < 1_000 * MS, "waited " + elapsed / MS + " ms, not 50");
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
