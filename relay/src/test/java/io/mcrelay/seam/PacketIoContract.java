package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PacketIo} guarantees: frames lent intact, sends asynchronous and visible only after
 * {@link PacketIo#submit()}, failures as completions with a negative errno, and every frame offered on an input
 * counted ({@link PacketIo#inputCounts()}): delivered, or dropped under a reason. Subclasses supply the I/O with a link
 * named {@code in0} to receive from and a link named {@code out0} to send to (veth in a namespace, or simulated).
 */
public abstract class PacketIoContract {
    /** The I/O under test and the other ends of its links. */
    public interface Harness extends AutoCloseable {
        PacketIo io();

        /** Puts a whole Ethernet frame on the wire of {@code in0}. */
        void injectFrame(byte[] frame);

        /** The UDP payloads that arrived at {@code group}:{@code port} on {@code out0} so far. */
        List<byte[]> delivered(byte[] group, int port);

        /** Lets packets move. */
        void settle();

        @Override
        void close();
    }

    protected abstract Harness createHarness();

    /**
     * A harness whose I/O's receive ring (or, for a backend without one, its socket's receive buffer) holds far fewer
     * than {@value #OVERFLOW_FRAMES} small frames, so that a burst of that many overflows it while nobody polls.
     */
    protected abstract Harness createSmallRingHarness();

    /** Frames a burst puts on {@code in0} to overflow a small receive ring. */
    protected static final int OVERFLOW_FRAMES = 300;
    /** Polls in a row that found nothing, each after {@link Harness#settle()}, before the input counts as drained. */
    private static final int QUIET_POLLS = 20;
    /** Bound on the polls of a drain: a hang guard, far above what a drain takes. */
    private static final int DRAIN_POLLS_MAX = 2_000;

    /** A well-formed Ethernet/IPv4/UDP frame to 239.1.1.1:5000 with the given payload. */
    protected static byte[] udpFrame(final byte[] payload) {
        final byte[] frame = new byte[14 + 20 + 8 + payload.length];
        final byte[] dstMac = {0x01, 0x00, 0x5E, 0x01, 0x01, 0x01};
        System.arraycopy(dstMac, 0, frame, 0, 6);
        frame[6] = 0x02; // locally administered source MAC
        frame[12] = 0x08; // EtherType IPv4
        frame[14] = 0x45; // version 4, IHL 5
        final int totalLength = 20 + 8 + payload.length;
        frame[16] = (byte) (totalLength >>> 8);
        frame[17] = (byte) totalLength;
        frame[22] = 1; // TTL
        frame[23] = 17; // UDP
        frame[26] = 10; frame[27] = 0; frame[28] = 0; frame[29] = 1; // source 10.0.0.1
        frame[30] = (byte) 239; frame[31] = 1; frame[32] = 1; frame[33] = 1; // destination 239.1.1.1
        frame[34] = 0x13; frame[35] = (byte) 0x88; // source port 5000
        frame[36] = 0x13; frame[37] = (byte) 0x88; // destination port 5000
        final int udpLength = 8 + payload.length;
        frame[38] = (byte) (udpLength >>> 8);
        frame[39] = (byte) udpLength;
        System.arraycopy(payload, 0, frame, 42, payload.length);
        return frame;
    }

    @Test
    void receivedFramesArriveIntact() {
        try (Harness harness = createHarness()) {
            final byte[] frame = udpFrame("hello".getBytes());
            harness.injectFrame(frame);
            final List<byte[]> received = new ArrayList<>();
            final List<Integer> interfaces = new ArrayList<>();
            for (int round = 0; round < 50 && received.isEmpty(); round++) {
                harness.io().submit();
                harness.settle();
                harness.io().pollFrames((ifIndex, buffer, offset, length) -> {
                    interfaces.add(ifIndex);
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    received.add(copy);
                }, 16);
            }
            assertEquals(1, received.size());
            assertArrayEquals(frame, received.getFirst());
            assertTrue(harness.io().interfaceIndex("in0") > 0);
            assertEquals(List.of(harness.io().interfaceIndex("in0")), interfaces);
            assertEquals(0, harness.io().interfaceIndex("no-such-if"));
        }
    }

    @Test
    void sendsCompleteAfterSubmitWithTheirByteCount() {
        try (Harness harness = createHarness()) {
            final byte[] group = {(byte) 239, 2, 2, 2};
            final int destination = harness.io().openDestination("out0", group, 6000, 0);
            assertEquals(destination, harness.io().openDestination("out0", group, 6000, 0));
            final byte[] payload = "payload".getBytes();
            final int capacity = harness.io().sendCapacity();
            assertTrue(capacity > 0);
            assertEquals(0, harness.io().send(destination, new UnsafeBuffer(payload), 0, payload.length, 77L));
            assertEquals(capacity - 1, harness.io().sendCapacity(), "a queued send takes capacity");
            final List<long[]> completions = new ArrayList<>();
            for (int round = 0; round < 50 && completions.isEmpty(); round++) {
                harness.io().submit();
                harness.settle();
                harness.io().pollCompletions((userData, result) -> completions.add(new long[] {userData, result}), 16);
            }
            assertEquals(1, completions.size());
            assertEquals(capacity, harness.io().sendCapacity(), "a completed send gives its capacity back");
            assertEquals(77L, completions.getFirst()[0]);
            assertEquals(payload.length, completions.getFirst()[1]);
            final List<byte[]> delivered = harness.delivered(group, 6000);
            assertEquals(1, delivered.size());
            assertArrayEquals(payload, delivered.getFirst());
        }
    }

    @Test
    void nothingIsSentBeforeSubmit() {
        try (Harness harness = createHarness()) {
            final byte[] group = {(byte) 239, 3, 3, 3};
            final int destination = harness.io().openDestination("out0", group, 6001, 0);
            harness.io().send(destination, new UnsafeBuffer(new byte[] {1}), 0, 1, 1L);
            harness.settle();
            assertTrue(harness.delivered(group, 6001).isEmpty());
        }
    }

    /**
     * Polls until {@value #QUIET_POLLS} polls in a row found nothing (each after a {@link Harness#settle()}, which
     * lets a real kernel's ring hand over its last block); returns the frames delivered.
     */
    protected static int drainFrames(final Harness harness) {
        int delivered = 0;
        int quiet = 0;
        for (int round = 0; round < DRAIN_POLLS_MAX && quiet < QUIET_POLLS; round++) {
            harness.io().submit();
            harness.settle();
            final int polled = harness.io().pollFrames((ifIndex, buffer, offset, length) -> { }, 64);
            delivered += polled;
            quiet = polled == 0 ? quiet + 1 : 0;
        }
        assertEquals(QUIET_POLLS, quiet, "the input never went quiet");
        return delivered;
    }

    /**
     * Every frame that reached the I/O is counted once on the interface it arrived on: with nothing dropped,
     * {@code packets} is the number delivered, and the counts are cumulative across readings (the kernel resets its
     * own when they are read).
     */
    @Test
    void inputCountsCountEveryDeliveredFrameCumulatively() {
        try (Harness harness = createHarness()) {
            for (int i = 0; i < 5; i++) {
                harness.injectFrame(udpFrame(new byte[] {(byte) i}));
            }
            assertEquals(5, drainFrames(harness));
            assertEquals(List.of(new PacketIo.InputCounts("in0", 5, 0, 0)), harness.io().inputCounts());
            for (int i = 0; i < 3; i++) {
                harness.injectFrame(udpFrame(new byte[] {(byte) i}));
            }
            assertEquals(3, drainFrames(harness));
            assertEquals(List.of(new PacketIo.InputCounts("in0", 8, 0, 0)), harness.io().inputCounts());
            assertEquals(List.of(new PacketIo.InputCounts("in0", 8, 0, 0)), harness.io().inputCounts(),
                "a reading with nothing new changes nothing");
        }
    }

    /**
     * A burst beyond the receive ring's capacity while nobody polls is dropped by the ring and counted as
     * {@code ringFull}; once the input is drained, every frame counted is accounted for exactly: {@code packets} =
     * {@code ringFull} + {@code stagingFull} + frames delivered.
     */
    @Test
    void framesBeyondTheReceiveRingAreCountedAsRingFull() {
        try (Harness harness = createSmallRingHarness()) {
            for (int i = 0; i < OVERFLOW_FRAMES; i++) {
                harness.injectFrame(udpFrame(new byte[] {(byte) i, (byte) (i >> 8)}));
            }
            final int delivered = drainFrames(harness);
            final List<PacketIo.InputCounts> counts = harness.io().inputCounts();
            assertEquals(1, counts.size(), counts.toString());
            final PacketIo.InputCounts in0 = counts.getFirst();
            assertEquals("in0", in0.interfaceName());
            assertTrue(in0.ringFull() > 0, "the ring overflowed: " + in0 + ", " + delivered + " delivered");
            assertTrue(delivered > 0, "the ring's frames were delivered");
            assertEquals(in0.packets(), in0.ringFull() + in0.stagingFull() + delivered,
                in0 + ", " + delivered + " delivered");
            assertTrue(in0.packets() <= OVERFLOW_FRAMES, "no frame counted that was not sent: " + in0);
        }
    }

    /** With nothing sent that met an error, there is nothing to report, and asking again changes nothing. */
    @Test
    void noSendErrorIsReportedWithoutOne() {
        try (Harness harness = createHarness()) {
            final int destination = harness.io().openDestination("out0", new byte[] {(byte) 239, 2, 2, 3}, 6002, 0);
            assertEquals(0, harness.io().send(destination, new UnsafeBuffer(new byte[] {1}), 0, 1, 1L));
            final List<int[]> reports = new ArrayList<>();
            final List<long[]> completions = new ArrayList<>();
            for (int round = 0; round < 50 && completions.isEmpty(); round++) {
                harness.io().submit();
                harness.settle();
                harness.io().pollCompletions((userData, result) -> completions.add(new long[] {userData, result}), 16);
                harness.io().pollFrames((ifIndex, buffer, offset, length) -> { }, 16);
                harness.io().pollSendErrors((handle, errno) -> reports.add(new int[] {handle, errno}), 16);
            }
            assertEquals(1, completions.size());
            assertEquals(1, completions.getFirst()[1]);
            assertEquals(0, harness.io().pollSendErrors((handle, errno) -> reports.add(new int[] {handle, errno}), 16));
            assertTrue(reports.isEmpty(), "reports without an error: " + reports.size());
        }
    }
}
