package io.mcrelay.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.OutputSpec;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleSpec;
import io.mcrelay.rules.RuleValidator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** The commands that change or show the rule table: {@code add}, {@code remove}, {@code list}. */
public final class RuleCommands {
    private RuleCommands() {
    }

    /** {@code mcrelay add}: adds one rule and prints its id. */
    @Command(name = "add",
        description = {
            "Add a rule: packets to the input group and port arriving on the input interface (from the input "
                + "source only, if given) are sent to every --output. Prints the rule's id (generated when --id is "
                + "not given) once every worker applied it.",
            "The arguments are checked before the daemon is contacted (exit 2, naming the bad one); the daemon "
                + "refuses a clash with the table, e.g. an id or an input already used (exit 1). Exit 4: "
                + "committed, but the named workers did not ack in time (the id is printed all the same).",
            "Example:",
            "  mcrelay add --input-interface eth0 --input-group 239.1.1.1 \\",
            "      --input-port 5000 --output 239.10.0.1:5000:eth1:8 --id cam-1"})
    public static final class Add extends ClientCommand {
        @Option(names = "--input-interface", paramLabel = "IF", required = true,
            description = "Interface the packets arrive on.")
        private String inputInterface;

        @Option(names = "--input-group", paramLabel = "G", required = true,
            description = "Destination address of the packets: a multicast group (or a unicast address).")
        private String inputGroup;

        @Option(names = "--input-port", paramLabel = "P", required = true, description = "Destination UDP port.")
        private String inputPort;

        @Option(names = "--input-source", paramLabel = "S",
            description = "Accept packets from this sender only (source-specific multicast).")
        private String inputSource;

        @Option(names = "--output", paramLabel = "G:P:IF[:TTL]", required = true,
            description = "Where to send a copy: group or address, port, interface, optional TTL. Repeatable.")
        private List<String> outputs;

        @Option(names = "--id", paramLabel = "ID",
            description = "The rule's id (letters, digits, '.', '_', '-'; at most 64); generated when absent.")
        private String id;

        @Option(names = "--name", paramLabel = "NAME", description = "A label for people.")
        private String name;

        private RuleDocument rule;

        @Override
        void checkArguments() {
            final List<OutputSpec> specs = new ArrayList<>();
            for (final String output : outputs) {
                try {
                    specs.add(OutputSpec.parseCli(output));
                } catch (final IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "invalid --output: " + e.getMessage());
                }
            }
            final RuleSpec ruleSpec = new RuleSpec(id, name, inputInterface, inputGroup, inputPort, inputSource,
                specs);
            // The daemon's limits may be raised up to the ceilings; it checks its own limits itself.
            final RuleValidator.Result result = RuleValidator.validate(ruleSpec, id == null ? RULE_ID_PLACEHOLDER
                : null, new Limits(Limits.RULES_MAX_CEILING, Limits.OUTPUTS_PER_RULE_MAX_CEILING));
            if (!result.isValid()) {
                final String message = result.errors().stream()
                    .map(error -> "invalid " + optionOf(error.field()) + ": " + error)
                    .collect(Collectors.joining("\n"));
                throw new ParameterException(spec.commandLine(), message);
            }
            final RuleDocument valid = RuleDocument.of(result.rule(), null);
            rule = new RuleDocument(id, valid.name(), valid.inputInterface(), valid.inputGroup(), valid.inputPort(),
                valid.inputSource(), valid.outputs(), null);
        }

        /** The option a validation error's field came from, with the value given for an output. */
        private String optionOf(final String field) {
            if (field.startsWith("outputs[")) {
                final int index = Integer.parseInt(field.substring("outputs[".length(), field.indexOf(']')));
                return "--output \"" + outputs.get(index) + "\"";
            }
            return switch (field) {
                case "outputs" -> "--output";
                default -> "--" + field.replace('_', '-');
            };
        }

        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = sendAndWait("adding the rule, waiting for the workers",
                requestId -> new ControlRequest.Add(requestId, rule));
            if (response instanceof ControlResponse.RuleAdded added) {
                out().println(added.id());
                return ExitCodes.OK;
            }
            if (response instanceof ControlResponse.NotAcked notAcked) {
                out().println(notAcked.id());
                return notAcked("rule " + notAcked.id(), notAcked.epoch(), notAcked.laggingWorkers());
            }
            return failed(response);
        }
    }

    /** Stands for the id the daemon will generate, so that the rule can be checked before sending it. */
    private static final RuleId RULE_ID_PLACEHOLDER = new RuleId("cli-check");

    /** {@code mcrelay remove ID}. */
    @Command(name = "remove",
        description = {
            "Remove the rule with this id, once every worker applied the removal. Exit 1 when no rule has the id; "
                + "exit 4 when committed but the named workers did not ack in time.",
            "Example: mcrelay remove cam-1"})
    public static final class Remove extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "The rule's id, as 'list' shows it.")
        private String id;

        @Override
        void checkArguments() {
            if (!RuleId.isValid(id)) {
                throw new ParameterException(spec.commandLine(), "invalid ID: " + RuleId.describeProblem(id));
            }
        }

        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = sendAndWait("removing the rule, waiting for the workers",
                requestId -> new ControlRequest.Remove(requestId, id));
            if (response instanceof ControlResponse.RuleRemoved removed) {
                out().println("removed " + removed.id());
                return ExitCodes.OK;
            }
            if (response instanceof ControlResponse.NotAcked notAcked) {
                return notAcked("the removal of rule " + notAcked.id(), notAcked.epoch(),
                    notAcked.laggingWorkers());
            }
            return failed(response);
        }
    }

    /** {@code mcrelay list [--json]}. */
    @Command(name = "list",
        description = {
            "List the rules, sorted by id, each with its state: active, waiting (its input interface does not "
                + "exist yet), down (the interface is down) or join_failed (the kernel refused the group "
                + "membership; retried when the interface changes). A rule with a reason (a refused membership, "
                + "an any-source group in the source-specific range 232.0.0.0/8) gets a line after the table.",
            "--json prints an array of rules with id, name, input_interface, input_group, input_port, "
                + "input_source, outputs[] (group, port, interface, ttl), state and state_reason (null when "
                + "none)."})
    public static final class ListRules extends ReportCommand<ControlResponse.Rules> {
        public ListRules() {
            super(ControlResponse.Rules.class, ControlRequest.ListRules::new);
        }

        @Override
        Object json(final ControlResponse.Rules rules) {
            return rules.rules();
        }

        @Override
        void printText(final ControlResponse.Rules rules) {
            if (rules.rules().isEmpty()) {
                out().println("no rules (epoch " + rules.epoch() + ")");
                return;
            }
            final Table table = new Table("ID", "STATE", "INPUT", "OUTPUTS", "NAME");
            for (final RuleDocument rule : rules.rules()) {
                table.row(rule.id(), rule.state(), input(rule), outputs(rule), rule.name());
            }
            table.print(out());
            for (final RuleDocument rule : rules.rules()) {
                if (rule.stateReason() != null) {
                    out().println(rule.id() + ": " + rule.stateReason());
                }
            }
        }

        private static String input(final RuleDocument rule) {
            return rule.inputInterface() + " " + rule.inputGroup() + ":" + rule.inputPort()
                + (rule.inputSource() == null ? "" : " from " + rule.inputSource());
        }

        private static String outputs(final RuleDocument rule) {
            final StringBuilder sb = new StringBuilder();
            for (final RuleDocument.OutputDocument output : rule.outputs()) {
                if (!sb.isEmpty()) {
                    sb.append(',');
                }
                sb.append(output.group()).append(':').append(output.port()).append(':').append(output.interfaceName());
                if (output.ttl() != null) {
                    sb.append(':').append(output.ttl());
                }
            }
            return sb.toString();
        }
    }
}
