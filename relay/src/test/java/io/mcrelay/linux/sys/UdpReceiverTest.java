package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The sink's sockets on loopback: a datagram arrives whole on its flow's socket, and after the socket's queue
 * overflowed, the next datagram carries the socket's drop counter in its {@code SO_RXQ_OVFL} control message, the
 * same count {@code SO_MEMINFO} reads; each datagram's kernel arrival time comes on System.nanoTime's scale.
 */
class UdpReceiverTest {
    private static int freePort() throws IOException {
        try (DatagramChannel probe = DatagramChannel.open().bind(new InetSocketAddress(0))) {
            return ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
    }

    @Test
    void aDatagramArrivesWholeAndAnEmptySocketSaysSo() throws IOException {
        final int port = freePort();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (UdpReceiver receiver = UdpReceiver.open("lo", loopback, null, port, 1, 0);
             DatagramChannel sender = DatagramChannel.open()) {
            final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            assertEquals(-1, receiver.receive(0, buffer));
            assertEquals(0, receiver.poll(0));
            sender.send(ByteBuffer.wrap("datagram".getBytes()), new InetSocketAddress(loopback, port));
            assertEquals(1, receiver.poll(1_000));
            assertTrue(receiver.isReady(0));
            assertEquals(8, receiver.receive(0, buffer));
            assertEquals("datagram", new String(buffer, 0, 8));
            assertTrue(receiver.receiveBufferBytes() > 0);
        }
    }

    @Test
    void aDatagramCarriesTheKernelsArrivalTimeOnTheNanoTimeScale() throws Exception {
        final int port = freePort();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (UdpReceiver receiver = UdpReceiver.open("lo", loopback, null, port, 1, 0);
             DatagramChannel sender = DatagramChannel.open()) {
            final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            // The first timestamping socket on a host turns the kernel's receive timestamps on asynchronously (a
            // deferred static key); until then a datagram is stamped when read. So a few tries, each one datagram
            // read 50 ms after it was sent: one of them must carry the time it arrived, not the time it was read.
            final List<String> tries = new ArrayList<>();
            for (int attempt = 0; attempt < 20; attempt++) {
                final long beforeSend = System.nanoTime();
                sender.send(ByteBuffer.wrap("first".getBytes()), new InetSocketAddress(loopback, port));
                final long afterSend = System.nanoTime();
                Thread.sleep(50);
                assertEquals(1, receiver.poll(1_000));
                assertEquals(5, receiver.receive(0, buffer));
                final long afterRead = System.nanoTime();
                final long arrival = receiver.arrivalNs();
                assertTrue(arrival != 0, "every datagram carries a time");
                // The clocks are paired to within a few microseconds at open; a millisecond of slack bounds that.
                final long slackNs = 1_000_000;
                if (arrival >= beforeSend - slackNs && arrival <= afterSend + slackNs) {
                    assertTrue(afterRead - arrival >= 40_000_000L, () -> "read " + (afterRead - arrival) + " ns after");
                    return;
                }
                tries.add("arrival " + arrival + " outside the send [" + beforeSend + ", " + afterSend + "], read at "
                    + afterRead);
            }
            fail("no datagram carried its arrival time: " + tries);
        }
    }

    @Test
    void theDropCounterComesWithTheNextDatagramAfterAnOverflow() throws IOException {
        final int port = freePort();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (UdpReceiver receiver = UdpReceiver.open("lo", loopback, null, port, 1, 1);
             DatagramChannel sender = DatagramChannel.open()) {
            final InetSocketAddress to = new InetSocketAddress(loopback, port);
            final int burst = 300;
            for (int i = 0; i < burst; i++) {
                sender.send(ByteBuffer.wrap(new byte[1000]), to);
            }
            final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            int received = 0;
            while (receiver.receive(0, buffer) >= 0) {
                received++;
            }
            assertTrue(received < burst, "a tiny buffer cannot hold " + burst + " datagrams");
            assertEquals(0, receiver.dropsReported(0), "datagrams queued before the first drop carry no counter");
            sender.send(ByteBuffer.wrap(new byte[10]), to);
            assertEquals(1, receiver.poll(1_000));
            assertEquals(10, receiver.receive(0, buffer));
            assertEquals(burst - received, receiver.dropsReported(0));
            receiver.refreshDrops();
            assertEquals(burst - received, receiver.drops(0));
        }
    }

    @Test
    void aBatchTakesQueuedDatagramsInOrderEachWithItsLengthAndTime() throws IOException {
        final int port = freePort();
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (UdpReceiver receiver = UdpReceiver.open("lo", loopback, null, port, 1, 1 << 20);
             DatagramChannel sender = DatagramChannel.open()) {
            final InetSocketAddress to = new InetSocketAddress(loopback, port);
            final int queued = UdpReceiver.BATCH_MAX + 6; // more than one batch holds
            for (int i = 0; i < queued; i++) {
                final byte[] datagram = new byte[1 + i * 20]; // every length differs, the largest 1,381 bytes
                datagram[0] = (byte) i;
                sender.send(ByteBuffer.wrap(datagram), to);
            }
            final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
            assertEquals(5, receiver.receiveBatch(0, 5), "no more than asked for");
            int next = 0;
            for (int i = 0; i < 5; i++, next++) {
                assertEquals(1 + next * 20, receiver.length(i));
                assertEquals(1 + next * 20, receiver.copy(i, buffer));
                assertEquals(next, buffer[0]);
                assertTrue(receiver.arrivalNs(i) != 0, "every datagram carries a time");
            }
            final int full = receiver.receiveBatch(0, UdpReceiver.BATCH_MAX);
            assertEquals(UdpReceiver.BATCH_MAX, full);
            for (int i = 0; i < full; i++, next++) {
                assertEquals(1 + next * 20, receiver.copy(i, buffer));
                assertEquals((byte) next, buffer[0], "datagram " + i + " of the batch in order");
            }
            assertEquals(1, receiver.receiveBatch(0, UdpReceiver.BATCH_MAX), "the last one queued");
            assertEquals(queued - 1, receiver.copy(0, buffer) / 20);
            assertEquals(0, receiver.receiveBatch(0, UdpReceiver.BATCH_MAX), "an empty socket gives none");
            assertThrows(IllegalArgumentException.class, () -> receiver.receiveBatch(0, 0));
            assertThrows(IllegalArgumentException.class, () -> receiver.receiveBatch(0, UdpReceiver.BATCH_MAX + 1));
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnySocketOpens() throws IOException {
        final Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
        assertThrows(IllegalArgumentException.class, () -> UdpReceiver.open("lo", loopback, null, 65_535, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> UdpReceiver.open("lo", loopback, null, 5000, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> UdpReceiver.open("lo", loopback, loopback, 5000, 1, 0));
        final LinuxException noInterface = assertThrows(LinuxException.class,
            () -> UdpReceiver.open("nosuchif0", loopback, null, 5000, 1, 0));
        assertTrue(noInterface.getMessage().contains("nosuchif0"), noInterface::getMessage);
    }
}
