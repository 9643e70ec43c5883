package io.mcrelay.linux.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.seam.InputSockets;
import io.mcrelay.sim.seams.SimInputFilter;

/**
 * The simulated inputs' filter decides as the production programs do: for generated destination sets (none, a few,
 * past {@link PacketPrograms#EXACT_ENTRIES_MAX}, where both fall back to the coarse filter) and frames built to hit
 * the edges (listed and unlisted addresses and ports, other EtherTypes and protocols, IPv4 options and header lengths
 * below 20 bytes, first and later fragments, frames cut short at every length), {@link SimInputFilter#accepts} is
 * true exactly when {@link PacketPrograms#udpFilter}'s program, run by the interpreter on an incoming frame, keeps
 * it. Seeded: the same cases every run.
 */
class SimInputFilterAgreesWithTheProgramsTest {
    private static final int CASES = 20_000;

    @Test
    void theSimulatedFilterKeepsWhatTheProgramKeeps() {
        final SplittableRandom random = new SplittableRandom(0x5EED);
        int kept = 0;
        int dropped = 0;
        for (int set = 0; set < 200; set++) {
            final int size = switch (set % 5) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> 1 + random.nextInt(8);
                case 3 -> 1 + random.nextInt(PacketPrograms.EXACT_ENTRIES_MAX);
                default -> set % 25 == 4 ? PacketPrograms.EXACT_ENTRIES_MAX + 1 + random.nextInt(20)
                    : 1 + random.nextInt(70);
            };
            final TreeSet<UdpDestination> production = new TreeSet<>();
            final TreeSet<InputSockets.Destination> simulated = new TreeSet<>();
            while (production.size() < size) {
                final UdpDestination d = new UdpDestination(address(random), port(random));
                production.add(d);
                simulated.add(new InputSockets.Destination(d.address(), d.port()));
            }
            final ClassicBpf program = PacketPrograms.udpFilter(production).program();
            final SimInputFilter filter = set % 7 == 6 ? SimInputFilter.COARSE : SimInputFilter.of(simulated);
            final ClassicBpf reference = filter == SimInputFilter.COARSE ? PacketPrograms.coarseUdpFilter() : program;
            final List<UdpDestination> listed = new ArrayList<>(production);
            for (int i = 0; i < CASES / 200; i++) {
                final byte[] frame = frame(random, listed);
                final boolean expected = ClassicBpfInterpreter.run(reference, frame, 0,
                    ClassicBpfInterpreter.PACKET_MULTICAST) != 0;
                assertEquals(expected, filter.accepts(new UnsafeBuffer(frame), 0, frame.length),
                    () -> "set of " + size + " (" + filter + "), frame " + java.util.HexFormat.of().formatHex(frame));
                if (expected) {
                    kept++;
                } else {
                    dropped++;
                }
            }
        }
        final int keptCases = kept;
        final int droppedCases = dropped;
        assertTrue(kept > CASES / 10 && dropped > CASES / 10, () -> "the cases exercise both answers: kept "
            + keptCases + ", dropped " + droppedCases);
    }

    private static int address(final SplittableRandom random) {
        return 0xEF000000 | random.nextInt(4) << 16 | random.nextInt(4) << 8 | 1 + random.nextInt(3);
    }

    private static int port(final SplittableRandom random) {
        return 5000 + random.nextInt(6);
    }

    /** A frame near the edges: often to a listed destination, then perhaps broken in one way. */
    private static byte[] frame(final SplittableRandom random, final List<UdpDestination> listed) {
        final UdpDestination target = !listed.isEmpty() && random.nextInt(3) > 0
            ? listed.get(random.nextInt(listed.size())) : new UdpDestination(address(random), port(random));
        int address = target.address();
        int port = target.port();
        if (random.nextInt(6) == 0) {
            port = port(random); // a listed address, perhaps another port
        }
        if (random.nextInt(6) == 0) {
            address = address(random); // perhaps another address
        }
        final int words = random.nextInt(8) == 0 ? random.nextInt(16) : 5 + random.nextInt(3) * (random.nextInt(2));
        final int headerBytes = 4 * Math.max(words, 5);
        final byte[] frame = new byte[14 + headerBytes + 8 + 4];
        frame[12] = 0x08;
        frame[14] = (byte) (0x40 | words);
        frame[22] = 1;
        frame[23] = 17;
        putInt(frame, 30, address);
        frame[14 + headerBytes + 2] = (byte) (port >>> 8);
        frame[14 + headerBytes + 3] = (byte) port;
        switch (random.nextInt(10)) {
            case 0 -> frame[13] = (byte) 0xDD; // EtherType 0x08DD: not IPv4
            case 1 -> frame[23] = (byte) (random.nextBoolean() ? 6 : 1); // TCP or ICMP
            case 2 -> { // a later fragment, its "port" bytes anything
                final int offset = 1 + random.nextInt(0x1FFF);
                frame[20] = (byte) (offset >>> 8 | (random.nextBoolean() ? 0x20 : 0));
                frame[21] = (byte) offset;
            }
            case 3 -> frame[20] = 0x20; // more fragments, offset 0: the first fragment
            default -> {
            }
        }
        if (random.nextInt(5) == 0) {
            return java.util.Arrays.copyOf(frame, random.nextInt(frame.length + 1)); // cut short, perhaps to nothing
        }
        return frame;
    }

    private static void putInt(final byte[] frame, final int at, final int value) {
        frame[at] = (byte) (value >>> 24);
        frame[at + 1] = (byte) (value >>> 16);
        frame[at + 2] = (byte) (value >>> 8);
        frame[at + 3] = (byte) value;
    }
}
