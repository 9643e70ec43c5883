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

import io.mcrelay.linux.packetio.IoUringPacketIo;
import io.mcrelay.linux.packetio.RingInput;
import io.mcrelay.linux.packetio.RingIoConfig;
import io.mcrelay.seam.PacketIo;

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

    @Override
    protected String prefix() {
        return PREFIX;
    }

    @Override
    protected PacketIo openRingIo(final List<RingInput> inputs, final RingIoConfig config) {
        return IoUringPacketIo.open(inputs, config);
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
