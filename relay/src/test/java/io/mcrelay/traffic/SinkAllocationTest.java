package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.mcrelay.linux.sys.UdpReceiver;

/**
 * The sink's per-packet path allocates nothing: after a warm-up, receiving a window of datagrams from a real socket
 * ({@link UdpReceiver#receive}, its control message included) and counting them ({@link Sink#onDatagram}) must not
 * move the thread's allocated-bytes counter. The datagrams are queued before each window, by the same thread, so that
 * sending stays outside it; a few windows are allowed for the JIT to finish compiling the path.
 */
class SinkAllocationTest {
    private static final int WINDOW_PACKETS = 500;
    private static final int WARMUP_WINDOWS = 200;

    @Test
    void receivingAndCountingAPacketAllocatesNothing() throws IOException {
        final int port = SinkSessionTest.freePortPair();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        final InetSocketAddress to = new InetSocketAddress(loopback, port);
        try (UdpReceiver receiver = UdpReceiver.open("lo", loopback, null, port, 1, 4 << 20);
             DatagramChannel sender = DatagramChannel.open()) {
            final Sink sink = new Sink(1, -1, null);
            final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            final ByteBuffer[] packets = new ByteBuffer[WINDOW_PACKETS];
            // The duplicate bitmap doubles as sequence numbers grow: the warm-up's 100,000 grow it to 2,048 words
            // (131,072 numbers), which the measured windows (at most 20,000 more) stay within. A long warm-up, and up
            // to 40 windows to find one without allocation: in a JVM busy with other suites the JIT compiles late.
            long seq = 0;
            for (int window = 0; window < WARMUP_WINDOWS; window++) {
                seq = queue(sender, to, packets, seq);
                assertEquals(WINDOW_PACKETS, drain(receiver, sink, buffer));
            }
            final var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
            threads.getCurrentThreadAllocatedBytes(); // the first call may set itself up: keep that out of the window
            final long[] allocated = new long[40];
            int windows = 0;
            do {
                seq = queue(sender, to, packets, seq);
                final long before = threads.getCurrentThreadAllocatedBytes();
                final int received = drain(receiver, sink, buffer);
                allocated[windows++] = threads.getCurrentThreadAllocatedBytes() - before;
                assertEquals(WINDOW_PACKETS, received);
            } while (allocated[windows - 1] != 0 && windows < allocated.length);
            assertEquals(0, allocated[windows - 1], "bytes allocated per window of " + WINDOW_PACKETS
                + " packets: " + Arrays.toString(allocated));
            assertEquals(seq, sink.received(), "every packet counted as received, once");
            assertEquals(0, sink.reordered() + sink.duplicates() + sink.lost());
            assertEquals(0, receiver.drops(0));
        }
    }

    private static long queue(final DatagramChannel sender, final InetSocketAddress to, final ByteBuffer[] packets,
                              final long firstSeq) throws IOException {
        for (int i = 0; i < packets.length; i++) {
            packets[i] = ByteBuffer.wrap(SinkSessionTest.payload(SinkSessionTest.RUN, 0, firstSeq + i));
        }
        for (final ByteBuffer packet : packets) {
            sender.send(packet, to);
        }
        return firstSeq + packets.length;
    }

    private static int drain(final UdpReceiver receiver, final Sink sink, final byte[] buffer) {
        int received = 0;
        int length;
        while ((length = receiver.receive(0, buffer)) >= 0) {
            sink.onDatagram(0, buffer, 0, length, received);
            received++;
        }
        return received;
    }
}
