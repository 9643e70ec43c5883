package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PacketIoContract;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.FlowHash;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The simulated I/O keeps the {@link PacketIo} contract on a fresh {@link SimNetwork} with {@code in0} and
 * {@code out0} up (a member of an input group on {@code in0} attached, as the supervisor would hand it), and models
 * what the simulator's faults will lean on: a full egress queue completes with {@code -EAGAIN} (or {@code -ENOBUFS},
 * counted apart), a down or missing link with {@code -ENETUNREACH} (as Linux 6.x), a re-created link gets a new
 * index, the rings are bounded, input counts read as {@code PACKET_STATISTICS} does, a link with no input open
 * delivers to nobody, and the steady-state packet path allocates nothing.
 */
class SimPacketIoTest extends PacketIoContract {
    private static final byte[] GROUP = {(byte) 239, 9, 9, 9};
    private static final int PORT = 7000;

    @Override
    protected Harness createHarness() {
        return harness(SimInputGroup.DEFAULT_RING_FRAMES);
    }

    @Override
    protected Harness createSmallRingHarness() {
        return harness(16);
    }

    private static Harness harness(final int rxRingFrames) {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp("in0");
        network.createLinkUp("out0");
        final SimPacketIo io = attached(network, "in0", rxRingFrames);
        final List<SharedDescriptor> handles = new ArrayList<>();
        return new Harness() {
            @Override
            public PacketIo io() {
                return io;
            }

            @Override
            public void injectFrame(final byte[] frame) {
                network.injectFrame("in0", frame);
            }

            @Override
            public List<byte[]> delivered(final byte[] group, final int port) {
                return network.delivered("out0", group, port);
            }

            @Override
            public void settle() {
                network.settle();
            }

            @Override
            public PassedDescriptor newInput(final String name) {
                if (network.interfaceIndex(name) == 0) {
                    network.createLinkUp(name);
                }
                final SharedDescriptor handle = network.openInput(name).join(rxRingFrames);
                handles.add(handle);
                return handle;
            }

            @Override
            public void injectFrame(final String name, final byte[] frame) {
                network.injectFrame(name, frame);
            }

            @Override
            public long openDescriptors() {
                long open = 0;
                for (final SharedDescriptor handle : handles) {
                    open += handle.isOpen() ? 1 : 0;
                }
                return open;
            }

            @Override
            public void close() {
                io.close();
            }
        };
    }

    private static SimNetwork network() {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp("in0");
        network.createLinkUp("out0");
        return network;
    }

    /** A new I/O reading a new member (ring of {@code ringFrames}) of a new input group on {@code link}. */
    private static SimPacketIo attached(final SimNetwork network, final String link, final int ringFrames) {
        final SimPacketIo io = network.attach();
        io.attachInput(link, network.openInput(link).join(ringFrames));
        return io;
    }

    private static int poll(final SimPacketIo io) {
        return io.pollFrames((ifIndex, frame, offset, length) -> { }, 1 << 16);
    }

    private static int send(final SimPacketIo io, final int destination, final byte[] payload, final long userData) {
        return io.send(destination, new UnsafeBuffer(payload), 0, payload.length, userData);
    }

    /** Every completion as {userData, result}, in order. */
    private static List<long[]> completions(final SimPacketIo io) {
        final List<long[]> completions = new ArrayList<>();
        io.pollCompletions((userData, result) -> completions.add(new long[] {userData, result}), 1000);
        return completions;
    }

    @Test
    void aFullEgressQueueCompletesWithEagainAndIsCounted() {
        final SimNetwork network = network();
        network.setEgressCapacity("out0", 2);
        network.setDrainPerStep("out0", 0); // a stalled output: nothing leaves the queue
        final SimPacketIo io = network.attach();
        final int destination = io.openDestination("out0", GROUP, PORT, 0);
        for (int i = 0; i < 3; i++) {
            assertEquals(0, send(io, destination, new byte[] {(byte) i}, i));
        }
        assertEquals(3, io.submit());
        network.step();
        final List<long[]> results = completions(io);
        assertEquals(3, results.size());
        assertEquals(1, results.get(0)[1]);
        assertEquals(1, results.get(1)[1]);
        assertEquals(2L, results.get(2)[0]);
        assertEquals(-PacketIo.EAGAIN, results.get(2)[1]);
        assertEquals(1, network.dropped(SimNetwork.Drop.EGRESS_FULL));
        assertEquals(2, network.egressDepth("out0"));
        assertTrue(network.delivered("out0", GROUP, PORT).isEmpty());

        network.setDrainPerStep("out0", 1); // a slow output: one packet per step
        network.step();
        assertEquals(1, network.delivered("out0", GROUP, PORT).size());
        network.step();
        assertEquals(2, network.delivered("out0", GROUP, PORT).size());
        assertArrayEquals(new byte[] {1}, network.delivered("out0", GROUP, PORT).get(1));

        network.setEgressFullErrno("out0", PacketIo.ENOBUFS);
        network.setDrainPerStep("out0", 0);
        for (int i = 0; i < 3; i++) {
            send(io, destination, new byte[] {9}, 10 + i);
        }
        io.submit();
        network.step();
        assertEquals(-PacketIo.ENOBUFS, completions(io).get(2)[1]);
        assertEquals(1, network.dropped(SimNetwork.Drop.EGRESS_NO_BUFFER_SPACE), "ENOBUFS counted apart");
        assertEquals(1, network.dropped(SimNetwork.Drop.EGRESS_FULL), "EAGAIN's count unchanged");
        assertEquals(PacketIo.SendFailure.NO_BUFFER_SPACE, PacketIo.SendFailure.of(-PacketIo.ENOBUFS));
    }

    /**
     * A member counts as {@code PACKET_STATISTICS} does: each reading returns what came since the last one, whoever
     * read it, and resets it. So a worker that adopts the member its predecessor held (the supervisor's handle kept it
     * open) reads what came after its predecessor's last reading, a closing I/O reads nothing more, and what the I/Os
     * read plus what the network reports unread adds up to what the member was offered.
     */
    @Test
    void aMembersCountsAreReadAndResetWhoeverReadsThem() {
        final SimNetwork network = network();
        final SharedDescriptor supervisors = network.openInput("in0").join(4);
        final SimPacketIo first = network.attach();
        first.attachInput("in0", supervisors.duplicate());
        for (int i = 0; i < 3; i++) {
            network.injectFrame("in0", udpFrame(new byte[] {(byte) i}));
        }
        assertEquals(2, first.pollFrames((ifIndex, frame, offset, length) -> { }, 2));
        assertEquals(List.of(new PacketIo.InputCounts("in0", 3, 0, 0)), first.inputCounts());
        for (int i = 0; i < 5; i++) { // the ring holds 1 + 3; two are refused
            network.injectFrame("in0", udpFrame(new byte[] {(byte) i}));
        }
        first.close(); // dies without another reading
        assertEquals(List.of(new PacketIo.InputCounts("in0", 3, 0, 0)), first.countsAsRead());
        assertArrayEquals(new long[] {5, 2, 4}, network.inputsUnread(), "unread: 5 packets, 2 refused; 4 waiting");

        final SimPacketIo second = network.attach();
        second.attachInput("in0", supervisors.duplicate());
        assertEquals(4, poll(second), "the replacement reads what its predecessor left in the ring");
        assertEquals(List.of(new PacketIo.InputCounts("in0", 5, 2, 0)), second.inputCounts());
        assertEquals(List.of(new PacketIo.InputCounts("in0", 5, 2, 0)), second.inputCounts(),
            "a second reading adds nothing: the first reset them");
        assertArrayEquals(new long[] {0, 0, 0}, network.inputsUnread());
        assertEquals(3 + 5, network.framesReceived() + network.dropped(SimNetwork.Drop.RX_RING_FULL));

        network.injectFrame("in0", udpFrame(new byte[] {9}));
        assertFalse(second.releaseInput("in0"), "a frame waits: not released yet");
        assertEquals(1, poll(second));
        assertTrue(second.releaseInput("in0"));
        assertEquals(List.of(new PacketIo.InputCounts("in0", 6, 2, 0)), second.countsAsRead(),
            "a release reads the counts one last time");
        network.injectFrame("in0", udpFrame(new byte[] {10}));
        supervisors.close();
        assertArrayEquals(new long[] {1, 0, 0}, network.inputsUnread(), "the member left unread: never read");
        assertEquals(1, network.dropped(SimNetwork.Drop.RX_CLOSED), "its frame went with it");
        assertEquals(0, second.pollSendErrors((destination, errno) -> { }, 16));
    }

    @Test
    void aSendToADownOrMissingLinkCompletesWithEnetdown() {
        final SimNetwork network = network();
        final SimPacketIo io = network.attach();
        final int down = io.openDestination("out0", GROUP, PORT, 0);
        final int missing = io.openDestination("gone0", GROUP, PORT, 0);
        network.setUp("out0", false);
        send(io, down, new byte[] {1}, 1L);
        send(io, missing, new byte[] {2}, 2L);
        io.submit();
        network.settle();
        final List<long[]> results = completions(io);
        assertEquals(-PacketIo.ENETUNREACH, results.get(0)[1]);
        assertEquals(-PacketIo.ENETUNREACH, results.get(1)[1]);
        assertEquals(1, network.dropped(SimNetwork.Drop.EGRESS_LINK_DOWN));
        assertEquals(1, network.dropped(SimNetwork.Drop.EGRESS_NO_LINK));
        assertTrue(network.delivered("out0", GROUP, PORT).isEmpty());

        network.setUp("out0", true);
        send(io, down, new byte[] {3}, 3L);
        io.submit();
        network.settle();
        assertEquals(1, completions(io).getFirst()[1]);
        assertEquals(1, network.delivered("out0", GROUP, PORT).size());
    }

    @Test
    void packetsQueuedOnALinkThatGoesDownAreFlushedAndCounted() {
        final SimNetwork network = network();
        network.setDrainPerStep("out0", 0);
        final SimPacketIo io = network.attach();
        final int destination = io.openDestination("out0", GROUP, PORT, 0);
        send(io, destination, new byte[] {1}, 1L);
        send(io, destination, new byte[] {2}, 2L);
        io.submit();
        network.step();
        assertEquals(2, network.egressDepth("out0"));
        network.setUp("out0", false);
        assertEquals(0, network.egressDepth("out0"));
        assertEquals(2, network.dropped(SimNetwork.Drop.EGRESS_FLUSHED));
        network.setUp("out0", true);
        network.setDrainPerStep("out0", SimNetwork.UNLIMITED_DRAIN_PER_STEP);
        network.settle();
        assertTrue(network.delivered("out0", GROUP, PORT).isEmpty());
    }

    /**
     * A link re-created under its name gets a new index; the old group is bound to the index that is gone and gets
     * nothing of the new link, whose frames carry the new index in a new group.
     */
    @Test
    void aRecreatedLinkGetsANewIndexAndItsFramesCarryIt() {
        final SimNetwork network = network();
        final SimPacketIo io = attached(network, "in0", 16);
        final int before = io.interfaceIndex("in0");
        network.deleteLink("in0");
        assertEquals(0, io.interfaceIndex("in0"));
        network.injectFrame("in0", udpFrame(new byte[] {1}));
        assertEquals(1, network.dropped(SimNetwork.Drop.INGRESS_NO_LINK));
        network.createLink("in0");
        final int after = io.interfaceIndex("in0");
        assertTrue(after > 0);
        assertNotEquals(before, after);
        network.injectFrame("in0", udpFrame(new byte[] {2}));
        assertEquals(1, network.dropped(SimNetwork.Drop.INGRESS_LINK_DOWN), "a new link starts down");
        network.setUp("in0", true);
        network.injectFrame("in0", udpFrame(new byte[] {3}));
        assertEquals(0, poll(io), "the old group is bound to the old index");
        assertEquals(1, network.dropped(SimNetwork.Drop.INGRESS_NO_RECEIVER));
        assertTrue(io.releaseInput("in0"));
        io.attachInput("in0", network.openInput("in0").join());
        network.injectFrame("in0", udpFrame(new byte[] {4}));
        final List<Integer> indices = new ArrayList<>();
        io.pollFrames((ifIndex, frame, offset, length) -> indices.add(ifIndex), 16);
        assertEquals(List.of(after), indices);
    }

    @Test
    void theSubmissionQueueIsBoundedUntilCompletionsArePolled() {
        final SimNetwork network = network();
        final SimPacketIo io = network.attach(4);
        final int destination = io.openDestination("out0", GROUP, PORT, 0);
        for (int i = 0; i < 4; i++) {
            assertEquals(0, send(io, destination, new byte[] {(byte) i}, i));
        }
        assertEquals(PacketIo.SEND_QUEUE_FULL, send(io, destination, new byte[] {4}, 4L));
        io.submit();
        network.settle();
        // Taken by the network, but a send holds its slot until its completion is polled.
        assertEquals(PacketIo.SEND_QUEUE_FULL, send(io, destination, new byte[] {4}, 4L));
        assertEquals(4, completions(io).size());
        assertEquals(0, send(io, destination, new byte[] {4}, 4L));
        assertEquals(4, network.delivered("out0", GROUP, PORT).size());
    }

    @Test
    void theReceiveRingIsBoundedAndOverflowIsCounted() {
        final SimNetwork network = network();
        final SimPacketIo io = attached(network, "in0", 2);
        for (int i = 0; i < 3; i++) {
            network.injectFrame("in0", udpFrame(new byte[] {(byte) i}));
        }
        assertEquals(2, io.rxDepth());
        assertEquals(1, network.dropped(SimNetwork.Drop.RX_RING_FULL));
        assertEquals(3, network.framesInjected());
        assertEquals(2, network.framesReceived());
        final List<byte[]> frames = new ArrayList<>();
        assertEquals(2, io.pollFrames((ifIndex, frame, offset, length) -> {
            final byte[] copy = new byte[length];
            frame.getBytes(offset, copy);
            frames.add(copy);
        }, 16));
        assertArrayEquals(udpFrame(new byte[] {0}), frames.get(0));
        assertArrayEquals(udpFrame(new byte[] {1}), frames.get(1));
    }

    @Test
    void aReceivedFrameIsLentOnlyForTheCallback() {
        final SimNetwork network = network();
        final SimPacketIo io = attached(network, "in0", 16);
        network.injectFrame("in0", udpFrame(new byte[] {1, 2, 3}));
        final DirectBuffer[] kept = new DirectBuffer[1];
        io.pollFrames((ifIndex, frame, offset, length) -> kept[0] = frame, 1);
        assertThrows(IndexOutOfBoundsException.class, () -> kept[0].getByte(0));
    }

    @Test
    void oneCloseReleasesADestinationAndItsPendingSendStillCompletes() {
        final SimNetwork network = network();
        final SimPacketIo io = network.attach();
        final int first = io.openDestination("out0", GROUP, PORT, 0);
        assertEquals(first, io.openDestination("out0", GROUP, PORT, 0));
        assertNotEquals(first, io.openDestination("out0", GROUP, PORT, 16), "another TTL is another socket");
        send(io, first, new byte[] {5}, 5L);
        io.closeDestination(first);
        assertThrows(IllegalArgumentException.class, () -> io.closeDestination(first));
        assertThrows(IllegalArgumentException.class, () -> send(io, first, new byte[] {6}, 6L));
        io.submit();
        network.settle();
        assertEquals(1, completions(io).getFirst()[1]);
        assertEquals(1, network.delivered("out0", GROUP, PORT).size());
        assertEquals(1, io.openDestinations());
    }

    /**
     * A link with no input open delivers to nobody, however many I/Os there are; each input group open on a link gets
     * its own copy of a frame (sockets of two fanout groups), and a group whose members all left gets nothing more.
     */
    @Test
    void aLinkDeliversOnlyToTheInputGroupsOpenOnIt() {
        final SimNetwork network = network();
        final SimPacketIo idle = network.attach();
        network.injectFrame("in0", udpFrame(new byte[] {1}));
        assertEquals(0, idle.rxDepth());
        assertEquals(1, network.dropped(SimNetwork.Drop.INGRESS_NO_RECEIVER));
        assertEquals(0, network.framesReceived());

        final SimPacketIo first = attached(network, "in0", 16);
        final SimPacketIo second = attached(network, "in0", 16);
        network.injectFrame("in0", udpFrame(new byte[] {2}));
        assertEquals(1, first.rxDepth());
        assertEquals(1, second.rxDepth());
        assertEquals(2, network.framesReceived(), "one frame, taken by two groups");
        assertEquals(1, poll(first));
        assertEquals(0, poll(first));
        assertTrue(first.releaseInput("in0"));
        network.injectFrame("in0", udpFrame(new byte[] {3}));
        assertEquals(0, first.rxDepth());
        assertEquals(2, second.rxDepth());
        assertEquals(1, network.dropped(SimNetwork.Drop.INGRESS_NO_RECEIVER));
    }

    /**
     * A group's filter decides what its members are offered, before the fan-out: a refused frame is
     * {@link SimNetwork.Drop#FILTERED} and no member's packet; a new filter applies to the next frame.
     */
    @Test
    void aGroupsFilterDecidesWhatItsMembersAreOffered() {
        final SimNetwork network = network();
        final SimInputGroup group = network.openInput("in0");
        final SimPacketIo io = network.attach();
        io.attachInput("in0", group.join());
        network.injectFrame("in0", flowFrame(1, 5001));
        final byte[] notUdp = flowFrame(1, 5001);
        notUdp[23] = 6; // TCP
        network.injectFrame("in0", notUdp);
        assertEquals(1, poll(io), "the coarse filter until one is set: IPv4/UDP only");
        group.setFilter(SimInputFilter.of(new java.util.TreeSet<>(List.of(
            new io.mcrelay.seam.InputSockets.Destination(0xEF010101, 5001)))));
        network.injectFrame("in0", flowFrame(1, 5001));
        network.injectFrame("in0", flowFrame(1, 5002));
        network.injectFrame("in0", flowFrame(2, 5001));
        assertEquals(1, poll(io), "only 239.1.1.1:5001");
        assertEquals(3, network.dropped(SimNetwork.Drop.FILTERED));
        assertEquals(List.of(new PacketIo.InputCounts("in0", 2, 0, 0)), io.inputCounts(),
            "filtered frames are no member's packets");
        group.setFilter(SimInputFilter.of(new java.util.TreeSet<>()));
        network.injectFrame("in0", flowFrame(1, 5001));
        assertEquals(0, poll(io), "no destination: nothing passes");
    }

    @Test
    void theSteadyStatePacketPathAllocatesNothing() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final SimNetwork network = network();
        network.setRecordLimit(0); // recording payloads for delivered() is the test's, not the data path's
        final SimPacketIo io = attached(network, "in0", SimInputGroup.DEFAULT_RING_FRAMES);
        final int destination = io.openDestination("out0", GROUP, PORT, 0);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[1200]);
        final byte[] frame = udpFrame(new byte[1200]);
        final long[] sink = new long[1];
        final PacketIo.FrameHandler onFrame = (ifIndex, buffer, offset, length) -> {
            sink[0] += buffer.getByte(offset + length - 1);
            io.send(destination, payload, 0, payload.capacity(), length);
        };
        final PacketIo.CompletionHandler onComplete = (userData, result) -> sink[0] += result;
        final Runnable cycle = () -> {
            for (int i = 0; i < 16; i++) {
                network.injectFrame("in0", frame);
            }
            io.pollFrames(onFrame, 64);
            io.submit();
            network.step();
            io.pollCompletions(onComplete, 64);
        };
        for (int i = 0; i < 20_000; i++) {
            cycle.run(); // warm up, so that one-time costs (class loading, JIT) fall outside the measurement
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        assertTrue(before > 0, "this JVM measures allocation per thread"); // else the test below could not fail
        final int cycles = 10_000;
        for (int i = 0; i < cycles; i++) {
            cycle.run();
        }
        final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
        // 160,000 frames and as many sends: even 1 byte each would show; the slack is for the MXBean itself.
        assertTrue(allocatedBytes < 16 * 1024, "allocated " + allocatedBytes + " bytes");
        assertEquals(16L * (20_000 + cycles), network.packetsDelivered());
        assertEquals(0, network.dropped(SimNetwork.Drop.EGRESS_FULL));
    }

    /** A frame of flow {@code group}:{@code port} (IPv4/UDP to 239.1.{@code group}.1). */
    private static byte[] flowFrame(final int group, final int port) {
        final byte[] frame = udpFrame(new byte[] {(byte) group, (byte) port});
        frame[32] = (byte) group;
        frame[36] = (byte) (port >>> 8);
        frame[37] = (byte) port;
        return frame;
    }

    /**
     * A frame on a link with an input group goes to exactly one member, the one {@link FlowHash} picks for its flow,
     * and to no I/O outside the group; a member that leaves is replaced by the last one, as the kernel does, and the
     * network counts every frame once.
     */
    @Test
    void anInputGroupGivesEachFrameToTheMemberTheFlowHashPicks() {
        final SimNetwork network = network();
        network.createLinkUp("in1");
        final SimInputGroup group = network.openInput("in1");
        final List<SimPacketIo> ios = new ArrayList<>();
        final List<SharedDescriptor> members = new ArrayList<>();
        final SimPacketIo outsider = network.attach();
        for (int i = 0; i < 3; i++) {
            final SimPacketIo io = network.attach();
            final SharedDescriptor member = group.join();
            members.add(member);
            assertEquals(network.interfaceIndex("in1"), io.attachInput("in1", member));
            ios.add(io);
        }
        assertEquals(3, group.members());
        final int[] expected = new int[3];
        for (int flow = 0; flow < 60; flow++) {
            final byte[] frame = flowFrame(flow % 7, 5000 + flow);
            final int member = FlowHash.member(FlowHash.ofFrame(new UnsafeBuffer(frame), 0, frame.length), 3);
            expected[member]++;
            network.injectFrame("in1", frame);
            for (int i = 0; i < 3; i++) {
                final int[] got = {0};
                ios.get(i).pollFrames((ifIndex, buffer, offset, length) -> got[0]++, 16);
                assertEquals(i == member ? 1 : 0, got[0], "flow " + flow + " goes to member " + member + " only");
            }
        }
        assertTrue(expected[0] > 0 && expected[1] > 0 && expected[2] > 0, "the flows spread: "
            + Arrays.toString(expected));
        assertEquals(0, outsider.pollFrames((ifIndex, buffer, offset, length) -> { }, 16),
            "an I/O outside the group gets nothing of the link");
        assertEquals(60, network.framesReceived());

        assertTrue(ios.get(1).releaseInput("in1"));
        assertEquals(2, group.members());
        assertEquals(1, group.memberIndex(members.get(2)), "the last member takes the leaving one's place");
        assertEquals(-1, group.memberIndex(members.get(1)));
        for (int flow = 0; flow < 20; flow++) {
            final byte[] frame = flowFrame(flow % 5, 6000 + flow);
            final int member = FlowHash.member(FlowHash.ofFrame(new UnsafeBuffer(frame), 0, frame.length), 2);
            network.injectFrame("in1", frame);
            final SimPacketIo receiver = member == 0 ? ios.get(0) : ios.get(2);
            assertEquals(1, receiver.pollFrames((ifIndex, buffer, offset, length) -> { }, 16));
        }
        final SimPacketIo joined = network.attach();
        final SharedDescriptor fourth = group.join();
        joined.attachInput("in1", fourth);
        assertEquals(2, group.memberIndex(fourth), "a joining member is appended");
        for (final SimPacketIo io : ios) {
            io.close();
        }
        assertEquals(1, group.members(), "closing an I/O closes its members' handles");
        assertEquals(0, network.dropped(SimNetwork.Drop.RX_CLOSED));
    }

    /**
     * After a leave the last member holds the leaver's place; a link that goes down and comes back up links its
     * members again in the order they joined, as {@code packet_notifier} does.
     */
    @Test
    void aLinkComingBackUpLinksTheMembersInJoiningOrder() {
        final SimNetwork network = network();
        final SimInputGroup group = network.openInput("in0");
        final SharedDescriptor first = group.join();
        final SharedDescriptor second = group.join();
        final SharedDescriptor third = group.join();
        first.close();
        assertEquals(0, group.memberIndex(third), "the last member took the leaver's place");
        assertEquals(1, group.memberIndex(second));
        network.setUp("in0", false);
        network.setUp("in0", true);
        assertEquals(0, group.memberIndex(second), "joining order again");
        assertEquals(1, group.memberIndex(third));
        second.close();
        third.close();
    }

    /** A member's full ring refuses frames, counted by the I/O that reads it and by the network alike. */
    @Test
    void aMembersFullRingIsCountedAsRingFull() {
        final SimNetwork network = network();
        network.createLinkUp("in1");
        final SimPacketIo io = network.attach();
        io.attachInput("in1", network.openInput("in1").join(4));
        for (int i = 0; i < 10; i++) {
            network.injectFrame("in1", udpFrame(new byte[] {(byte) i}));
        }
        assertEquals(4, io.pollFrames((ifIndex, buffer, offset, length) -> { }, 64));
        assertEquals(List.of(new PacketIo.InputCounts("in1", 10, 6, 0)), io.inputCounts());
        assertEquals(6, network.dropped(SimNetwork.Drop.RX_RING_FULL));
        assertEquals(4, network.framesReceived());
    }
}
