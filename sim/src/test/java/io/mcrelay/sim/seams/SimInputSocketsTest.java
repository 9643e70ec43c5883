package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.UdpFrameEncoder;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.InputSocketsContract;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The simulated input sockets keep the {@link InputSocketsContract} over a {@link SimNetwork} with {@code in0} and
 * {@code in1} up and three workers, reading a member straight from its ring; and, beyond the contract, the
 * supervisor's handles keep a member (and what waits in it) across the worker that read it, closing the sockets
 * (the supervisor's death) lets go of every member no worker holds, and a link that does not exist is not opened
 * until it is wanted again.
 */
class SimInputSocketsTest extends InputSocketsContract {
    private static final int WORKERS = 3;
    private static final int SOURCE = 0x0A000001;

    @Override
    protected Harness createHarness() {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp(IN0);
        network.createLinkUp(IN1);
        final SimInputSockets sockets = new SimInputSockets(network, WORKERS, 64);
        return new Harness() {
            @Override
            public InputSockets sockets() {
                return sockets;
            }

            @Override
            public int workers() {
                return WORKERS;
            }

            @Override
            public void send(final String link, final List<Datagram> datagrams) {
                for (final Datagram datagram : datagrams) {
                    inject(network, link, datagram.group(), datagram.port(), datagram.text());
                }
            }

            @Override
            public List<String> read(final PassedDescriptor member) {
                return drain((SimInputGroup.Member) ((SharedDescriptor) member).referent());
            }

            @Override
            public void settle() {
                // Frames are in the rings as soon as they are injected.
            }

            @Override
            public void recreate(final String link) {
                network.deleteLink(link);
                network.createLinkUp(link);
            }

            @Override
            public void close() {
                sockets.close();
            }
        };
    }

    private static void inject(final SimNetwork network, final String link, final int group, final int port,
                               final String text) {
        final byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrameEncoder.frameLength(payload.length, false)]);
        final int length = UdpFrameEncoder.write(frame, 0, -1, SOURCE, group, 40000, port, 8, payload);
        network.injectFrame(link, frame, 0, length);
    }

    /** The UDP payloads of the frames waiting in {@code member}'s ring, taken out. */
    private static List<String> drain(final SimInputGroup.Member member) {
        final List<String> payloads = new ArrayList<>();
        while (member.depth() > 0) {
            final UnsafeBuffer frame = new UnsafeBuffer(member.peekFrame(), 0, member.peekLength());
            final int udp = 14 + 4 * (frame.getByte(14) & 0x0F);
            final int length = (frame.getShort(udp + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF) - 8;
            final byte[] payload = new byte[length];
            frame.getBytes(udp + 8, payload);
            payloads.add(new String(payload, StandardCharsets.US_ASCII));
            member.remove(false);
        }
        return payloads;
    }

    private static SimInputGroup.Member memberOf(final PassedDescriptor handle) {
        return (SimInputGroup.Member) ((SharedDescriptor) handle).referent();
    }

    /**
     * A worker's member outlives the worker: what arrives after the worker closed its handle waits in the member,
     * which the supervisor hands over again, the same one, to the worker's replacement.
     */
    @Test
    void aMemberOutlivesTheWorkerThatHeldItWithWhatArrivedMeanwhile() {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp(IN0);
        final SimInputSockets sockets = new SimInputSockets(network, 1, 64);
        sockets.setWanted(new TreeSet<>(Set.of(IN0)));
        final SimPacketIo first = network.attach();
        first.attachInput(IN0, sockets.member(IN0, 0));
        inject(network, IN0, 0xEF070101, 5000, "read by the first");
        assertEquals(1, first.pollFrames((ifIndex, frame, offset, length) -> { }, 16));
        first.close(); // the worker dies
        inject(network, IN0, 0xEF070101, 5000, "waits for the replacement");
        assertEquals(0, network.dropped(SimNetwork.Drop.RX_CLOSED));
        final PassedDescriptor again = sockets.member(IN0, 0);
        assertEquals(List.of("waits for the replacement"), drain(memberOf(again)));
        again.close();
        assertEquals(List.of("open in0"), sockets.log());
    }

    /** The supervisor's death closes its handles: a member no worker holds leaves with its frames. */
    @Test
    void closingLetsGoOfEveryMemberNoWorkerHolds() {
        final SimNetwork network = new SimNetwork();
        network.createLinkUp(IN0);
        final SimInputSockets sockets = new SimInputSockets(network, 2, 64);
        sockets.setWanted(new TreeSet<>(Set.of(IN0)));
        final SimInputGroup group = sockets.group(IN0);
        final SimPacketIo worker = network.attach();
        worker.attachInput(IN0, sockets.member(IN0, 1));
        for (int port = 5000; port < 5016; port++) {
            inject(network, IN0, 0xEF070101, port, "p" + port);
        }
        final int held = worker.rxDepth();
        assertTrue(held > 0 && held < 16, "the flows spread over both members: " + held);
        sockets.close();
        assertEquals(1, group.members(), "the worker's member stays while it holds it");
        assertEquals(16 - held, network.dropped(SimNetwork.Drop.RX_CLOSED));
        assertEquals(-1, sockets.generation(IN0));
        assertNull(sockets.member(IN0, 0));
        assertThrows(IllegalStateException.class, () -> sockets.setWanted(new TreeSet<>()));
        worker.close();
        assertEquals(0, group.members());
    }

    /** A wanted link that does not exist is left closed, and opened by the next setWanted once it exists. */
    @Test
    void aLinkThatDoesNotExistIsOpenedOnceItDoes() {
        final SimNetwork network = new SimNetwork();
        final SimInputSockets sockets = new SimInputSockets(network, 1, 64);
        sockets.setWanted(new TreeSet<>(Set.of(IN0)));
        assertEquals(-1, sockets.generation(IN0));
        network.createLinkUp(IN0);
        sockets.setWanted(new TreeSet<>(Set.of(IN0)));
        assertEquals(1, sockets.generation(IN0));
        assertEquals(List.of("open in0"), sockets.log());
    }
}
