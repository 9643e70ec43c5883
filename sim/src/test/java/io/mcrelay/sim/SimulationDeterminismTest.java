package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.mcrelay.sim.cli.SeedFarm;

/**
 * Determinism, the simulator's first promise: the same seed prints the same lines and the same {@code DIGEST=} twice
 * in one JVM and in a second JVM started for the purpose (different identity hashes, different JIT, same run), and
 * alone or beside others in a farm of seeds ({@link SeedFarm}); different seeds give different runs.
 */
class SimulationDeterminismTest {
    private static final long SEED = 42;

    private static List<String> runHere(final long seed) {
        final List<String> lines = new ArrayList<>();
        Simulator.run(Simulator.Config.defaults(seed), lines::add);
        return lines;
    }

    @Test
    void theSameSeedGivesTheSameRunTwice() {
        final List<String> first = runHere(SEED);
        assertTrue(first.getFirst().equals("SEED=" + SEED) && first.getLast().startsWith("DIGEST="), first::toString);
        assertEquals(first, runHere(SEED));
        assertNotEquals(first.getLast(), runHere(SEED + 1).getLast());
    }

    @Test
    void aFarmOfSeedsOnSeveralThreadsGivesEachSeedItsRunAloneInSeedOrder() {
        final long first = 7;
        final int count = 6;
        final List<List<String>> alone = new ArrayList<>();
        SeedFarm.run(first, count, 1, SimulationDeterminismTest::runShort, alone::add);
        final List<List<String>> together = new ArrayList<>();
        SeedFarm.run(first, count, 3, SimulationDeterminismTest::runShort, together::add);

        assertEquals(count, alone.size());
        for (int i = 0; i < count; i++) {
            assertEquals("SEED=" + (first + i), alone.get(i).getFirst());
        }
        assertEquals(alone, together, "seeds run three at a time differ from the same seeds run one by one");
    }

    @Test
    void aSeedThatThrowsEndsTheFarmWithItsException() {
        final List<Long> handed = new ArrayList<>();
        final IllegalStateException thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> SeedFarm.run(1, 20, 2, seed -> {
                if (seed == 5) {
                    throw new IllegalStateException("seed 5 broke");
                }
                return seed;
            }, handed::add));

        assertEquals("seed 5 broke", thrown.getMessage());
        assertEquals(List.of(1L, 2L, 3L, 4L), handed, "results before the failed seed, in order, and none after it");
    }

    private static List<String> runShort(final long seed) {
        final List<String> lines = new ArrayList<>();
        Simulator.run(Simulator.Config.defaults(seed).withDuration(10 * Simulator.SECOND, 30 * Simulator.SECOND),
            lines::add);
        return lines;
    }

    @Test
    void theSameSeedGivesTheSameDigestInAnotherJvm() throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java));
        final String options = System.getProperty("mcrelay.jvmOptions", "");
        if (!options.isEmpty() && new File(options).isFile()) {
            command.add("@" + options);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RunOneSeed.class.getName(),
            Long.toString(SEED)));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the second JVM did not finish");
        assertEquals(0, process.exitValue(), output);
        final List<String> there = output.lines().filter(line -> !line.startsWith("WARNING")).toList();
        assertEquals(runHere(SEED), there, "the run in another JVM differs");
    }
}
