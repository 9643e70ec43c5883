package io.mcrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mcrelay completion bash|zsh} prints a script that bash parses, which completes the commands, their options
 * and fixed choices; any other shell is a usage error naming the choices.
 */
class CompletionCommandTest {
    @TempDir
    Path dir;

    @Test
    void bashGetsAScriptItParsesThatKnowsTheCommandsAndTheirOptions() throws Exception {
        final CliRun run = CliRun.of("completion", "bash");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.err());
        final String script = run.out();
        assertTrue(script.contains("complete -F _complete_mcrelay"), script);
        for (final String word : new String[] {"add", "remove", "list", "stats", "workers", "ping", "config",
            "journal", "gen", "sink", "completion", "--input-interface", "--json", "--receive-buffer"}) {
            assertTrue(script.contains(word), () -> "completes " + word);
        }
        final Path file = dir.resolve("mcrelay.bash");
        Files.writeString(file, script, StandardCharsets.UTF_8);
        final Process bash = new ProcessBuilder("bash", "-n", file.toString()).redirectErrorStream(true).start();
        final String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.waitFor(), () -> "bash -n: " + output);
    }

    @Test
    void zshGetsTheSameScriptThroughItsBashCompletionLayer() {
        final CliRun run = CliRun.of("completion", "zsh");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && "
            + "bashcompinit\n"), run.out());
        assertTrue(run.out().contains("complete -F _complete_mcrelay"), run.out());
    }

    @Test
    void anotherShellIsAUsageErrorNamingTheChoices() {
        final CliRun run = CliRun.of("completion", "fish");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for positional parameter at index 0 (SHELL): expected one of "
            + "[bash, zsh] (case-sensitive) but was 'fish'"), run.err());
    }
}
