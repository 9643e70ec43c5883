package io.mcrelay.linux.packet;

import static io.mcrelay.linux.packet.ClassicBpfInterpreter.PACKET_MULTICAST;
import static io.mcrelay.testing.Generators.booleans;
import static io.mcrelay.testing.Generators.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import io.mcrelay.testing.Generators;

/**
 * The programs, run by {@link ClassicBpfInterpreter}, against their definitions for generated inputs. Addresses and
 * ports come from small pools so that probes often hit a listed address with an unlisted port and the reverse,
 * the cases a wrong filter would get wrong; sets run up to the entry limit so multi-block addresses occur.
 */
class PacketProgramsProperties {

    @Test
    void theExactFilterKeepsAFrameIffItsDestinationIsListed() {
        qt().withExamples(300)
            .forAll(destinationSets(), destinations(), ints(5, 15))
            .checkAssert((set, probe, words) -> {
                final ClassicBpf exact = PacketPrograms.exactUdpFilter(set);
                final byte[] frame = TestFrames.ipv4(probe.address(), 17, words, 0, false, probe.port(), 4);
                final long expected = set.contains(probe) ? PacketPrograms.KEEP : 0;
                assertEquals(expected, ClassicBpfInterpreter.run(exact, frame, 0, PACKET_MULTICAST),
                    probe + " in " + set);
                for (final UdpDestination listed : set) {
                    assertEquals(PacketPrograms.KEEP, ClassicBpfInterpreter.run(exact,
                        TestFrames.udp(listed.address(), listed.port()), 0, PACKET_MULTICAST), listed + " is listed");
                }
                assertTrue(exact.length() <= ClassicBpf.INSTRUCTIONS_MAX);
            });
    }

    @Test
    void theFanoutProgramComputesTheJavaFlowHash() {
        qt().withExamples(2000)
            .forAll(ints(), ints(0, 0xFFFF), ints(5, 15), booleans())
            .checkAssert((address, port, words, ingress) -> {
                final byte[] frame = TestFrames.ipv4(address, 17, words, 0, false, port, 4);
                final long result = ClassicBpfInterpreter.run(PacketPrograms.flowHashFanout(), frame,
                    ingress ? 14 : 0, PACKET_MULTICAST);
                assertEquals(Integer.toUnsignedLong(PacketPrograms.flowHash(address, port)), result);
            });
    }

    @Test
    void theSimulatorsFrameHashIsTheProgramsResult() {
        // FlowHash.ofFrame is what the simulated fan-out runs: it must return what the kernel's program returns for
        // every frame the program sees at the link layer, first fragments, later fragments and options included.
        qt().withExamples(2000)
            .forAll(ints(), ints(0, 0xFFFF), ints(5, 15), ints(0, 2))
            .checkAssert((address, port, words, fragment) -> {
                final byte[] frame = TestFrames.ipv4(address, 17, words, fragment == 2 ? 185 : 0, fragment == 1,
                    port, 4);
                final long result = ClassicBpfInterpreter.run(PacketPrograms.flowHashFanout(), frame, 0,
                    PACKET_MULTICAST);
                assertEquals(result, Integer.toUnsignedLong(io.mcrelay.seam.support.FlowHash.ofFrame(
                    new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length)));
            });
        final byte[] tcp = TestFrames.ipv4(0xEF010101, 6, 5, 0, false, 5000, 4);
        assertEquals(ClassicBpfInterpreter.run(PacketPrograms.flowHashFanout(), tcp, 0, PACKET_MULTICAST),
            io.mcrelay.seam.support.FlowHash.ofFrame(new org.agrona.concurrent.UnsafeBuffer(tcp), 0, tcp.length),
            "not UDP: the first member");
    }

    @Test
    void theMemberIsTheUnsignedRemainder() {
        qt().withExamples(500)
            .forAll(ints(), ints(1, 256))
            .checkAssert((result, n) -> {
                final int member = PacketPrograms.fanoutMember(result, n);
                assertTrue(member >= 0 && member < n);
                assertEquals(Integer.toUnsignedLong(result) % n, member);
            });
    }

    private static Gen<UdpDestination> destinations() {
        final Gen<Integer> addresses = ints(0, 40).map(i -> TestFrames.group(7, 0, i));
        final Gen<Integer> ports = ints(5000, 5090);
        return addresses.zip(ports, UdpDestination::new);
    }

    private static Gen<Set<UdpDestination>> destinationSets() {
        return Generators.sets(destinations(), PacketPrograms.EXACT_ENTRIES_MAX);
    }
}
