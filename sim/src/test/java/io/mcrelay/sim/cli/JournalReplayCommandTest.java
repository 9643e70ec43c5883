package io.mcrelay.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.Main;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.journal.E908fe1Fixture;
import io.mcrelay.journal.NewerJournal;

/**
 * {@code journal replay} across journal schema versions, through the CLI's entry point: a journal the daemon at
 * e908fe1 wrote (version 1) and one a newer mcrelay wrote are both refused with exit 1, naming both versions, and
 * never reported as a divergence or as damage. (Replaying this version's journals is in {@code SimCommandTest}.)
 */
class JournalReplayCommandTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run mcrelay(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aJournalOfAnOlderVersionIsRefusedNamingBothVersions() {
        final Path journal = E908fe1Fixture.install(dir.resolve("e908fe1"));
        final Run replay = mcrelay("journal", "replay", journal.toString());
        assertEquals(1, replay.exitCode(), replay::toString);
        assertTrue(replay.err().contains("schema version " + E908fe1Fixture.SCHEMA_VERSION + " (by an older mcrelay)")
            && replay.err().contains("replays schema version " + JournalSchema.VERSION + " only"), replay::toString);
        assertFalse(replay.out().contains("DIVERGED") || replay.err().contains("damaged"), replay::toString);
    }

    @Test
    void aJournalOfANewerVersionIsRefusedNamingBothVersions() {
        final Path journal = NewerJournal.write(dir.resolve("newer"), JournalSchema.VERSION + 1);
        final Run replay = mcrelay("journal", "replay", journal.toString());
        assertEquals(1, replay.exitCode(), replay::toString);
        assertTrue(replay.err().contains("schema version " + (JournalSchema.VERSION + 1))
            && replay.err().contains("schema version " + JournalSchema.VERSION + ";"), replay::toString);
        assertFalse(replay.out().contains("DIVERGED") || replay.err().contains("damaged"), replay::toString);
        assertEquals(1, replay.err().strip().lines().count(), () -> "one line: " + replay.err());
    }

    @Test
    void journalDumpOfANewerVersionStopsWithExitOneNamingBothVersions() {
        final Path journal = NewerJournal.write(dir.resolve("newer"), JournalSchema.VERSION + 1);
        final Run dump = mcrelay("journal", "dump", journal.toString());
        assertEquals(1, dump.exitCode(), dump::toString);
        assertTrue(dump.err().contains("schema version " + (JournalSchema.VERSION + 1))
            && dump.err().contains("schema version " + JournalSchema.VERSION + ";"), dump::toString);
    }
}
