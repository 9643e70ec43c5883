package io.mcrelay.sim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.journal.JournalCheck;
import io.mcrelay.sim.replay.JournalReplay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mcrelay journal replay DIR}: replays a journal's recorded inputs into a fresh supervisor core. */
@Command(name = "replay",
    description = {
        "Drive a fresh supervisor core from a journal's recorded inputs alone and check that it produces the recorded",
        "outputs. Exits 0 when they are identical, 1 with the first divergence (entry index, expected, actual), when",
        "the journal is damaged, or when it holds entries of another journal schema version than this mcrelay's",
        "(both versions named). The journal is opened read-only."})
public final class JournalReplayCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The journal directory.")
    private Path directory;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(directory)) {
            err.println("mcrelay: no journal at " + directory + ": not a directory");
            return ExitCodes.FAILED;
        }
        try (ChronicleJournal journal = ChronicleJournal.openReadOnly(directory)) {
            final JournalReplay.Result result = JournalReplay.replay(journal);
            final JournalCheck check = journal.problems();
            for (final JournalCheck.Problem problem : check.problems()) {
                err.println("mcrelay: journal " + directory + " is damaged: " + problem);
            }
            if (result.refusal() != null) {
                err.println("mcrelay: cannot replay journal " + directory + ": " + result.refusal());
                return ExitCodes.FAILED;
            }
            if (result.lives() == 0) {
                err.println("mcrelay: journal " + directory + " has no recorded supervisor start: nothing to replay "
                    + "(it was written without input recording)");
                return ExitCodes.FAILED;
            }
            for (final String gap : result.gaps()) {
                out.println("gap at " + gap);
            }
            if (!result.identical()) {
                out.println("DIVERGED at entry " + result.divergence().index());
                out.println("  expected: " + result.divergence().expected());
                out.println("  actual:   the replayed supervisor " + result.divergence().actual());
                return ExitCodes.FAILED;
            }
            out.println("identical: " + result.lives() + " supervisor lives, " + result.cycles() + " cycles, "
                + result.entries() + " entries" + (result.gaps().isEmpty() ? "" : ", " + result.gaps().size()
                + " gap(s): compared up to each"));
            return check.clean() ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (final NewerSchemaException e) {
            err.println("mcrelay: cannot replay: " + e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    /** Registers the command under {@code journal}. */
    public static final class Provider implements CliCommandProvider {
        @Override
        public String name() {
            return "journal replay";
        }

        @Override
        public Object newCommand() {
            return new JournalReplayCommand();
        }
    }
}
