package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mcrelay.fault.FaultKind;

/**
 * The simulator over many seeds of DESIGN's default workload, each with its swarm mix of faults: every checker must
 * pass on every seed, and across the set every fault kind must have fired. {@code -Dsim.seed=S} runs one seed only
 * (the reproduce command a failure prints); {@code -Dsim.seeds=N} sets how many (200 in {@code mvn verify}, 5,000
 * with {@code -Psoak}) and {@code -Dsim.firstSeed=F} where they start (1; the nightly farm starts elsewhere daily).
 */
class SimulationSeedsTest {
    static final int DEFAULT_SEEDS = 200;

    @Test
    void everySeedPassesEveryCheckerAndEveryFaultKindFires() {
        final String one = System.getProperty("sim.seed", "").trim();
        final List<Long> seeds = new ArrayList<>();
        if (!one.isEmpty()) {
            seeds.add(Long.parseLong(one));
        } else {
            final int count = Integer.getInteger("sim.seeds", DEFAULT_SEEDS);
            final long first = Long.getLong("sim.firstSeed", 1L);
            for (long seed = first; seed < first + count; seed++) {
                seeds.add(seed);
            }
        }
        final Map<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);
        final List<String> failures = new ArrayList<>();
        long simulatedNs = 0;
        final long wallStartNs = System.nanoTime();
        for (final long seed : seeds) {
            final List<String> lines = new ArrayList<>();
            final Simulator.Result result = Simulator.run(Simulator.Config.defaults(seed), lines::add);
            simulatedNs += result.simulatedNs();
            result.fired().forEach((kind, count) -> fired.merge(kind, count, Long::sum));
            if (!result.passed()) {
                failures.add(String.join("\n", lines));
            } else if (result.rulesAdded() < 20 || result.rulesRemoved() < 20) {
                failures.add("seed " + seed + ": the workload added " + result.rulesAdded() + " and removed "
                    + result.rulesRemoved() + " rules; DESIGN's default workload adds and removes at least 20");
            }
        }
        final double wallSeconds = (System.nanoTime() - wallStartNs) / 1e9;
        System.out.printf("%d seeds, %d failed, %.0f s simulated in %.1f s: %.0fx; fired: %s%n", seeds.size(),
            failures.size(), simulatedNs / 1e9, wallSeconds, simulatedNs / 1e9 / wallSeconds, fired);
        assertTrue(failures.isEmpty(), () -> failures.size() + " seeds failed:\n" + String.join("\n\n", failures));
        if (seeds.size() >= FaultKind.values().length) {
            for (final FaultKind kind : FaultKind.values()) {
                assertTrue(fired.getOrDefault(kind, 0L) > 0, () -> kind + " never fired across the seeds: " + fired);
            }
        }
    }
}
