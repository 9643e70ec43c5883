package io.mcrelay.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerChannelContract;

/**
 * The SOCK_SEQPACKET channel keeps the {@link WorkerChannel} contract over a real {@code socketpair}, and refuses
 * frames it cannot carry; a frame above the receiver's limit ends the channel instead of arriving cut short.
 */
class SeqpacketWorkerChannelTest extends WorkerChannelContract {
    @Override
    protected Pair createPair(final int capacityBytes) {
        final SeqpacketWorkerChannel[] ends = SeqpacketWorkerChannel.pair(capacityBytes, 1 << 20);
        return new Pair(ends[0], ends[1]);
    }

    @Override
    protected void settle(final Pair pair) {
        // a socketpair delivers on send: nothing to wait for
    }

    @Test
    void emptyAndOversizedFramesAreProgrammingErrors() {
        final SeqpacketWorkerChannel[] ends = SeqpacketWorkerChannel.pair(8192, 1 << 20);
        try {
            assertTrue(ends[0].maxFrameBytes() < 1 << 20, "the send buffer bounds the frame size");
            final UnsafeBuffer big = new UnsafeBuffer(new byte[ends[0].maxFrameBytes() + 1]);
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(big, 0, big.capacity()));
            assertThrows(IllegalArgumentException.class, () -> ends[0].send(big, 0, 0));
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(big, 0, ends[0].maxFrameBytes()));
            final int[] length = {0};
            assertEquals(1, ends[1].poll((b, o, l) -> length[0] = l, 10));
            assertEquals(ends[0].maxFrameBytes(), length[0]);
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }

    @Test
    void aFrameOfTheWorkerChannelsLargestSizeArrivesWhole() {
        final SeqpacketWorkerChannel[] ends = SeqpacketWorkerChannel.pair(WorkerProcess.CHANNEL_CAPACITY_BYTES,
            WorkerProcess.CHANNEL_MAX_FRAME_BYTES);
        try {
            final byte[] frame = new byte[ends[0].maxFrameBytes()];
            java.util.Arrays.fill(frame, (byte) 7);
            frame[frame.length - 1] = 8;
            assertEquals(WorkerChannel.SendResult.SENT, ends[0].send(new UnsafeBuffer(frame), 0, frame.length));
            final int[] seen = {0, 0};
            assertEquals(1, ends[1].poll((b, o, l) -> {
                seen[0] = l;
                seen[1] = b.getByte(o + l - 1);
            }, 10));
            assertEquals(frame.length, seen[0]);
            assertEquals(8, seen[1]);
        } finally {
            ends[0].close();
            ends[1].close();
        }
    }

    @Test
    void aFrameAboveTheReceiversLimitEndsTheChannel() {
        final int[] fds = Syscalls.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_SEQPACKET);
        final SeqpacketWorkerChannel sender = new SeqpacketWorkerChannel(fds[0], 1 << 16, 4096);
        final SeqpacketWorkerChannel receiver = new SeqpacketWorkerChannel(fds[1], 1 << 16, 100);
        try {
            assertEquals(WorkerChannel.SendResult.SENT, sender.send(new UnsafeBuffer(new byte[101]), 0, 101));
            assertEquals(0, receiver.poll((b, o, l) -> { }, 10));
            assertTrue(receiver.isClosed());
            assertEquals(1, receiver.protocolErrors());
        } finally {
            sender.close();
            receiver.close();
        }
    }
}
