package io.mcrelay.sim.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.collections.Long2LongHashMap;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * Delivery: every packet reaches only outputs of its rule, whole, and never twice; and in the liveness phase (no
 * faults, the cluster converged) every packet sent to a live rule reaches each of its outputs exactly once. A worker
 * that silently loses one packet in a thousand is what it exists to catch.
 */
public final class DeliveryChecker extends Checker {
    public static final String NAME = "delivery";
    private static final long MS = 1_000_000L;

    /** A packet the liveness phase expects at each of its rule's outputs. */
    private record Expected(int generation, long seq, int outputs, long sentNs) {
    }

    // (generation, seq / 64, output) → a bit per seq delivered at least once: looked up, never iterated. A primitive
    // map of words: consecutive packets share an entry, so the map stays small enough for the caches.
    private final Long2LongHashMap delivered = new Long2LongHashMap(0);
    // (generation, seq, output) → deliveries beyond the first: only for packets delivered more than once (a failure).
    private final Long2LongHashMap extraDeliveries = new Long2LongHashMap(0);
    private final List<Expected> expected = new ArrayList<>();

    public DeliveryChecker(final Failures failures) {
        super(NAME, failures);
    }

    private static long key(final int generation, final long seq, final int output) {
        return (long) generation << 44 | (seq & 0xFFFF_FFFFFL) << 4 | output;
    }

    private static long wordKey(final int generation, final long seq, final int output) {
        return key(generation, seq >>> 6, output);
    }

    /** A payload that is not a whole packet of the workload reached {@code endpoint}. */
    public void corrupt(final SimNetwork.Endpoint endpoint, final int length) {
        fail("a corrupt or foreign payload of " + length + " bytes at " + endpoint);
    }

    /** A packet of a generation the workload never added reached a sink. */
    public void unknownGeneration(final int generation) {
        fail("a packet of unknown generation " + generation);
    }

    /** A packet of {@code generation} reached {@code endpoint}, which is none of its rule's outputs. */
    public void notAnOutput(final int generation, final SimNetwork.Endpoint endpoint) {
        fail("generation " + generation + " delivered to " + endpoint + ", not one of its outputs");
    }

    /** Packet {@code seq} of {@code generation} reached its rule's output {@code output} (at {@code endpoint}). */
    public void delivered(final int generation, final long seq, final int output, final SimNetwork.Endpoint endpoint) {
        final long wordKey = wordKey(generation, seq, output);
        final long word = delivered.get(wordKey);
        final long bit = 1L << (seq & 63);
        if ((word & bit) == 0) {
            delivered.put(wordKey, word | bit);
            return;
        }
        final long count = 1 + extraDeliveries.merge(key(generation, seq, output), 1L, Long::sum);
        fail("packet " + seq + " of generation " + generation + " delivered " + count + " times to " + endpoint);
    }

    /** How many times packet {@code seq} of {@code generation} reached its rule's output {@code output}. */
    public long deliveries(final int generation, final long seq, final int output) {
        if ((delivered.get(wordKey(generation, seq, output)) & 1L << (seq & 63)) == 0) {
            return 0;
        }
        return 1 + extraDeliveries.get(key(generation, seq, output));
    }

    /** Packet {@code seq} of {@code generation} was sent at {@code sentNs} in the liveness phase, to a live rule. */
    public void expect(final int generation, final long seq, final int outputs, final long sentNs) {
        expected.add(new Expected(generation, seq, outputs, sentNs));
    }

    /**
     * At the end of the run: every expected packet reached each of its outputs exactly once. A failure says how many
     * did not, the first of them, why each worker restarted and what the network dropped.
     */
    public void checkAllArrived(final Supervisor supervisor, final int workers, final SimNetwork network) {
        int missing = 0;
        String first = null;
        for (final Expected packet : expected) {
            for (int output = 0; output < packet.outputs(); output++) {
                final long count = deliveries(packet.generation(), packet.seq(), output);
                if (count != 1) {
                    missing++;
                    if (first == null) {
                        first = "packet " + packet.seq() + " of generation " + packet.generation() + " sent at "
                            + packet.sentNs() / MS + " ms reached output " + output + " " + count + " times";
                    }
                }
            }
        }
        if (missing > 0) {
            final StringBuilder restarts = new StringBuilder();
            for (int i = 0; i < workers; i++) {
                restarts.append(" worker ").append(i).append(' ').append(supervisor.restartReasons(i));
            }
            fail(missing + " deliveries wrong in the liveness phase; first: " + first + ";" + restarts
                + "; network drops " + Arrays.stream(SimNetwork.Drop.values()).filter(d -> network.dropped(d) > 0)
                .map(d -> d + "=" + network.dropped(d)).toList());
        }
    }
}
