package io.mcrelay.linux.packet;

import static io.mcrelay.linux.packet.ClassicBpf.ABS;
import static io.mcrelay.linux.packet.ClassicBpf.ALU;
import static io.mcrelay.linux.packet.ClassicBpf.B;
import static io.mcrelay.linux.packet.ClassicBpf.H;
import static io.mcrelay.linux.packet.ClassicBpf.IND;
import static io.mcrelay.linux.packet.ClassicBpf.JEQ;
import static io.mcrelay.linux.packet.ClassicBpf.JGE;
import static io.mcrelay.linux.packet.ClassicBpf.JMP;
import static io.mcrelay.linux.packet.ClassicBpf.JSET;
import static io.mcrelay.linux.packet.ClassicBpf.K;
import static io.mcrelay.linux.packet.ClassicBpf.LD;
import static io.mcrelay.linux.packet.ClassicBpf.LDX;
import static io.mcrelay.linux.packet.ClassicBpf.MEM;
import static io.mcrelay.linux.packet.ClassicBpf.MISC;
import static io.mcrelay.linux.packet.ClassicBpf.MSH;
import static io.mcrelay.linux.packet.ClassicBpf.MUL;
import static io.mcrelay.linux.packet.ClassicBpf.RET;
import static io.mcrelay.linux.packet.ClassicBpf.RSH;
import static io.mcrelay.linux.packet.ClassicBpf.SKF_AD_OFF;
import static io.mcrelay.linux.packet.ClassicBpf.SKF_AD_PKTTYPE;
import static io.mcrelay.linux.packet.ClassicBpf.SKF_AD_PROTOCOL;
import static io.mcrelay.linux.packet.ClassicBpf.SKF_NET_OFF;
import static io.mcrelay.linux.packet.ClassicBpf.ST;
import static io.mcrelay.linux.packet.ClassicBpf.TAX;
import static io.mcrelay.linux.packet.ClassicBpf.TXA;
import static io.mcrelay.linux.packet.ClassicBpf.W;
import static io.mcrelay.linux.packet.ClassicBpf.X;
import static io.mcrelay.linux.packet.ClassicBpf.XOR;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

import io.mcrelay.seam.support.FlowHash;

/**
 * The classic-BPF programs of the receive side, built in pure Java (unit-tested through an interpreter, no root
 * needed); {@link PacketRxRing} attaches them.
 *
 * <ul>
 * <li>{@link #coarseUdpFilter()}: a socket filter keeping incoming IPv4/UDP.</li>
 * <li>{@link #exactUdpFilter}: a socket filter keeping incoming IPv4/UDP to a set of (destination address,
 *   destination port), exact up to {@link #EXACT_ENTRIES_MAX} entries; {@link #udpFilter} falls back to the coarse
 *   filter above that (the worker's lookup is exact either way).</li>
 * <li>{@link #flowHashFanout()}: the {@code PACKET_FANOUT_CBPF} program that hashes (destination address,
 *   destination port) so each flow lands on one member; {@link #flowHash} is the same function in Java and
 *   {@link #fanoutMember} the kernel's mapping of its result to a member.</li>
 * </ul>
 *
 * <p>Socket filters run with the packet starting at the Ethernet header (the kernel pushes it back for
 * {@code SOCK_RAW} before {@code run_filter}), so they use absolute offsets: IPv4 at 14. The fanout program runs
 * earlier ({@code packet_rcv_fanout}), where incoming frames start at the network header and outgoing ones at the
 * Ethernet header, so it reads only through {@code SKF_NET_OFF} and {@code SKF_AD_PROTOCOL}, which mean the same in
 * both. Stateless and thread-safe.
 */
public final class PacketPrograms {
    /** The most (address, port) entries the exact filter matches; above it {@link #udpFilter} is coarse. */
    public static final int EXACT_ENTRIES_MAX = 256;
    /** Ports compared in one block of the exact filter (keeps every conditional jump within 255). */
    static final int PORTS_PER_BLOCK_MAX = 64;
    /** A filter's "keep": the bytes of the frame to capture (the ring's frames are smaller anyway). */
    static final int KEEP = 0xFFFF;
    /** {@code linux/if_packet.h}: {@code PACKET_OUTGOING}, the packet type of frames this host sends. */
    static final int PACKET_OUTGOING = 4;
    /** {@code linux/if_ether.h}: {@code ETH_P_IP}. */
    static final int ETH_P_IP = 0x0800;
    /** {@code netinet/in.h}: {@code IPPROTO_UDP}. */
    static final int IPPROTO_UDP = 17;
    /** Offsets into an Ethernet frame: EtherType, then the IPv4 header's fields. */
    private static final int ETHERTYPE = 12;
    private static final int IP = 14;
    private static final int IP_FRAGMENT = 6; // flags (3 bits) and fragment offset (13 bits)
    private static final int IP_PROTOCOL = 9;
    private static final int IP_DESTINATION = 16;
    private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    private static final int UDP_DESTINATION_PORT = 2;
    private static final int IPV4_HEADER_BYTES_MIN = 20;
    /** Constants of {@link #flowHash}: the golden-ratio multiplier and MurmurHash3's finaliser multipliers. */
    static final int HASH_MULTIPLIER_1 = FlowHash.MULTIPLIER_1;
    static final int HASH_MULTIPLIER_2 = FlowHash.MULTIPLIER_2;
    static final int HASH_MULTIPLIER_3 = FlowHash.MULTIPLIER_3;

    private static final ClassicBpf COARSE = buildCoarse();
    private static final ClassicBpf FLOW_HASH = buildFlowHash();

    private PacketPrograms() {
    }

    /** Which filter {@link #udpFilter} chose. */
    public record ReceiveFilter(ClassicBpf program, boolean exact, int entries) {
    }

    /** Incoming IPv4/UDP only: drops frames this host sent, non-IPv4 and non-UDP. */
    public static ClassicBpf coarseUdpFilter() {
        return COARSE;
    }

    /**
     * The exact filter for {@code destinations} when there are at most {@link #EXACT_ENTRIES_MAX} distinct ones,
     * else the coarse filter.
     */
    public static ReceiveFilter udpFilter(final Collection<UdpDestination> destinations) {
        final TreeSet<UdpDestination> distinct = new TreeSet<>(destinations);
        if (distinct.size() > EXACT_ENTRIES_MAX) {
            return new ReceiveFilter(COARSE, false, distinct.size());
        }
        return new ReceiveFilter(exactUdpFilter(distinct), true, distinct.size());
    }

    /**
     * Keeps an incoming IPv4/UDP frame exactly when its (destination address, destination UDP port) is one of
     * {@code destinations}; drops frames this host sent ({@code PACKET_OUTGOING}), non-IPv4, non-UDP, and headers
     * shorter than 20 bytes. The UDP header is found after the IPv4 header's real length ({@code ldx 4*([14]&0xf)},
     * options included). A non-first fragment (fragment offset not 0) carries no UDP header: it is kept when its
     * destination address is one of the set's addresses (whatever the port), for the worker to count, and dropped
     * otherwise. Frames too short for a load are dropped (the kernel aborts the program with 0).
     *
     * <pre>
     *   ld pkttype; jeq #OUTGOING drop; ldh [12]; jne #0x800 drop; ldb [23]; jne #17 drop
     *   ldh [20]; jset #0x1fff -> fragments
     *   ldx 4*([14]&amp;0xf); txa; jlt #20 drop; ldh [x+16]; tax; ld [30]     (X = port, A = address)
     *   per address, ports in blocks of at most 64:
     *     jne #addr next; txa; jeq #port1 keep; ...; ld [30]; ja next; keep: ret #65535; next:
     *   ret #0
     *   fragments: ld [30]; per address: jne #addr +1; ret #65535;  ret #0
     * </pre>
     *
     * @throws IllegalArgumentException above {@link #EXACT_ENTRIES_MAX} distinct entries
     */
    public static ClassicBpf exactUdpFilter(final Collection<UdpDestination> destinations) {
        final TreeSet<UdpDestination> sorted = new TreeSet<>(destinations);
        if (sorted.size() > EXACT_ENTRIES_MAX) {
            throw new IllegalArgumentException("the exact filter matches at most " + EXACT_ENTRIES_MAX
                + " (address, port) entries, not " + sorted.size() + ": use udpFilter() to fall back");
        }
        final ClassicBpf.Builder b = ClassicBpf.builder();
        final ClassicBpf.Label drop = b.label();
        final ClassicBpf.Label fragments = b.label();
        final ClassicBpf.Label firstFragment = b.label();
        final ClassicBpf.Label blocks = b.label();
        ipv4UdpHeader(b, drop);
        b.statement(LD | H | ABS, IP + IP_FRAGMENT);
        b.jump(JMP | JSET | K, FRAGMENT_OFFSET_MASK, null, firstFragment);
        b.jumpAlways(fragments);
        b.place(firstFragment);
        b.statement(LDX | B | MSH, IP); // X = 4 * (IHL)
        b.statement(MISC | TXA, 0);
        b.jump(JMP | JGE | K, IPV4_HEADER_BYTES_MIN, null, drop);
        b.statement(LD | H | IND, IP + UDP_DESTINATION_PORT); // A = UDP destination port at 14 + X + 2
        b.statement(MISC | TAX, 0); // X = port for the rest of the program
        b.statement(LD | W | ABS, IP + IP_DESTINATION);
        b.jumpAlways(blocks);
        b.place(drop);
        b.statement(RET | K, 0);
        b.place(blocks);
        for (final List<UdpDestination> block : blocks(sorted)) {
            final ClassicBpf.Label next = b.label();
            final ClassicBpf.Label keep = b.label();
            b.jump(JMP | JEQ | K, block.getFirst().address(), null, next);
            b.statement(MISC | TXA, 0);
            for (final UdpDestination destination : block) {
                b.jump(JMP | JEQ | K, destination.port(), keep, null);
            }
            b.statement(LD | W | ABS, IP + IP_DESTINATION); // A = address again for the next block
            b.jumpAlways(next);
            b.place(keep);
            b.statement(RET | K, KEEP);
            b.place(next);
        }
        b.statement(RET | K, 0);
        b.place(fragments);
        b.statement(LD | W | ABS, IP + IP_DESTINATION);
        for (final int address : sorted.stream().mapToInt(UdpDestination::address).distinct().toArray()) {
            final ClassicBpf.Label other = b.label();
            b.jump(JMP | JEQ | K, address, null, other);
            b.statement(RET | K, KEEP);
            b.place(other);
        }
        b.statement(RET | K, 0);
        return b.build();
    }

    /** Consecutive entries of one address, at most {@link #PORTS_PER_BLOCK_MAX} to a block. */
    private static List<List<UdpDestination>> blocks(final TreeSet<UdpDestination> sorted) {
        final List<List<UdpDestination>> blocks = new ArrayList<>();
        List<UdpDestination> current = new ArrayList<>();
        for (final UdpDestination destination : sorted) {
            if (!current.isEmpty() && (current.getFirst().address() != destination.address()
                || current.size() == PORTS_PER_BLOCK_MAX)) {
                blocks.add(current);
                current = new ArrayList<>();
            }
            current.add(destination);
        }
        if (!current.isEmpty()) {
            blocks.add(current);
        }
        return blocks;
    }

    /** Not ours, IPv4, UDP; else to {@code drop}. Leaves nothing in A worth keeping. */
    private static void ipv4UdpHeader(final ClassicBpf.Builder b, final ClassicBpf.Label drop) {
        b.statement(LD | W | ABS, SKF_AD_OFF + SKF_AD_PKTTYPE);
        b.jump(JMP | JEQ | K, PACKET_OUTGOING, drop, null);
        b.statement(LD | H | ABS, ETHERTYPE);
        b.jump(JMP | JEQ | K, ETH_P_IP, null, drop);
        b.statement(LD | B | ABS, IP + IP_PROTOCOL);
        b.jump(JMP | JEQ | K, IPPROTO_UDP, null, drop);
    }

    private static ClassicBpf buildCoarse() {
        final ClassicBpf.Builder b = ClassicBpf.builder();
        final ClassicBpf.Label drop = b.label();
        ipv4UdpHeader(b, drop);
        b.statement(RET | K, KEEP);
        b.place(drop);
        b.statement(RET | K, 0);
        return b.build();
    }

    /**
     * The fanout program for {@code PACKET_FANOUT_CBPF}: returns {@link #flowHash}(destination address,
     * destination port) for IPv4/UDP; the kernel sends the frame to member {@code result % members}
     * ({@code fanout_demux_bpf}). A non-first fragment is hashed with port 0 (it has no UDP header; join with
     * {@link FanoutFlag#DEFRAG} to have the kernel reassemble before the program runs). Anything else returns 0:
     * the first member.
     */
    public static ClassicBpf flowHashFanout() {
        return FLOW_HASH;
    }

    private static ClassicBpf buildFlowHash() {
        final ClassicBpf.Builder b = ClassicBpf.builder();
        final ClassicBpf.Label other = b.label();
        final ClassicBpf.Label mixed = b.label();
        b.statement(LD | W | ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
        b.jump(JMP | JEQ | K, ETH_P_IP, null, other);
        b.statement(LD | B | ABS, SKF_NET_OFF + IP_PROTOCOL);
        b.jump(JMP | JEQ | K, IPPROTO_UDP, null, other);
        b.statement(LD | W | ABS, SKF_NET_OFF + IP_DESTINATION);
        b.statement(ALU | MUL | K, HASH_MULTIPLIER_1);
        xorShiftRight(b, 16);
        b.statement(ST, 0);
        b.statement(LD | H | ABS, SKF_NET_OFF + IP_FRAGMENT);
        b.jump(JMP | JSET | K, FRAGMENT_OFFSET_MASK, mixed, null); // non-first fragment: port 0
        b.statement(LDX | B | MSH, SKF_NET_OFF); // X = 4 * IHL
        b.statement(LD | H | IND, SKF_NET_OFF + UDP_DESTINATION_PORT);
        b.statement(MISC | TAX, 0);
        b.statement(LD | MEM, 0);
        b.statement(ALU | XOR | X, 0);
        b.statement(ST, 0);
        b.place(mixed);
        b.statement(LD | MEM, 0);
        b.statement(ALU | MUL | K, HASH_MULTIPLIER_2);
        xorShiftRight(b, 13);
        b.statement(ALU | MUL | K, HASH_MULTIPLIER_3);
        xorShiftRight(b, 16);
        b.statement(RET | ClassicBpf.A, 0);
        b.place(other);
        b.statement(RET | K, 0);
        return b.build();
    }

    /** {@code A ^= A >>> shift}, through M[1] and X. */
    private static void xorShiftRight(final ClassicBpf.Builder b, final int shift) {
        b.statement(ST, 1);
        b.statement(ALU | RSH | K, shift);
        b.statement(MISC | TAX, 0);
        b.statement(LD | MEM, 1);
        b.statement(ALU | XOR | X, 0);
    }

    /** The flow hash, exactly as {@link #flowHashFanout()} computes it: {@link FlowHash#of}. */
    public static int flowHash(final int address, final int port) {
        return FlowHash.of(address, port);
    }

    /** The member a fanout program's result selects: {@link FlowHash#member}. */
    public static int fanoutMember(final int result, final int members) {
        return FlowHash.member(result, members);
    }
}
