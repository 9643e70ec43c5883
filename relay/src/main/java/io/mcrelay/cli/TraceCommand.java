package io.mcrelay.cli;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.rules.RuleId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mcrelay trace enable|disable|show ID}: follow sampled packets of one rule through the workers. */
@Command(name = "trace",
    description = "Trace sampled packets of one rule: each step of their life on the workers (received, matched,"
        + " sent, dropped).",
    subcommands = {TraceCommand.Enable.class, TraceCommand.Disable.class, TraceCommand.Show.class,
        CommandLine.HelpCommand.class})
public final class TraceCommand extends CommandGroup {
    /** What the three commands share: the rule id, checked before any connection. */
    abstract static class RuleTrace extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "The rule's id.")
        String id;

        @Override
        void checkArguments() {
            if (!RuleId.isValid(id)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "invalid ID: " + RuleId.describeProblem(id));
            }
        }

        final int printState(final ControlResponse response) {
            if (!(response instanceof ControlResponse.TraceState state)) {
                return failed(response);
            }
            out().println("tracing of rule " + state.id() + " " + (state.enabled() ? "enabled" : "disabled"));
            return ExitCodes.OK;
        }
    }

    /** {@code mcrelay trace enable ID}. */
    @Command(name = "enable", description = "Start tracing sampled packets of rule ID.")
    public static final class Enable extends RuleTrace {
        @Override
        int run() throws ControlClient.UnreachableException {
            return printState(send(requestId -> new ControlRequest.TraceEnable(requestId, id)));
        }
    }

    /** {@code mcrelay trace disable ID}. */
    @Command(name = "disable", description = "Stop tracing rule ID.")
    public static final class Disable extends RuleTrace {
        @Override
        int run() throws ControlClient.UnreachableException {
            return printState(send(requestId -> new ControlRequest.TraceDisable(requestId, id)));
        }
    }

    /** {@code mcrelay trace show ID}. */
    @Command(name = "show",
        description = "Print the traced steps of rule ID, oldest first: worker, packet, step, output, detail.")
    public static final class Show extends RuleTrace {
        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = send(requestId -> new ControlRequest.TraceShow(requestId, id));
            if (!(response instanceof ControlResponse.TraceReport report)) {
                return failed(response);
            }
            out().println("rule " + report.id() + ": tracing " + (report.enabled() ? "enabled" : "disabled") + ", "
                + report.events().size() + (report.events().size() == 1 ? " step" : " steps"));
            if (!report.events().isEmpty()) {
                final Table table = new Table("WORKER", "PACKET", "STEP", "OUTPUT", "DETAIL");
                for (final ControlResponse.TraceEvent event : report.events()) {
                    table.row(event.worker(), event.packet(), event.step(),
                        hasOutput(event) ? event.output() : null, event.detail());
                }
                table.print(out());
            }
            return ExitCodes.OK;
        }

        /** Only a send or a drop of a copy concerns one output. */
        private static boolean hasOutput(final ControlResponse.TraceEvent event) {
            return event.output() >= 0 && ("sent".equals(event.step()) || "dropped".equals(event.step()));
        }
    }
}
