package io.mcrelay.sim.check;

import java.util.List;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;

/**
 * Conservation, with DESIGN's accounting identities: every frame the network offered a worker and every send it
 * attempted is accounted for exactly once. Per live worker: its inputs' packets = ring_full + staging_full + frames it
 * took + frames still in its ring; frames it took = matched + unmatched + malformed + fragments; sends attempted =
 * completed + failed + in flight, each failure under one reason. Across every incarnation, live and ended, the
 * workers' input counts agree with the network's own: packets offered = frames the rings took + frames they refused,
 * and ring_full = what the network dropped for full rings. A worker that loses a frame or a send without counting it,
 * or counts one where it does not belong, is what it exists to catch.
 */
public final class ConservationChecker extends Checker {
    public static final String NAME = "conservation";

    public ConservationChecker(final Failures failures) {
        super(NAME, failures);
    }

    /** Checks the counters of every live worker as they stand now, and the inputs' against the network's. */
    public void check(final SimLauncher launcher, final SimNetwork network) {
        long packets = launcher.endedInputs().packets();
        long ringFull = launcher.endedInputs().ringFull();
        for (final SimLauncher.LiveWorker worker : launcher.liveWorkers()) {
            final long[] inputs = checkWorker(worker);
            packets += inputs[0];
            ringFull += inputs[1];
        }
        final long ringDrops = network.dropped(SimNetwork.Drop.RX_RING_FULL);
        if (ringFull != ringDrops) {
            fail("the workers' inputs count ring_full " + ringFull + ", the network dropped " + ringDrops
                + " frames for full receive rings");
        }
        final long offered = network.framesReceived() + ringDrops;
        if (packets != offered) {
            fail("the workers' inputs count " + packets + " packets, the network offered them " + offered);
        }
    }

    /** Checks one live worker; returns its inputs' packets and ring_full. */
    private long[] checkWorker(final SimLauncher.LiveWorker worker) {
        final WorkerAgent.Totals t = worker.agent().totals();
        final int index = worker.handle().workerIndex();
        final long accounted = t.matched() + t.unmatched() + t.malformed() + t.fragments();
        if (t.framesReceived() != accounted) {
            fail("worker " + index + " received " + t.framesReceived() + " frames but accounts for " + accounted);
        }
        if (t.sendsAttempted() != t.sendsCompleted() + t.sendsFailed() + t.sendsInFlight()
            || t.sendsFailed() != t.dropsBufferFull() + t.dropsNoBufferSpace() + t.dropsSendError()
            + t.dropsLinkDown()) {
            fail("worker " + index + " sends do not add up: " + t);
        }
        long packets = 0;
        long ringFull = 0;
        long stagingFull = 0;
        for (final PacketIo.InputCounts input : worker.io().inputCounts()) {
            packets += input.packets();
            ringFull += input.ringFull();
            stagingFull += input.stagingFull();
        }
        final long taken = ringFull + stagingFull + t.framesReceived() + worker.receiveBacklog();
        if (packets != taken) {
            fail("worker " + index + "'s inputs were offered " + packets + " frames, but ring_full " + ringFull
                + " + staging_full " + stagingFull + " + frames it took " + t.framesReceived() + " + frames waiting "
                + worker.receiveBacklog() + " = " + taken);
        }
        return new long[] {packets, ringFull};
    }
}
