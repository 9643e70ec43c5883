package io.mcrelay.sim.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Acked means live: once {@code add} answered that a rule is added, with no fault in play, it forwards — every packet
 * of its flow sent after the answer reaches each of its outputs exactly once. Judged in the liveness phase, where the
 * workload keeps adding rules without faults: a relay that answers before every worker can forward the rule (a
 * worker restarted to take a new input, a table installed later than acked) loses the first packets, and this is
 * what it exists to catch. Deliveries are counted by the {@link DeliveryChecker}.
 */
public final class AckedMeansLiveChecker extends Checker {
    public static final String NAME = "acked means live";
    private static final long MS = 1_000_000L;

    private record Expected(int generation, long seq, int outputs, long sentNs, long answeredNs) {
    }

    private final DeliveryChecker deliveries;
    private final List<Expected> expected = new ArrayList<>();

    public AckedMeansLiveChecker(final Failures failures, final DeliveryChecker deliveries) {
        super(NAME, failures);
        this.deliveries = deliveries;
    }

    /** Packet {@code seq} of {@code generation}, whose add was answered at {@code answeredNs}, was sent after it. */
    public void expect(final int generation, final long seq, final int outputs, final long sentNs,
                       final long answeredNs) {
        expected.add(new Expected(generation, seq, outputs, sentNs, answeredNs));
    }

    /** At the end of the run: every expected packet reached each output once. */
    public void checkAllArrived() {
        int missing = 0;
        String first = null;
        for (final Expected packet : expected) {
            for (int output = 0; output < packet.outputs(); output++) {
                final long count = deliveries.deliveries(packet.generation(), packet.seq(), output);
                if (count != 1) {
                    missing++;
                    if (first == null) {
                        first = "packet " + packet.seq() + " of generation " + packet.generation() + ", sent "
                            + (packet.sentNs() - packet.answeredNs()) / MS + " ms after its add was answered (at "
                            + packet.answeredNs() / MS + " ms), reached output " + output + " " + count + " times";
                    }
                }
            }
        }
        if (missing > 0) {
            fail(missing + " deliveries of rules acked as added went wrong; first: " + first);
        }
    }
}
