package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mcrelay.fault.FaultKind;
import io.mcrelay.sim.cli.SeedFarm;

/**
 * The simulator over many seeds of DESIGN's default workload, each with its swarm mix of faults: every checker must
 * pass on every seed, and across the set every fault kind must have fired. {@code -Dsim.seed=S} runs one seed only
 * (the reproduce command a failure prints); {@code -Dsim.seeds=N} sets how many (200 in {@code mvn verify}, 10,000
 * with {@code -Psoak}, one per CPU at a time) and {@code -Dsim.firstSeed=F} where they start (1; the nightly farm starts elsewhere daily).
 */
class SimulationSeedsTest {
    static final int DEFAULT_SEEDS = 200;

    private record Ran(long seed, Simulator.Result result, List<String> lines) {
    }

    @Test
    void everySeedPassesEveryCheckerAndEveryFaultKindFires() {
        final String one = System.getProperty("sim.seed", "").trim();
        final long first = one.isEmpty() ? Long.getLong("sim.firstSeed", 1L) : Long.parseLong(one);
        final int count = one.isEmpty() ? Integer.getInteger("sim.seeds", DEFAULT_SEEDS) : 1;
        final Map<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);
        final List<String> failures = new ArrayList<>();
        final long[] simulatedNs = {0};
        final long wallStartNs = System.nanoTime();
        // One seed a CPU at a time: each seed's run is its own (SimulationDeterminismTest checks a farm's digests).
        SeedFarm.run(first, count, SeedFarm.defaultJobs(), seed -> {
            final List<String> lines = new ArrayList<>();
            return new Ran(seed, Simulator.run(Simulator.Config.defaults(seed), lines::add), lines);
        }, ran -> {
            final Simulator.Result result = ran.result();
            simulatedNs[0] += result.simulatedNs();
            result.fired().forEach((kind, times) -> fired.merge(kind, times, Long::sum));
            if (!result.passed()) {
                failures.add(String.join("\n", ran.lines()));
            } else if (result.rulesAdded() < 20 || result.rulesRemoved() < 20) {
                failures.add("seed " + ran.seed() + ": the workload added " + result.rulesAdded() + " and removed "
                    + result.rulesRemoved() + " rules; DESIGN's default workload adds and removes at least 20");
            }
        });
        final double wallSeconds = (System.nanoTime() - wallStartNs) / 1e9;
        System.out.printf("%d seeds (%d at a time), %d failed, %.0f s simulated in %.1f s: %.0fx; fired: %s%n",
            count, SeedFarm.defaultJobs(), failures.size(), simulatedNs[0] / 1e9, wallSeconds,
            simulatedNs[0] / 1e9 / wallSeconds, fired);
        assertTrue(failures.isEmpty(), () -> failures.size() + " seeds failed:\n" + String.join("\n\n", failures));
        if (count >= FaultKind.values().length) {
            for (final FaultKind kind : FaultKind.values()) {
                assertTrue(fired.getOrDefault(kind, 0L) > 0, () -> kind + " never fired across the seeds: " + fired);
            }
        }
    }
}
