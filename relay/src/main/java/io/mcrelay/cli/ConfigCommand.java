package io.mcrelay.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.config.ConfigParser;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.protocol.Frames;
import io.mcrelay.rules.Limits;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mcrelay config check|load FILE}: validate a config file, or replace the rule table with its rules. */
@Command(name = "config",
    description = "Check a config file, or load it into the running daemon (see docs/reference/config.md).",
    subcommands = {ConfigCommand.Check.class, ConfigCommand.Load.class, ConfigCommand.Save.class,
        CommandLine.HelpCommand.class})
public final class ConfigCommand extends CommandGroup {
    /** Reads the file on the client's side: the daemon may not see the client's file system. */
    abstract static class ConfigFileCommand extends ClientCommand {
        @Parameters(paramLabel = "FILE", description = "The config file (JSON with comments).")
        Path file;

        String text;

        @Override
        void checkArguments() {
            // A file the CLI cannot read is a failure of the command (exit 1), not a usage error.
            try {
                if (Files.size(file) > Frames.CONTROL_BYTES_MAX) {
                    throw new CommandLine.ExecutionException(spec.commandLine(), file + " has " + Files.size(file)
                        + " bytes, more than a control frame carries (" + Frames.CONTROL_BYTES_MAX + ")");
                }
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (final IOException e) {
                throw new CommandLine.ExecutionException(spec.commandLine(), "cannot read " + file + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
            }
        }
    }

    /** {@code mcrelay config check FILE}. */
    @Command(name = "check",
        description = {
            "Validate FILE as the daemon would load it, without changing anything; no daemon is needed (a deployment "
                + "pipeline can run it). Every error names the file, line, column and field "
                + "(FILE:LINE:COLUMN: FIELD: MESSAGE) on stderr, exit 1.",
            "When a daemon answers on the socket, it checks the file too (against its limits) and says what a load "
                + "would change now: rules added, removed and kept. Without one, the file is checked against its own "
                + "limits or the defaults, and exit is 0 when it is valid."})
    public static final class Check extends ConfigFileCommand {
        private int ruleCount;

        @Override
        Integer beforeConnecting() {
            final ConfigParser.Result parsed = ConfigParser.parse(file.toString(), text, Limits.DEFAULT);
            if (!parsed.isValid()) {
                for (final String line : parsed.describe().split("\n")) {
                    err().println("mcrelay: " + line);
                }
                return ExitCodes.FAILED;
            }
            ruleCount = parsed.config().rules().size();
            return null;
        }

        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = send(requestId -> new ControlRequest.ConfigCheck(requestId,
                file.toString(), text));
            if (!(response instanceof ControlResponse.ConfigChecked checked)) {
                return failed(response);
            }
            out().println(file + ": valid, " + rules(checked.ruleCount()) + "; a load now would add "
                + checked.added() + ", remove " + checked.removed() + " and keep " + checked.kept());
            return ExitCodes.OK;
        }

        @Override
        int whenUnreachable(final ControlClient.UnreachableException e) {
            out().println(file + ": valid, " + rules(ruleCount) + " (checked here: no daemon answers at "
                + socketPath() + ", so what a load would change is not shown)");
            return ExitCodes.OK;
        }

        private static String rules(final int count) {
            return count + (count == 1 ? " rule" : " rules");
        }
    }

    /** {@code mcrelay config save FILE}. */
    @Command(name = "save",
        description = {
            "Write the running rule table to FILE as a config file that 'config load' (or --config and SIGHUP) takes "
                + "back unchanged: rules in id order, each field in a fixed order, no state. The file is written "
                + "whole or not at all (a temporary file beside it, then renamed); an existing FILE is replaced.",
            "The daemon's limits are not written: a file without limits leaves the daemon's as they are."})
    public static final class Save extends ClientCommand {
        @Parameters(paramLabel = "FILE", description = "The config file to write.")
        Path file;

        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = send(ControlRequest.ListRules::new);
            if (!(response instanceof ControlResponse.Rules rules)) {
                return failed(response);
            }
            final String text = configText(rules);
            final Path target = file.toAbsolutePath();
            try {
                final Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
                try {
                    Files.writeString(temporary, text, StandardCharsets.UTF_8);
                    Files.move(temporary, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(temporary);
                }
            } catch (final IOException e) {
                err().println("mcrelay: cannot write " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
                return ExitCodes.FAILED;
            }
            out().println("saved " + rules.rules().size() + (rules.rules().size() == 1 ? " rule" : " rules")
                + " of epoch " + rules.epoch() + " to " + file);
            return ExitCodes.OK;
        }

        /** The table as a config file: a comment line, then the rules in id order, fields in a fixed order. */
        static String configText(final ControlResponse.Rules rules) {
            final com.fasterxml.jackson.databind.node.ObjectNode root = MAPPER.createObjectNode();
            final com.fasterxml.jackson.databind.node.ArrayNode array = root.putArray("rules");
            rules.rules().stream().sorted(java.util.Comparator.comparing(RuleDocument::id)).forEach(rule -> {
                final com.fasterxml.jackson.databind.node.ObjectNode node = array.addObject();
                node.put("id", rule.id());
                if (rule.name() != null) {
                    node.put("name", rule.name());
                }
                node.put("input_interface", rule.inputInterface());
                node.put("input_group", rule.inputGroup());
                node.put("input_port", rule.inputPort());
                if (rule.inputSource() != null) {
                    node.put("input_source", rule.inputSource());
                }
                final com.fasterxml.jackson.databind.node.ArrayNode outputs = node.putArray("outputs");
                for (final RuleDocument.OutputDocument output : rule.outputs()) {
                    final com.fasterxml.jackson.databind.node.ObjectNode out = outputs.addObject();
                    out.put("group", output.group());
                    out.put("port", output.port());
                    out.put("interface", output.interfaceName());
                    if (output.ttl() != null) {
                        out.put("ttl", output.ttl());
                    }
                }
            });
            try {
                return "// the rule table of epoch " + rules.epoch() + ", written by 'mcrelay config save'\n"
                    + MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
            } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("a tree of strings and numbers always writes", e);
            }
        }
    }

    /** {@code mcrelay config load FILE}. */
    @Command(name = "load",
        description = {
            "Replace the rule table with FILE's rules in one epoch: rules that did not change are not touched. "
                + "Prints how many rules were added, removed and kept.",
            "A file with any error changes nothing (exit 1, FILE:LINE:COLUMN: FIELD: MESSAGE on stderr); exit 4 "
                + "when committed but the named workers did not ack in time."})
    public static final class Load extends ConfigFileCommand {
        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = sendAndWait("loading " + file + ", waiting for the workers",
                requestId -> new ControlRequest.ConfigLoad(requestId, file.toString(), text));
            if (!(response instanceof ControlResponse.ConfigLoaded loaded)) {
                return failed(response);
            }
            out().println("loaded " + file + " at epoch " + loaded.epoch() + ": " + loaded.added() + " added, "
                + loaded.removed() + " removed, " + loaded.kept() + " kept");
            if (!loaded.laggingWorkers().isEmpty()) {
                return notAcked("the load of " + file, loaded.epoch(), loaded.laggingWorkers());
            }
            return ExitCodes.OK;
        }
    }
}
