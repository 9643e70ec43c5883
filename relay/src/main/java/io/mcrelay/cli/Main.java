package io.mcrelay.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

import io.mcrelay.BuildInfo;
import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.cli.spi.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code mcrelay}: the entry point of the shipped jar. Commands of this module are listed here ({@link #BUILT_IN});
 * commands of other modules are found through {@link CliCommandProvider}. Usage errors exit 2 with the command's usage
 * on stderr.
 *
 * <p>A run builds only the command its first word names ({@link #commandLineFor}): picocli introspects every command
 * it is given, and loading them all (the supervisor's with its logging, the simulator's) cost a client command such as
 * {@code ping} about a third of its start-up. Help, a missing or unknown command, and {@code help} get the whole tree.
 */
@Command(name = "mcrelay",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A userspace multicast relay for Linux. Run 'mcrelay COMMAND --help' for a command's options.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:refused or failed (message on stderr)",
        "2:usage error",
        "3:cannot reach the daemon, or protocol version mismatch",
        "4:committed but not acked by every worker in time"})
public final class Main implements Runnable {
    /** This module's commands, in the order {@code --help} lists them (other modules' follow, by name). */
    static final List<Class<?>> BUILT_IN = List.of(RuleCommands.Add.class, RuleCommands.Remove.class,
        RuleCommands.ListRules.class, StatusCommands.Stats.class, StatusCommands.Workers.class,
        StatusCommands.Ping.class, StatusCommands.Sync.class, LogLevelCommand.class, TraceCommand.class,
        ConfigCommand.class, VersionCommand.class, JournalCommand.class, GenCommand.class, SinkCommand.class,
        CompletionCommand.class, CommandLine.HelpCommand.class);

    @Spec
    private CommandSpec spec;

    /** Runs {@code mcrelay} with the process's streams and exits with its exit code. */
    public static void main(final String[] args) {
        final PrintWriter out = new PrintWriter(System.out, true);
        final PrintWriter err = new PrintWriter(System.err, true);
        System.exit(execute(args, out, err));
    }

    /** Runs {@code mcrelay} with the given streams and returns its exit code. */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err) {
        final CommandLine commandLine = commandLineFor(args.length == 0 ? null : args[0]);
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    /** The whole command tree, with the commands other modules provide. */
    public static CommandLine commandLine() {
        return commandLineFor(null);
    }

    /**
     * The command tree for a run whose first word is {@code first}: only that command (with its subcommands, other
     * modules' included) when {@code first} names one; the whole tree otherwise (null, an option such as
     * {@code --help}, {@code help}, or an unknown word, which picocli then reports with suggestions).
     */
    public static CommandLine commandLineFor(final String first) {
        final List<CliCommandProvider> providers = new ArrayList<>();
        ServiceLoader.load(CliCommandProvider.class).forEach(providers::add);
        providers.sort(Comparator.comparing(CliCommandProvider::name)); // stable help output
        final boolean known = first != null && !first.equals("help")
            && (BUILT_IN.stream().anyMatch(type -> nameOf(type).equals(first))
                || providers.stream().anyMatch(provider -> commandOf(provider).equals(first)));
        final CommandLine commandLine = new CommandLine(new Main());
        for (final Class<?> type : BUILT_IN) {
            if (!known || nameOf(type).equals(first)) {
                commandLine.addSubcommand(type);
            }
        }
        for (final CliCommandProvider provider : providers) {
            if (known && !commandOf(provider).equals(first)) {
                continue;
            }
            // "journal replay" joins the existing "journal" command; a plain name is a command of its own.
            final String[] path = provider.name().split(" ", 2);
            final CommandLine parent = path.length == 1 ? commandLine : commandLine.getSubcommands().get(path[0]);
            if (parent == null) {
                throw new IllegalStateException("no command '" + path[0] + "' for '" + provider.name() + "'");
            }
            final String name = path[path.length - 1];
            if (parent.getSubcommands().containsKey(name)) {
                throw new IllegalStateException("two providers of the command '" + provider.name() + "'");
            }
            parent.addSubcommand(name, provider.newCommand());
        }
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            cmd.getErr().println("mcrelay: " + exception.getMessage());
            return ExitCodes.FAILED;
        });
        return commandLine;
    }

    /** The top-level command a provider's command belongs to: {@code journal} for {@code journal replay}. */
    private static String commandOf(final CliCommandProvider provider) {
        return provider.name().split(" ", 2)[0];
    }

    /** A built-in command's name, from its {@code @Command} annotation (no instance is made). */
    private static String nameOf(final Class<?> type) {
        return type.getAnnotation(Command.class).name();
    }

    @Override
    public void run() {
        // 'mcrelay' alone: a usage error; picocli prints the message and the usage on stderr.
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Supplies {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "mcrelay " + BuildInfo.version(),
                "control protocol " + BuildInfo.CONTROL_PROTOCOL_VERSION};
        }
    }
}
