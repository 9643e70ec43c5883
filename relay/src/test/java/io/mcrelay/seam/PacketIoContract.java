package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

        /**
         * A new packet socket on input link {@code name} (not {@code in0}; the link is made at the first call), as the
         * supervisor would pass it for {@link PacketIo#attachInput}: the caller owns the handle.
         */
        PassedDescriptor newInput(String name);

        /** Puts a whole Ethernet frame on the wire of input link {@code name} ({@code in0} or one of newInput's). */
        void injectFrame(String name, byte[] frame);

        /** The descriptors (or simulated handles) open now: what a leak would raise. */
        long openDescriptors();

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

    /** Polls as {@link #drainFrames} does, counting the frames delivered by interface index. */
    protected static Map<Integer, Integer> drainByInterface(final Harness harness) {
        final Map<Integer, Integer> delivered = new TreeMap<>();
        int quiet = 0;
        for (int round = 0; round < DRAIN_POLLS_MAX && quiet < QUIET_POLLS; round++) {
            harness.io().submit();
            harness.settle();
            final int polled = harness.io().pollFrames(
                (ifIndex, buffer, offset, length) -> delivered.merge(ifIndex, 1, Integer::sum), 64);
            quiet = polled == 0 ? quiet + 1 : 0;
        }
        assertEquals(QUIET_POLLS, quiet, "the inputs never went quiet");
        return delivered;
    }

    /**
     * Releases {@code name}, polling between calls as a worker's cycles would, until the release returns true;
     * returns the frames of interface {@code ifIndex} delivered meanwhile.
     */
    protected static int releaseFully(final Harness harness, final String name, final int ifIndex) {
        final int[] delivered = {0};
        for (int round = 0; round < DRAIN_POLLS_MAX; round++) {
            if (harness.io().releaseInput(name)) {
                return delivered[0];
            }
            harness.io().submit();
            harness.io().pollFrames((frameIfIndex, buffer, offset, length) -> {
                if (frameIfIndex == ifIndex) {
                    delivered[0]++;
                }
            }, 64);
        }
        throw new AssertionError("the release of " + name + " never completed");
    }

    private static PacketIo.InputCounts countsOf(final Harness harness, final String name) {
        return harness.io().inputCounts().stream().filter(counts -> counts.interfaceName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no counts of " + name + ": " + harness.io().inputCounts()));
    }

    /**
     * An input attached while the I/O runs delivers its frames with its own interface index, and the first input's
     * keep arriving beside them: every frame of both is delivered and counted once, on its input.
     */
    @Test
    void anInputAttachedWhileRunningDeliversBesideTheFirst() {
        try (Harness harness = createHarness()) {
            final int in0 = harness.io().interfaceIndex("in0");
            harness.io().submit();
            for (int i = 0; i < 3; i++) {
                harness.injectFrame(udpFrame(new byte[] {0, (byte) i}));
            }
            final long versionBefore = harness.io().interfacesVersion();
            final int in1 = harness.io().attachInput("in1", harness.newInput("in1"));
            assertTrue(in1 > 0 && in1 != in0, "in1 has its own index: " + in1 + ", in0 " + in0);
            assertEquals(in1, harness.io().interfaceIndex("in1"));
            assertNotEquals(versionBefore, harness.io().interfacesVersion(), "an attach moves the version");
            for (int i = 0; i < 4; i++) {
                harness.injectFrame("in1", udpFrame(new byte[] {1, (byte) i}));
                harness.injectFrame(udpFrame(new byte[] {2, (byte) i}));
            }
            assertEquals(Map.of(in0, 7, in1, 4), drainByInterface(harness));
            assertEquals(new PacketIo.InputCounts("in1", 4, 0, 0), countsOf(harness, "in1"));
            assertEquals(new PacketIo.InputCounts("in0", 7, 0, 0), countsOf(harness, "in0"));
        }
    }

    /**
     * A release lets the frames already waiting in the input be delivered first, returns true once the socket is
     * closed, and from then on nothing of that input arrives; its counts stay, and releasing it again has nothing to
     * do.
     */
    @Test
    void aReleasedInputDeliversWhatWaitsThenNothing() {
        try (Harness harness = createHarness()) {
            final int in1 = harness.io().attachInput("in1", harness.newInput("in1"));
            harness.io().submit();
            for (int i = 0; i < 5; i++) {
                harness.injectFrame("in1", udpFrame(new byte[] {3, (byte) i}));
            }
            harness.settle(); // the frames reach the socket (a real ring hands its block over)
            assertFalse(harness.io().releaseInput("in1"), "frames wait: the release is not complete");
            assertEquals(5, releaseFully(harness, "in1", in1), "every waiting frame is delivered before the close");
            for (int i = 0; i < 3; i++) {
                harness.injectFrame("in1", udpFrame(new byte[] {4, (byte) i}));
            }
            harness.injectFrame(udpFrame(new byte[] {5}));
            final int in0 = harness.io().interfaceIndex("in0");
            assertEquals(Map.of(in0, 1), drainByInterface(harness), "nothing of in1 after its release");
            assertEquals(new PacketIo.InputCounts("in1", 5, 0, 0), countsOf(harness, "in1"));
            assertTrue(harness.io().releaseInput("in1"), "a released input has nothing left to release");
            assertTrue(harness.io().releaseInput("no-such-input"));
        }
    }

    /** A name released can be attached again, and its counts go on from where they were. */
    @Test
    void anInputCanBeAttachedAgainAfterItsRelease() {
        try (Harness harness = createHarness()) {
            int in1 = harness.io().attachInput("in1", harness.newInput("in1"));
            for (int i = 0; i < 2; i++) {
                harness.injectFrame("in1", udpFrame(new byte[] {6, (byte) i}));
            }
            assertEquals(Map.of(in1, 2), drainByInterface(harness));
            assertEquals(0, releaseFully(harness, "in1", in1));
            in1 = harness.io().attachInput("in1", harness.newInput("in1"));
            assertEquals(in1, harness.io().interfaceIndex("in1"));
            for (int i = 0; i < 3; i++) {
                harness.injectFrame("in1", udpFrame(new byte[] {7, (byte) i}));
            }
            assertEquals(Map.of(in1, 3), drainByInterface(harness));
            assertEquals(new PacketIo.InputCounts("in1", 5, 0, 0), countsOf(harness, "in1"));
        }
    }

    /**
     * An input already attached is refused ({@link IllegalStateException}), a socket of another interface than the
     * name says too ({@link IllegalArgumentException}); either way the refused handle is closed and the attached
     * input keeps working.
     */
    @Test
    void attachingAnInputTwiceOrUnderAnotherNameIsRefused() {
        try (Harness harness = createHarness()) {
            final int in1 = harness.io().attachInput("in1", harness.newInput("in1"));
            final PassedDescriptor second = harness.newInput("in1");
            assertThrows(IllegalStateException.class, () -> harness.io().attachInput("in1", second));
            assertFalse(second.isOpen(), "the refused handle is closed");
            final PassedDescriptor misnamed = harness.newInput("in1");
            final IllegalArgumentException refused =
                assertThrows(IllegalArgumentException.class, () -> harness.io().attachInput("in2", misnamed));
            assertTrue(refused.getMessage().contains("in2"), refused.getMessage());
            assertFalse(misnamed.isOpen(), "the refused handle is closed");
            assertEquals(0, harness.io().interfaceIndex("in2"));
            harness.injectFrame("in1", udpFrame(new byte[] {8}));
            assertEquals(Map.of(in1, 1), drainByInterface(harness));
        }
    }

    /** Attaching and releasing inputs, over and over, leaves no descriptor open behind it. */
    @Test
    void attachAndReleaseLeakNoDescriptor() {
        try (Harness harness = createHarness()) {
            // A first round opens what the harness keeps (the link, its injector) and loads the classes.
            cycleInput(harness);
            final long before = harness.openDescriptors();
            for (int round = 0; round < 3; round++) {
                cycleInput(harness);
            }
            assertEquals(before, harness.openDescriptors(), "descriptors open after three attach/release rounds");
        }
    }

    private static void cycleInput(final Harness harness) {
        final int in1 = harness.io().attachInput("in1", harness.newInput("in1"));
        harness.injectFrame("in1", udpFrame(new byte[] {9}));
        assertEquals(Map.of(in1, 1), drainByInterface(harness));
        releaseFully(harness, "in1", in1);
    }
}
