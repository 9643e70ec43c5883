package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packetio.IoUringPacketIo;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The io_uring backend ({@link IoUringPacketIo}: a TPACKET_V3 ring whose readiness arrives as an io_uring poll
 * completion, sends as {@code IORING_OP_SEND}) passes the {@link io.mcrelay.seam.PacketIoContract} and the
 * real-kernel checks of {@link PacketIoNetnsContract} over veth.
 */
class IoUringPacketIoContractNetnsIT extends PacketIoNetnsContract {
    private static final String PREFIX = "mcrpu";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    /** The geometry of the rings the I/O adopts while running. */
    private static final int ATTACHED_BLOCK_BYTES = 1 << 16;
    private static final int ATTACHED_BLOCKS = 8;

    @Override
    protected PassedDescriptor openInputSocket(final String inputInterface) {
        // As the supervisor passes it: a duplicate of the ring's socket; the socket keeps its ring when the opener
        // unmaps its own view and closes its descriptor.
        final PacketRxRing ring = PacketRxRing.open(inputInterface, ATTACHED_BLOCK_BYTES, ATTACHED_BLOCKS, 2);
        final OwnedFd opener = new OwnedFd(ring.fd());
        try {
            return opener.duplicate();
        } finally {
            opener.take(); // the ring closes it
            ring.close();
        }
    }

    @Override
    protected String prefix() {
        return PREFIX;
    }

    @Override
    protected PacketIo openIo(final String inputInterface, final int sendBufferBytes, final boolean smallReceive) {
        // Small: two blocks of one page, a few dozen small frames.
        final PacketRxRing ring = smallReceive ? PacketRxRing.open(inputInterface, 4096, 2, 2)
            : PacketRxRing.open(inputInterface, 1 << 16, 8, 2);
        try {
            return IoUringPacketIo.open(List.of(new IoUringPacketIo.Input(inputInterface, ring)),
                new IoUringPacketIo.Config(256, 9216, 1 << 20, sendBufferBytes, ATTACHED_BLOCK_BYTES, ATTACHED_BLOCKS));
        } catch (final RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /**
     * The ring is read only after its readiness arrived through the io_uring: before the first submit has armed the
     * poll, a waiting frame is not delivered; after it, it is, and later frames are too without arming again (the
     * poll is multishot on this kernel).
     */
    @Test
    void framesAreReadOnlyOnceTheRingsReadinessCameThroughTheIoUring() {
        try (VethHarness harness = createHarness()) {
            final IoUringPacketIo io = (IoUringPacketIo) harness.raw();
            harness.injectFrame(udpFrame(new byte[] {1}));
            sleepMillis(20); // a settle delay, not a wait: the ring's block retires after 2 ms, the frame is there
            assertEquals(0, io.pollFrames((ifIndex, frame, offset, length) -> { }, 16), "no poll armed yet");
            assertEquals(1, io.submit(), "the first submit arms the readiness poll");
            assertEquals(1, pollUntilAFrame(io));
            assertEquals(0, io.submit(), "a multishot poll stays armed: nothing to submit");
            harness.injectFrame(udpFrame(new byte[] {2}));
            assertEquals(1, pollUntilAFrame(io));
            assertTrue(io.multishotPolls());
            assertEquals(0, io.stagingDrops());
        }
    }

    /** Polls until a poll delivers frames ({@link Waits.Pace#DELIVERY}); returns how many that poll delivered. */
    private static int pollUntilAFrame(final IoUringPacketIo io) {
        return Waits.until(Waits.Pace.DELIVERY, "a frame read after the io_uring reported the ring ready",
            () -> io.pollFrames((ifIndex, frame, offset, length) -> { }, 16), frames -> frames > 0);
    }

    /**
     * Frames read from the ring beyond a poll's limit that do not fit the staging area are dropped and counted as
     * that input's {@code stagingFull}: with a staging area of 2048 bytes (three frames of 642 bytes) and polls of one
     * frame, a burst of 20 frames read at once is delivered in part, and packets = ring full + staging full +
     * delivered.
     */
    @Test
    void framesThatDoNotFitTheStagingAreaAreCountedForTheirInput() {
        Netns.requireRoot();
        try (VethHarness harness = new VethHarness(PREFIX, input -> {
            final PacketRxRing ring = PacketRxRing.open(input, 1 << 16, 8, 2);
            try {
                return IoUringPacketIo.open(List.of(new IoUringPacketIo.Input(input, ring)),
                    new IoUringPacketIo.Config(256, 9216, 2048, 0));
            } catch (final RuntimeException e) {
                ring.close();
                throw e;
            }
        })) {
            final IoUringPacketIo io = (IoUringPacketIo) harness.raw();
            for (int i = 0; i < 20; i++) {
                harness.injectFrame(udpFrame(new byte[600]));
            }
            // A settle delay, not a wait: the block retires after 2 ms; every frame waits in the ring for one poll.
            sleepMillis(20);
            final int[] delivered = {0};
            final int[] quiet = {0};
            Waits.until(Waits.Pace.DELIVERY, "50 polls in a row that deliver no frame", () -> {
                io.submit();
                final int polled = io.pollFrames((ifIndex, frame, offset, length) -> { }, 1);
                delivered[0] += polled;
                quiet[0] = polled == 0 ? quiet[0] + 1 : 0;
                return quiet[0];
            }, quietPolls -> quietPolls >= 50, () -> delivered[0] + " delivered so far");
            final PacketIo.InputCounts in0 = io.inputCounts().getFirst();
            System.err.println("[netns] staging of 2048 bytes, polls of 1: " + in0 + ", " + delivered[0]
                + " delivered");
            assertTrue(in0.stagingFull() > 0, in0.toString());
            assertEquals(io.stagingDrops(), in0.stagingFull());
            assertEquals(in0.packets(), in0.ringFull() + in0.stagingFull() + delivered[0]);
            assertEquals(20, in0.packets());
        }
    }

    /**
     * Each egress socket has an error-queue poll in the ring from the first submit after it opened; a destination
     * closed while its poll is armed keeps its socket open until the poll's removal completed, then the socket is
     * closed (its descriptor no longer names it); a destination opened again gets a poll again and its errors are
     * reported under its handle.
     */
    @Test
    void aClosedDestinationsPollIsRemovedBeforeItsSocketCloses() throws Exception {
        try (VethHarness harness = createHarness()) {
            harness.sink.execOrThrow("sysctl", "-q", "-w", "net.ipv4.icmp_ratemask=0");
            final IoUringPacketIo raw = (IoUringPacketIo) harness.raw();
            final PacketIo io = harness.io();
            final Map<Integer, String> before = sockets();
            final int destination = io.openDestination("out0", new byte[] {10, 77, 1, 2}, 6901, 0);
            final Map<Integer, String> opened = sockets();
            opened.keySet().removeAll(before.keySet());
            assertEquals(1, opened.size(), "one socket for the destination: " + opened);
            final int fd = opened.keySet().iterator().next();
            assertEquals(0, raw.errorPollsArmed());
            io.submit();
            assertEquals(1, raw.errorPollsArmed());

            io.closeDestination(destination);
            assertEquals(opened.get(fd), sockets().get(fd), "the socket stays open while its poll is in the ring");
            final List<long[]> completions = new ArrayList<>();
            final List<int[]> reports = new ArrayList<>();
            Waits.until(Waits.Pace.DELIVERY, "the closed destination's error-queue poll to be removed", () -> {
                if (raw.errorPollsArmed() > 0) {
                    cycle(io, completions, reports);
                }
                return raw.errorPollsArmed();
            }, armed -> armed == 0);
            assertEquals(0, raw.errorPollsArmed(), "the poll was removed");
            assertNotEquals(opened.get(fd), sockets().get(fd), "the socket is closed once its poll is gone");

            final int again = io.openDestination("out0", new byte[] {10, 77, 1, 2}, 6901, 0);
            assertEquals(0, io.send(again, new UnsafeBuffer(new byte[4]), 0, 4, 7L));
            Waits.until(Waits.Pace.DELIVERY, "the port-unreachable report for the destination opened again", () -> {
                if (reports.isEmpty()) {
                    cycle(io, completions, reports);
                }
                return reports.size();
            }, count -> count > 0);
            assertEquals(1, raw.errorPollsArmed());
            assertEquals(1, reports.size());
            assertArrayEquals(new int[] {again, ECONNREFUSED}, reports.getFirst());
            assertTrue(raw.multishotPolls());
        }
    }

    /** This process's socket descriptors and what each names ({@code socket:[inode]}). */
    private static Map<Integer, String> sockets() throws IOException {
        final Map<Integer, String> sockets = new TreeMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (final Path fd : fds) {
                try {
                    final String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:")) {
                        sockets.put(Integer.parseInt(fd.getFileName().toString()), target);
                    }
                } catch (final IOException e) {
                    // closed meanwhile (the directory stream's own descriptor, or another thread's)
                }
            }
        }
        return sockets;
    }
}
