package io.mcrelay.cli;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mcrelay log-level get|set [--facility F] [LEVEL]}: the daemon's log levels, changed at run time. */
@Command(name = "log-level",
    description = "Read or change the daemon's log levels at run time, per facility (logger) or for all.",
    subcommands = {LogLevelCommand.Get.class, LogLevelCommand.Set.class, CommandLine.HelpCommand.class})
public final class LogLevelCommand extends CommandGroup {
    /** {@code mcrelay log-level get [--facility F]}. */
    @Command(name = "get", description = "Print each facility's level (or one facility's), one per line.")
    public static final class Get extends ClientCommand {
        @Option(names = "--facility", paramLabel = "F", description = "Only this facility.")
        private String facility;

        @Override
        int run() throws ControlClient.UnreachableException {
            return print(this, send(requestId -> new ControlRequest.LogLevelGet(requestId, facility)));
        }
    }

    /** {@code mcrelay log-level set [--facility F] LEVEL}. */
    @Command(name = "set",
        description = {
            "Set the level of one facility, or the root level without --facility; prints the level now in force.",
            "Example: mcrelay log-level set --facility io.mcrelay.core DEBUG"})
    public static final class Set extends ClientCommand {
        @Option(names = "--facility", paramLabel = "F", description = "The facility (default: the root).")
        private String facility;

        @Parameters(paramLabel = "LEVEL", description = "TRACE, DEBUG, INFO, WARN, ERROR or OFF.")
        private String level;

        @Override
        int run() throws ControlClient.UnreachableException {
            return print(this, send(requestId -> new ControlRequest.LogLevelSet(requestId, facility, level)));
        }
    }

    private static int print(final ClientCommand command, final ControlResponse response) {
        if (!(response instanceof ControlResponse.LogLevels levels)) {
            return command.failed(response);
        }
        final Table table = new Table("FACILITY", "LEVEL");
        for (final ControlResponse.FacilityLevel level : levels.levels()) {
            table.row(level.facility(), level.level());
        }
        table.print(command.out());
        return ExitCodes.OK;
    }
}
