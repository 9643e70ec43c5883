package io.mcrelay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import io.mcrelay.cli.Main;

/**
 * {@code mcrelay demo}'s arguments, without running it (the netns suite runs it: DemoNetnsIT): its help says what it
 * does, what it needs and its exit codes; a value out of range is a usage error naming the option, before anything
 * is made.
 */
class DemoCommandTest {
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpSaysWhatItDoesWhatItNeedsAndItsExitCodes() {
        final Run help = run("demo", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        for (final String expected : new String[] {"network namespaces", "Needs root", "mcrelay sim --seeds 20",
            "--seconds", "--rate", "--size", "Exit codes:", "130"}) {
            assertTrue(help.out().replaceAll("\\s+", " ").contains(expected), () -> expected + " in: " + help.out());
        }
        assertTrue(run("--help").out().contains("demo"), "the CLI lists it");
    }

    @Test
    void valuesOutOfRangeAreUsageErrorsNamingTheOption() {
        for (final String[] bad : new String[][] {{"--seconds", "0"}, {"--seconds", "601"}, {"--rate", "0"},
            {"--rate", "100001"}, {"--size", "37"}, {"--size", "1473"}, {"--seconds", "ten"}}) {
            final Run run = run("demo", bad[0], bad[1]);
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains(bad[0]), run::toString);
            assertTrue(run.err().contains("Usage: mcrelay demo"), run::toString);
        }
    }
}
