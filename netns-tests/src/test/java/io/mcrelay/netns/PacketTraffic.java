package io.mcrelay.netns;

import io.mcrelay.linux.packet.PacketRxRing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Traffic for the packet-socket suites: UDP datagrams and a TCP connection attempt sent from inside a namespace,
 * and frames read from a {@link PacketRxRing} decoded into {@link Frame}s.
 */
final class PacketTraffic {
    private static final ValueLayout.OfShort BIG_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.BIG_ENDIAN);
    /** Well over the suites' 10 ms block retire timeout. */
    private static final long RETIRE_WAIT_MS = 100;

    private PacketTraffic() {
    }

    /** A frame as the ring delivered it: IPv4 protocol (-1 for non-IPv4), destination, UDP port and text. */
    record Frame(int protocol, String destination, int port, String payload) {
        boolean isUdp() {
            return protocol == 17;
        }
    }

    /** Wires {@code sender}'s "va" (10.99.0.1/24) to {@code receiver}'s "vb" (10.99.0.2/24) with a veth pair. */
    static void link(final Netns sender, final Netns receiver) {
        Netns.vethPair(sender, "va", receiver, "vb");
        Netns.addAddress(sender, "va", "10.99.0.1/24");
        Netns.addAddress(receiver, "vb", "10.99.0.2/24");
    }

    /** A datagram to send: {@code text} to {@code group}:{@code port}. */
    record Datagram(String group, int port, String text) {
    }

    /** Sends {@code text} to {@code group}:{@code port} out of {@code ifName} in {@code netns}. */
    static void sendUdp(final Netns netns, final String ifName, final String group, final int port,
        final String text) throws Exception {
        sendUdp(netns, ifName, List.of(new Datagram(group, port, text)));
    }

    /**
     * Sends {@code datagrams} in order from one socket, in one go: quickly enough that rings with a few blocks
     * (each retired after 10 ms however full) do not overflow before the test polls them.
     */
    static void sendUdp(final Netns netns, final String ifName, final List<Datagram> datagrams) throws Exception {
        netns.call(() -> {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName(ifName));
                for (final Datagram datagram : datagrams) {
                    channel.send(ByteBuffer.wrap(datagram.text().getBytes(StandardCharsets.US_ASCII)),
                        new InetSocketAddress(datagram.group(), datagram.port()));
                }
            }
            return null;
        });
    }

    /** A TCP SYN to {@code address} port 9 from {@code netns}; nothing listens, so an RST comes back. */
    static void tcpConnectAttempt(final Netns netns, final String address) throws Exception {
        netns.call(() -> {
            try (SocketChannel channel = SocketChannel.open()) {
                channel.connect(new InetSocketAddress(address, 9));
            } catch (final java.net.ConnectException expected) {
                // refused: the SYN went out, which is all we need
            }
            return null;
        });
    }

    /** Drains {@code ring} into {@code into}. */
    static void drain(final PacketRxRing ring, final List<Frame> into) {
        ring.poll((frame, offset, length, wire) -> into.add(decode(frame, offset, length)));
    }

    /**
     * Drops what {@code ring} holds, after the block retire timeout has passed, so that frames queued before a
     * filter change (in a block not yet handed over) are not mistaken for frames that passed the new filter. The
     * sleep is a settle delay, not a wait: no condition says that every such block was handed over.
     */
    static void discardQueued(final PacketRxRing ring) throws InterruptedException {
        Thread.sleep(RETIRE_WAIT_MS);
        ring.poll((frame, offset, length, wire) -> { });
    }

    /**
     * Polls {@code rings} into {@code into} (one list per ring) until {@code done} (a {@link Waits.Pace#DELIVERY}
     * wait for {@code what}), then, after the block retire timeout, once more: frames that should not have come get
     * their chance to show up.
     */
    static void pollUntil(final List<PacketRxRing> rings, final List<List<Frame>> into, final String what,
        final BooleanSupplier done) throws InterruptedException {
        Waits.until(Waits.Pace.DELIVERY, what, () -> {
            for (int i = 0; i < rings.size(); i++) {
                drain(rings.get(i), into.get(i));
            }
            return done.getAsBoolean();
        }, () -> "frames so far, per ring: " + into + "\nkernel counts, per ring: "
            + rings.stream().map(PacketRxRing::statistics).toList());
        Thread.sleep(RETIRE_WAIT_MS); // a settle delay, not a wait: frames handed to any ring are visible now
        for (int i = 0; i < rings.size(); i++) {
            drain(rings.get(i), into.get(i));
        }
    }

    /** One empty list per ring. */
    static List<List<Frame>> lists(final int count) {
        final List<List<Frame>> lists = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lists.add(new ArrayList<>());
        }
        return lists;
    }

    /** True when {@code frames} holds a UDP datagram with {@code payload}. */
    static boolean has(final List<Frame> frames, final String payload) {
        return frames.stream().anyMatch(f -> f.isUdp() && payload.equals(f.payload()));
    }

    static Frame decode(final MemorySegment frame, final long offset, final int length) {
        if (length < 14 + 20 || (frame.get(BIG_SHORT, offset + 12) & 0xFFFF) != 0x0800) {
            return new Frame(-1, "", -1, "");
        }
        final long ip = offset + 14;
        final int protocol = frame.get(ValueLayout.JAVA_BYTE, ip + 9) & 0xFF;
        final String destination = (frame.get(ValueLayout.JAVA_BYTE, ip + 16) & 0xFF) + "."
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 17) & 0xFF) + "."
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 18) & 0xFF) + "."
            + (frame.get(ValueLayout.JAVA_BYTE, ip + 19) & 0xFF);
        final long udp = ip + (frame.get(ValueLayout.JAVA_BYTE, ip) & 0xF) * 4;
        if (protocol != 17 || udp + 8 > offset + length) {
            return new Frame(protocol, destination, -1, "");
        }
        final int port = frame.get(BIG_SHORT, udp + 2) & 0xFFFF;
        final int payloadBytes = Math.min((frame.get(BIG_SHORT, udp + 4) & 0xFFFF) - 8, (int) (offset + length - udp
            - 8));
        final byte[] payload = frame.asSlice(udp + 8, Math.max(0, payloadBytes)).toArray(ValueLayout.JAVA_BYTE);
        return new Frame(protocol, destination, port, new String(payload, StandardCharsets.US_ASCII));
    }
}
