package io.mcrelay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code log-level}, {@code trace}, {@code config}): run alone it is a
 * usage error (exit 2) that names the subcommands, and {@code --help} explains it.
 */
abstract class CommandGroup implements Runnable {
    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public final void run() {
        final String names = String.join(", ", spec.subcommands().keySet().stream()
            .filter(name -> !name.equals("help")).toList());
        throw new CommandLine.ParameterException(spec.commandLine(),
            "a " + spec.name() + " command is required (" + names + ")");
    }
}
