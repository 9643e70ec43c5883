package io.mcrelay.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.journal.JournalCheck;
import io.mcrelay.record.JournalFormat;
import io.mcrelay.seam.Journal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mcrelay journal}: look into a supervisor's journal. */
@Command(name = "journal",
    description = "Look into a supervisor's journal (a Chronicle Queue directory).",
    subcommands = {JournalCommand.Dump.class, CommandLine.HelpCommand.class})
public final class JournalCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a journal command is required (dump)");
    }

    /** {@code mcrelay journal dump DIR [--json] [--from N] [--follow]}. */
    @Command(name = "dump",
        description = {
            "Print a journal's entries in order, one line each (or one JSON object each with --json).",
            "The journal is opened read-only: a captured journal is never changed. Damage (a truncated file, a corrupt",
            "entry) is reported on stderr after the valid entries, and the exit code is 1. Entries of older journal",
            "schema versions are shown; an entry of a newer one (a newer mcrelay's) stops the dump with exit code 1."})
    public static final class Dump implements Callable<Integer> {
        /** How often --follow looks for new entries. */
        static final long FOLLOW_POLL_MS = 200;

        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The journal directory.")
        private Path directory;

        @Option(names = "--json", description = "One JSON object per entry, for scripts.")
        private boolean json;

        @Option(names = "--from", paramLabel = "N", defaultValue = "0",
            description = "Start at entry index N (default: the first).")
        private long from;

        @Option(names = "--follow", description = "Keep printing new entries as they are appended, until interrupted.")
        private boolean follow;

        @Override
        public Integer call() throws InterruptedException {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            if (from < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--from must not be negative: " + from);
            }
            if (!Files.isDirectory(directory)) {
                err.println("mcrelay: no journal at " + directory + ": not a directory");
                return ExitCodes.FAILED;
            }
            final ObjectMapper mapper = ControlCodec.newMapper();
            try (ChronicleJournal journal = follow ? ChronicleJournal.openFollowing(directory)
                     : ChronicleJournal.openReadOnly(directory);
                 Journal.Reader reader = journal.reader(Math.max(from, journal.firstIndex()))) {
                while (true) {
                    Journal.IndexedEntry entry;
                    while ((entry = reader.next()) != null) {
                        out.println(json ? mapper.writeValueAsString(JournalFormat.fields(entry))
                            : JournalFormat.line(entry));
                    }
                    out.flush();
                    if (!follow) {
                        break;
                    }
                    Thread.sleep(FOLLOW_POLL_MS); // a CLI waiting for a file to grow, not core logic
                }
                // Read to the end first: damage found while reading is reported too, after the valid entries.
                final JournalCheck check = journal.problems();
                for (final JournalCheck.Problem problem : check.problems()) {
                    err.println("mcrelay: journal " + directory + " is damaged: " + problem);
                }
                return check.clean() ? ExitCodes.OK : ExitCodes.FAILED;
            } catch (final JsonProcessingException e) {
                throw new IllegalStateException("cannot write an entry as JSON", e);
            } catch (final NewerSchemaException e) {
                out.flush();
                err.println("mcrelay: " + e.getMessage());
                return ExitCodes.FAILED;
            }
        }
    }
}
