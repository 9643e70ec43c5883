package io.mcrelay.sim.seams;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SortedSet;
import java.util.TreeSet;

import org.agrona.DirectBuffer;

import io.mcrelay.seam.InputSockets;

/**
 * The socket filter of a simulated input's packet sockets: what {@code io.mcrelay.linux.packet.PacketPrograms}' filters
 * let through, decided in Java on the same bytes, for a frame arriving on the wire (never one this host sent, which the
 * programs drop first). A property test runs both on the same frames through the classic-BPF interpreter.
 *
 * <ul>
 * <li>{@link #COARSE} ({@code coarseUdpFilter}, what sockets carry until a filter is set): EtherType IPv4 and IP
 *   protocol UDP, whatever the destination.</li>
 * <li>{@link #of} with at most {@link #EXACT_ENTRIES_MAX} destinations ({@code exactUdpFilter}): besides, a first
 *   fragment (or whole datagram) whose IPv4 header length is at least 20 bytes and whose (destination address, UDP
 *   destination port) is one of the set; a non-first fragment whose destination address is one of the set's
 *   addresses. With none, nothing passes.</li>
 * <li>Above {@link #EXACT_ENTRIES_MAX} destinations, the coarse filter (as {@code PacketPrograms.udpFilter} falls
 *   back).</li>
 * </ul>
 *
 * <p>A program's load past the frame's end ends it with 0 (drop): so does a frame too short for a field read here,
 * in the programs' order. Immutable; {@link #accepts} allocates nothing.
 */
public final class SimInputFilter {
    /** {@code PacketPrograms.EXACT_ENTRIES_MAX}: the most (address, port) entries the exact filter matches. */
    public static final int EXACT_ENTRIES_MAX = 256;
    /** Incoming IPv4/UDP, whatever the destination. */
    public static final SimInputFilter COARSE = new SimInputFilter(null, null, null);

    private static final int ETHERTYPE = 12;
    private static final int IP = 14;
    private static final int ETH_P_IP = 0x0800;
    private static final int IPPROTO_UDP = 17;
    private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    private static final int IPV4_HEADER_BYTES_MIN = 20;

    /** Exact entries, sorted by (address unsigned, port): addresses[i], ports[i]; null for the coarse filter. */
    private final int[] addresses;
    private final int[] ports;
    /** The distinct addresses, for non-first fragments. */
    private final int[] distinctAddresses;

    private SimInputFilter(final int[] addresses, final int[] ports, final int[] distinctAddresses) {
        this.addresses = addresses;
        this.ports = ports;
        this.distinctAddresses = distinctAddresses;
    }

    /** The filter for exactly {@code destinations}, or {@link #COARSE} above {@link #EXACT_ENTRIES_MAX} of them. */
    public static SimInputFilter of(final SortedSet<InputSockets.Destination> destinations) {
        final TreeSet<InputSockets.Destination> sorted = new TreeSet<>(destinations);
        if (sorted.size() > EXACT_ENTRIES_MAX) {
            return COARSE;
        }
        final int[] addresses = new int[sorted.size()];
        final int[] ports = new int[sorted.size()];
        int i = 0;
        for (final InputSockets.Destination destination : sorted) {
            addresses[i] = destination.address();
            ports[i] = destination.port();
            i++;
        }
        final int[] distinct = Arrays.stream(addresses).distinct().toArray(); // sorted already: adjacent duplicates
        return new SimInputFilter(addresses, ports, distinct);
    }

    /** True for the coarse filter: every incoming IPv4/UDP frame passes. */
    public boolean coarse() {
        return addresses == null;
    }

    /** True when the sockets' filter keeps the whole Ethernet frame at {@code offset}, {@code length} bytes. */
    public boolean accepts(final DirectBuffer frame, final int offset, final int length) {
        if (length < ETHERTYPE + 2 || u16(frame, offset + ETHERTYPE) != ETH_P_IP) {
            return false;
        }
        if (length < IP + 10 || (frame.getByte(offset + IP + 9) & 0xFF) != IPPROTO_UDP) {
            return false;
        }
        if (coarse()) {
            return true;
        }
        if ((u16(frame, offset + IP + 6) & FRAGMENT_OFFSET_MASK) != 0) {
            // A non-first fragment has no UDP header: kept for the worker to count when its address is one of ours.
            return length >= IP + 20
                && contains(distinctAddresses, frame.getInt(offset + IP + 16, ByteOrder.BIG_ENDIAN));
        }
        final int headerBytes = 4 * (frame.getByte(offset + IP) & 0x0F);
        if (headerBytes < IPV4_HEADER_BYTES_MIN) {
            return false;
        }
        if (length < IP + headerBytes + 4 || length < IP + 20) {
            return false; // the port (after the real header) or the address lies past the frame's end
        }
        final int port = u16(frame, offset + IP + headerBytes + 2);
        final int address = frame.getInt(offset + IP + 16, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == address && ports[i] == port) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(final int[] values, final int value) {
        for (final int candidate : values) {
            if (candidate == value) {
                return true;
            }
        }
        return false;
    }

    private static int u16(final DirectBuffer frame, final int at) {
        return frame.getShort(at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    @Override
    public String toString() {
        return coarse() ? "coarse IPv4/UDP" : "exact, " + addresses.length + " destinations";
    }
}
