package io.mcrelay.sim.check;

import io.mcrelay.core.worker.WorkerTotals;
import io.mcrelay.protocol.WorkerCounters;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.sim.seams.SimNetwork;
import io.mcrelay.sim.seams.SimPacketIo;

/**
 * Conservation, with DESIGN's accounting identities: every frame the network offered the input sockets and every send
 * a worker attempted is accounted for exactly once. Per live worker: frames it took = matched + unmatched + malformed
 * + fragments, and = the frames its I/O lent it; matched = what the rules it holds counted in + what the rules it
 * removed had counted in (its heartbeats' counters); sends attempted = completed + failed + in flight, each failure under
 * one reason. Across every incarnation, live and ended, and the input sockets themselves (members' rings outlive the
 * workers that read them: the supervisor holds them), two identities with the network's own counts:
 * <ul>
 * <li>counts, as {@code PACKET_STATISTICS} gives them (each reading returns what came since the last one, whoever read
 *   it): what the workers' inputs read, plus what the members counted that no one read yet (a worker died before its
 *   next reading, or no worker holds the member) or ever will (the member left its group first), = the frames the
 *   network offered the members (taken into a ring or refused by a full one); the same for ring_full against the
 *   network's full-ring drops;</li>
 * <li>frames: the frames the members' rings took = those lent to workers + those still waiting in a member's ring +
 *   those lost when a member left its group with frames in it ({@link SimNetwork.Drop#RX_CLOSED}).</li>
 * </ul>
 * A worker that loses a frame or a send without counting it, or counts one where it does not belong, is what it
 * exists to catch.
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
        long lent = launcher.endedInputs().framesDelivered();
        for (final SimLauncher.LiveWorker worker : launcher.liveWorkers()) {
            checkWorker(worker);
            if (worker.io() instanceof SimPacketIo io) {
                for (final PacketIo.InputCounts input : io.countsAsRead()) {
                    packets += input.packets();
                    ringFull += input.ringFull();
                }
                lent += io.framesDelivered();
            }
        }
        final long[] unread = network.inputsUnread();
        final long ringDrops = network.dropped(SimNetwork.Drop.RX_RING_FULL);
        if (ringFull + unread[1] != ringDrops) {
            fail("the workers' inputs read ring_full " + ringFull + ", their sockets hold " + unread[1]
                + " unread, but the network dropped " + ringDrops + " frames for full receive rings");
        }
        final long offered = network.framesReceived() + ringDrops;
        if (packets + unread[0] != offered) {
            fail("the workers' inputs read " + packets + " packets, their sockets hold " + unread[0]
                + " unread, but the network offered them " + offered);
        }
        final long closedWithFrames = network.dropped(SimNetwork.Drop.RX_CLOSED);
        if (lent + unread[2] + closedWithFrames != network.framesReceived()) {
            fail("the input rings took " + network.framesReceived() + " frames, but " + lent + " were lent to workers, "
                + unread[2] + " wait and " + closedWithFrames + " were lost with their socket");
        }
    }

    /** Checks one live worker. */
    private void checkWorker(final SimLauncher.LiveWorker worker) {
        final WorkerTotals t = worker.agent().totals();
        final int index = worker.handle().workerIndex();
        final long accounted = t.matched() + t.unmatched() + t.malformed() + t.fragments();
        if (t.framesReceived() != accounted) {
            fail("worker " + index + " received " + t.framesReceived() + " frames but accounts for " + accounted);
        }
        // What its heartbeats say: the rules held count what they matched, the removed ones what they had matched.
        final WorkerCounters counters = worker.agent().counters();
        long held = 0;
        for (final WorkerCounters.RuleCounters rule : counters.rules()) {
            held += rule.packetsIn();
        }
        if (t.matched() != held + counters.removedPacketsIn()) {
            fail("worker " + index + " matched " + t.matched() + " packets, but its rules count " + held
                + " and its removed rules " + counters.removedPacketsIn());
        }
        if (t.sendsAttempted() != t.sendsCompleted() + t.sendsFailed() + t.sendsInFlight()
            || t.sendsFailed() != t.dropsBufferFull() + t.dropsNoBufferSpace() + t.dropsSendError()
            + t.dropsLinkDown()) {
            fail("worker " + index + " sends do not add up: " + t);
        }
        if (worker.io() instanceof SimPacketIo io && io.framesDelivered() != t.framesReceived()) {
            fail("worker " + index + "'s inputs lent it " + io.framesDelivered() + " frames, but it counts "
                + t.framesReceived() + " received");
        }
    }
}
