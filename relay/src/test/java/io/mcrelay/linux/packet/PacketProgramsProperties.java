package io.mcrelay.linux.packet;

import static io.mcrelay.linux.packet.ClassicBpfInterpreter.PACKET_MULTICAST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The programs, run by {@link ClassicBpfInterpreter}, against their definitions for generated inputs. Addresses and
 * ports come from small pools so that probes often hit a listed address with an unlisted port and the reverse,
 * the cases a wrong filter would get wrong; sets run up to the entry limit so multi-block addresses occur.
 */
class PacketProgramsProperties {

    @Property(tries = 300)
    void theExactFilterKeepsAFrameIffItsDestinationIsListed(@ForAll("destinationSets") final Set<UdpDestination> set,
        @ForAll("destinations") final UdpDestination probe, @ForAll @IntRange(min = 5, max = 15) final int words) {
        final ClassicBpf exact = PacketPrograms.exactUdpFilter(set);
        final byte[] frame = TestFrames.ipv4(probe.address(), 17, words, 0, false, probe.port(), 4);
        final long expected = set.contains(probe) ? PacketPrograms.KEEP : 0;
        assertEquals(expected, ClassicBpfInterpreter.run(exact, frame, 0, PACKET_MULTICAST), probe + " in " + set);
        for (final UdpDestination listed : set) {
            assertEquals(PacketPrograms.KEEP, ClassicBpfInterpreter.run(exact,
                TestFrames.udp(listed.address(), listed.port()), 0, PACKET_MULTICAST), listed + " is listed");
        }
        assertTrue(exact.length() <= ClassicBpf.MAX_INSTRUCTIONS);
    }

    @Property(tries = 2000)
    void theFanoutProgramComputesTheJavaFlowHash(@ForAll final int address,
        @ForAll @IntRange(max = 0xFFFF) final int port, @ForAll @IntRange(min = 5, max = 15) final int words, @ForAll final boolean ingress) {
        final byte[] frame = TestFrames.ipv4(address, 17, words, 0, false, port, 4);
        final long result = ClassicBpfInterpreter.run(PacketPrograms.flowHashFanout(), frame, ingress ? 14 : 0,
            PACKET_MULTICAST);
        assertEquals(Integer.toUnsignedLong(PacketPrograms.flowHash(address, port)), result);
    }

    @Property(tries = 500)
    void theMemberIsTheUnsignedRemainder(@ForAll final int result, @ForAll @IntRange(min = 1, max = 256) final int n) {
        final int member = PacketPrograms.fanoutMember(result, n);
        assertTrue(member >= 0 && member < n);
        assertEquals(Integer.toUnsignedLong(result) % n, member);
    }

    @Provide
    Arbitrary<UdpDestination> destinations() {
        final Arbitrary<Integer> addresses = Arbitraries.integers().between(0, 40).map(i -> TestFrames.group(7, 0, i));
        final Arbitrary<Integer> ports = Arbitraries.integers().between(5000, 5090);
        return Combinators.combine(addresses, ports).as(UdpDestination::new);
    }

    @Provide
    Arbitrary<Set<UdpDestination>> destinationSets() {
        return destinations().set().ofMaxSize(PacketPrograms.EXACT_ENTRIES_MAX);
    }
}
