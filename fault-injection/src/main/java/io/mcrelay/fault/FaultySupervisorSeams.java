package io.mcrelay.fault;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.seam.support.SeededRandom;

/**
 * The fault-injection daemon's seams: the real supervisor's, with its launcher decorated ({@link FaultyLauncher}:
 * channel faults and crash points from a seeded {@link FaultPlan}, and the {@link Break#RESPAWN}/{@link Break#SYNC}
 * breaks), under {@link Break#JOINS} its group memberships replaced by {@link JoinIgnoringMemberships}, and under
 * {@link Break#LINKS} its link monitor by {@link EventDroppingLinkMonitor}. The
 * simulator's faults that touch the worker channel thus run on the real kernel too, driven by a seed.
 */
public final class FaultySupervisorSeams implements UnaryOperator<Supervisor.Seams> {
    /** The fault kinds a real daemon can take: those made on the supervisor's end of the worker channels. */
    public static final Set<FaultKind> SUPPORTED = Set.copyOf(EnumSet.of(FaultKind.CHANNEL_LOSS,
        FaultKind.CHANNEL_DUPLICATION, FaultKind.CHANNEL_DELAY, FaultKind.CHANNEL_REORDER,
        FaultKind.WORKER_CRASH_BEFORE_APPLY));

    private final long seed;
    private final double rate;
    private final Set<FaultKind> kinds;
    private final Set<Break> breaks;

    /**
     * @param seed   the plan's seed: which opportunities fault
     * @param rate   the share of opportunities each kind faults, above 0 and at most 1
     * @param kinds  fault kinds, among {@link #SUPPORTED}
     * @param breaks recoveries to break
     */
    public FaultySupervisorSeams(final long seed, final double rate, final Set<FaultKind> kinds,
                                 final Set<Break> breaks) {
        if (!(rate > 0 && rate <= 1)) {
            throw new IllegalArgumentException("a fault rate is above 0 and at most 1, not " + rate);
        }
        for (final FaultKind kind : kinds) {
            if (!SUPPORTED.contains(kind)) {
                throw new IllegalArgumentException("fault kind " + FaultKind.word(kind) + " is the simulator's only; "
                    + "a real daemon takes " + SUPPORTED.stream().map(FaultKind::word).sorted().toList());
            }
        }
        this.seed = seed;
        this.rate = rate;
        this.kinds = Set.copyOf(kinds);
        this.breaks = Set.copyOf(breaks);
    }

    @Override
    public Supervisor.Seams apply(final Supervisor.Seams seams) {
        Objects.requireNonNull(seams, "seams");
        final FaultPlan plan = FaultPlan.of(new SeededRandom(seed), rate, kinds);
        return new Supervisor.Seams(seams.timers(), new FaultyLauncher(seams.launcher(), seams.clock(), plan, breaks),
            seams.control(), breaks.contains(Break.LINKS) ? new EventDroppingLinkMonitor(seams.links()) : seams.links(),
            seams.logLevels(), seams.inputSockets(),
            breaks.contains(Break.JOINS) ? new JoinIgnoringMemberships(seams.memberships()) : seams.memberships(),
            journal(seams.journal()), seams.clock());
    }

    private io.mcrelay.seam.Journal journal(final io.mcrelay.seam.Journal journal) {
        io.mcrelay.seam.Journal decorated = journal;
        if (breaks.contains(Break.RESTORE)) {
            decorated = new AmnesiacJournal(decorated);
        }
        if (breaks.contains(Break.SPACE)) {
            decorated = new StuckFullJournal(decorated);
        }
        return decorated;
    }
}
