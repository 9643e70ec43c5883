package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The other process of {@link FdPassingTwoProcessTest}: connects to the socket named by its argument, takes the
 * descriptor passed to it and sends one datagram through that descriptor, then exits. Exit 0 only when all of it
 * worked.
 */
public final class FdPassingChild {
    private FdPassingChild() {
    }

    public static void main(final String[] args) {
        final int channel = UnixSockets.connect(Path.of(args[0]));
        final FdPassing.Received received = FdPassing.receive(channel, new byte[16]);
        if (received.fd() < 0) {
            System.err.println("no descriptor arrived");
            System.exit(2);
        }
        final byte[] message = ("from child " + ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII);
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            final MemorySegment buffer = arena.allocate(message.length);
            buffer.copyFrom(MemorySegment.ofArray(message));
            ring.prepareSend(received.fd(), buffer, message.length, 0, 1);
            ring.submit(1);
            final int[] result = {Integer.MIN_VALUE};
            while (ring.pollCompletions((u, r, f) -> result[0] = r, 1) == 0) {
                ring.submit(1);
            }
            if (result[0] != message.length) {
                System.err.println("send through the passed descriptor returned " + result[0]);
                System.exit(3);
            }
        }
        UnixSockets.close(received.fd());
        UnixSockets.close(channel);
    }
}
