package io.mcrelay.fault;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import io.mcrelay.seam.RandomSource;

/**
 * Which faults a run injects and how often, all drawn from one seed (swarm testing: each run enables a different
 * mix, so rare interactions get their turn). Seed {@code s} always enables {@link FaultKind#forSeed(long)}, plus each
 * other kind with probability one half; each enabled kind gets a rate. The plan also counts the faults that
 * <em>fired</em>: those that changed an outcome (a frame really lost, a worker really crashed), not those merely
 * rolled. Single-threaded; rolls come from the plan's own split of the seed, so they do not disturb other draws.
 */
public final class FaultPlan {
    private final EnumMap<FaultKind, Double> rates = new EnumMap<>(FaultKind.class);
    private final EnumMap<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);
    private final RandomSource random;
    private boolean active = true;

    private FaultPlan(final RandomSource random) {
        this.random = random;
    }

    /** The swarm plan of a seed: its own kind always, the others by a coin toss, each with a drawn rate. */
    public static FaultPlan swarm(final long seed, final RandomSource random) {
        final FaultPlan plan = new FaultPlan(random.split("fault-rolls"));
        final RandomSource mix = random.split("fault-mix");
        final FaultKind always = FaultKind.forSeed(seed);
        for (final FaultKind kind : FaultKind.values()) {
            final boolean enabled = kind == always || mix.chance(0.5);
            if (enabled) {
                // Rates between 1 % and 10 % of opportunities: enough to fire in a few simulated minutes, rare
                // enough that the system makes progress between faults.
                plan.rates.put(kind, 0.01 + 0.09 * mix.nextDouble());
            }
        }
        return plan;
    }

    /** A plan that enables exactly {@code kinds} at {@code rate}, for tests of one fault. */
    public static FaultPlan of(final RandomSource random, final double rate, final Set<FaultKind> kinds) {
        final FaultPlan plan = new FaultPlan(random.split("fault-rolls"));
        for (final FaultKind kind : kinds) {
            plan.rates.put(kind, rate);
        }
        return plan;
    }

    /** A plan that injects nothing. */
    public static FaultPlan none(final RandomSource random) {
        return new FaultPlan(random.split("fault-rolls"));
    }

    /** True if {@code kind} is enabled and this opportunity is chosen (always false once faults are stopped). */
    public boolean roll(final FaultKind kind) {
        final Double rate = rates.get(kind);
        return active && rate != null && random.chance(rate);
    }

    /** A value in {@code [0, bound)} from the plan's randomness, for the size of a fault (a delay, a jump). */
    public int draw(final int bound) {
        return random.nextInt(bound);
    }

    /** Records that a fault of {@code kind} changed an outcome. */
    public void fired(final FaultKind kind) {
        fired.merge(kind, 1L, Long::sum);
    }

    public boolean isEnabled(final FaultKind kind) {
        return rates.containsKey(kind);
    }

    /** Stops all faults: the liveness phase. */
    public void stop() {
        active = false;
    }

    public boolean isActive() {
        return active;
    }

    /** The enabled kinds, in catalogue order. */
    public Set<FaultKind> enabled() {
        return rates.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(rates.keySet());
    }

    /** Fired counts by kind, in catalogue order. */
    public Map<FaultKind, Long> firedCounts() {
        return new EnumMap<>(fired);
    }

    /** The mix, as printed at the start of a run: {@code CHANNEL_LOSS=3.2% LINK_DOWN_UP=7.5% ...}. */
    public String describe() {
        final StringBuilder sb = new StringBuilder();
        rates.forEach((kind, rate) -> {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(kind).append('=').append(String.format(java.util.Locale.ROOT, "%.1f%%", rate * 100));
        });
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
