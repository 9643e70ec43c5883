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

/**
 * Determinism, the simulator's first promise: the same seed prints the same lines and the same {@code DIGEST=} twice
 * in one JVM and in a second JVM started for the purpose (different identity hashes, different JIT, same run);
 * different seeds give different runs.
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
