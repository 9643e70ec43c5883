package io.mcrelay.sim.check;

import java.util.List;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * No forwarding after remove: once the removal of a rule is acked, no packet sent to that rule afterwards reaches any
 * of its outputs (the workload keeps probing a removed rule for a while to find out). A worker whose forwarding
 * entries outlive their rule is what it exists to catch.
 */
public final class NoForwardingAfterRemoveChecker extends Checker {
    public static final String NAME = "no forwarding after remove";
    private static final long MS = 1_000_000L;

    /**
     * What the workload knows of the last removal of the rule a packet belongs to.
     *
     * @param ruleId            the rule's id
     * @param ruleGeneration    the rule's current generation (which add it is in)
     * @param removedGeneration the generation whose removal was acked last, or -1
     * @param removedAtNs       when that removal was acked, or -1 if none was
     */
    public record Removal(String ruleId, int ruleGeneration, int removedGeneration, long removedAtNs) {
    }

    public NoForwardingAfterRemoveChecker(final Failures failures) {
        super(NAME, failures);
    }

    /**
     * Packet {@code seq} of {@code generation}, sent at {@code sentNs}, reached one of its rule's outputs: it must not
     * have been sent after that generation's removal was acked (a generation added again since is a new rule).
     */
    public void check(final int generation, final long seq, final long sentNs, final Removal removal,
                      final Supervisor supervisor, final List<SimLauncher.LiveWorker> live) {
        if (removal.removedGeneration() == generation && removal.removedAtNs() >= 0 && sentNs > removal.removedAtNs()
            && removal.ruleGeneration() == generation) {
            fail("packet " + seq + " of " + removal.ruleId() + " sent at " + sentNs / MS + " ms was forwarded after "
                + "its removal was acked at " + removal.removedAtNs() / MS + " ms; workers " + supervisor.workers()
                + ", agents at epochs " + live.stream().map(w -> w.agent().epoch()).toList());
        }
    }
}
