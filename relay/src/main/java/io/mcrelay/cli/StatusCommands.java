package io.mcrelay.cli;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import picocli.CommandLine.Command;

/** The commands that show how the daemon is doing: {@code stats}, {@code workers}, {@code ping}, {@code sync}. */
public final class StatusCommands {
    private StatusCommands() {
    }

    /** {@code mcrelay stats [--json]}. */
    @Command(name = "stats",
        description = {
            "Print the counters: per rule, packets and bytes in (and per second), drops by reason (buffer_full: a "
                + "socket's send buffer was full; no_buffer_space: a device queue was full; send_error; link_down) "
                + "and per output packets, bytes and errors (reported by the kernel after the packet was sent); "
                + "packets that matched no rule (unmatched); frames no rule could own (malformed, fragment) or lost "
                + "before any rule was looked at (ring_full: the kernel's receive ring was full; staging_full); per "
                + "input interface and worker, the frames the kernel offered (tp_packets) and those lost; and the "
                + "workers. Counters survive worker restarts. A removed rule's counters leave the table with it: what it "
                + "had counted in goes to removed_rules (packets_in, bytes_in), and a rule added later under the same "
                + "id starts from zero.",
            "Once traffic stops and the workers have reported (a heartbeat, 250 ms), every frame is accounted for: "
                + "the inputs' tp_packets = ring_full + staging_full + malformed + fragment + unmatched + "
                + "removed_rules' packets_in + the rules' packets in; and per rule, packets in x outputs = the "
                + "outputs' packets out + the rule's drops.",
            "The journal's state (ok, full or failed, and why) is printed when it is not ok.",
            "--watch asks again every --interval seconds until Ctrl-C (exit 0): redrawn in place on a terminal, one "
                + "report after another otherwise (or when CI is set), one JSON object per line with --json.",
            "--json prints {rules[], unmatched, removed_rules, drops, inputs[], workers[], journal} with the field "
                + "names of the CLI contract; journal is {state, reason}, reason null when ok."})
    public static final class Stats extends ReportCommand<ControlResponse.StatsReport> {
        @picocli.CommandLine.Option(names = "--watch",
            description = "Report again every --interval seconds until interrupted (Ctrl-C, exit 0).")
        private boolean watch;

        @picocli.CommandLine.Option(names = "--interval", paramLabel = "S", defaultValue = "1",
            description = "Seconds between reports with --watch, 0.1 to 60 (default: ${DEFAULT-VALUE}).")
        private double interval;

        public Stats() {
            super(ControlResponse.StatsReport.class, ControlRequest.Stats::new);
        }

        @Override
        void checkArguments() {
            if (!(interval >= 0.1 && interval <= 60)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--interval must be 0.1 to 60 seconds (the daemon closes a connection idle for 60 s), not "
                        + interval);
            }
        }

        @Override
        long watchIntervalNanos() {
            return watch ? Math.round(interval * 1e9) : 0;
        }

        @Override
        Object json(final ControlResponse.StatsReport report) {
            return toJson(report);
        }

        @Override
        void printText(final ControlResponse.StatsReport report) {
            final Table rules = new Table("RULE", "OUTPUT", "PACKETS", "BYTES", "PACKETS/S", "BYTES/S", "DROPS",
                "ERRORS");
            for (final ControlResponse.RuleStats rule : report.rules()) {
                rules.row(rule.id(), "in", rule.packetsIn(), rule.bytesIn(), rule.packetsInPerSecond(),
                    rule.bytesInPerSecond(), ruleDrops(rule.drops()), "");
                for (final ControlResponse.OutputStats output : rule.outputs()) {
                    rules.row("", output.group() + ":" + output.port() + ":" + output.interfaceName(),
                        output.packetsOut(), output.bytesOut(), "", "", "", output.errors());
                }
            }
            rules.print(out());
            final ControlResponse.Drops drops = report.drops();
            out().println("unmatched " + report.unmatched() + ", malformed " + drops.malformed() + ", fragment "
                + drops.fragment() + ", ring_full " + drops.ringFull() + ", staging_full " + drops.stagingFull()
                + ", removed rules' packets in " + report.removedRules().packetsIn());
            if (!report.journal().state().equals("ok")) {
                out().println("journal " + report.journal().state() + ": " + report.journal().reason());
            }
            if (!report.inputs().isEmpty()) {
                final Table inputs = new Table("INPUT", "WORKER", "TP_PACKETS", "RING_FULL", "STAGING_FULL");
                for (final ControlResponse.InputStats input : report.inputs()) {
                    inputs.row(input.interfaceName(), input.worker(), input.tpPackets(), input.ringFull(),
                        input.stagingFull());
                }
                inputs.print(out());
            }
            printWorkers(this, report.workers());
        }

        private static String ruleDrops(final ControlResponse.Drops drops) {
            final long total = drops.perRuleTotal();
            return total == 0 ? "0" : total + " (buffer_full " + drops.bufferFull() + ", no_buffer_space "
                + drops.noBufferSpace() + ", send_error " + drops.sendError() + ", link_down " + drops.linkDown()
                + ")";
        }

        /**
         * The {@code stats --json} document: drops hold only the reasons of their level (top level: malformed,
         * fragment, ring_full, staging_full; per rule: buffer_full, no_buffer_space, send_error, link_down), and
         * the answer's envelope is left out.
         */
        static ObjectNode toJson(final ControlResponse.StatsReport report) {
            final ObjectNode root = MAPPER.createObjectNode();
            final ArrayNode rules = root.putArray("rules");
            for (final ControlResponse.RuleStats rule : report.rules()) {
                final ObjectNode node = MAPPER.valueToTree(rule);
                node.retain("id", "packets_in", "bytes_in", "packets_in_per_second", "bytes_in_per_second",
                    "drops", "outputs");
                ((ObjectNode) node.get("drops")).retain("buffer_full", "no_buffer_space", "send_error", "link_down");
                rules.add(node);
            }
            root.put("unmatched", report.unmatched());
            root.set("removed_rules", MAPPER.valueToTree(report.removedRules()));
            final ObjectNode drops = MAPPER.valueToTree(report.drops());
            drops.retain("malformed", "fragment", "ring_full", "staging_full");
            root.set("drops", drops);
            root.set("inputs", MAPPER.valueToTree(report.inputs()));
            root.set("journal", MAPPER.valueToTree(report.journal()));
            final ArrayNode workers = root.putArray("workers");
            for (final ControlResponse.WorkerInfo worker : report.workers()) {
                final ObjectNode node = MAPPER.valueToTree(worker);
                node.remove("last_restart_reason"); // workers --json has it; stats keeps the contract's six fields
                workers.add(node);
            }
            return root;
        }
    }

    /** {@code mcrelay workers [--json]}. */
    @Command(name = "workers",
        description = {
            "Print the workers: index, process id, state, restarts, the epoch of the rule table they applied, its "
                + "hash, and why the worker was last restarted: none, exited (it ended by itself; its status is "
                + "logged), no_heartbeat, sync_timeout, drift, connect_timeout, protocol_error or requested. The "
                + "daemon logs every kill and restart at WARN with the same word.",
            "--json prints an array of objects with index, pid, state, restarts, epoch, ruleset_hash, "
                + "last_restart_reason."})
    public static final class Workers extends ReportCommand<ControlResponse.WorkerList> {
        public Workers() {
            super(ControlResponse.WorkerList.class, ControlRequest.Workers::new);
        }

        @Override
        Object json(final ControlResponse.WorkerList list) {
            return list.workers();
        }

        @Override
        void printText(final ControlResponse.WorkerList list) {
            final Table table = new Table("WORKER", "PID", "STATE", "RESTARTS", "EPOCH", "RULESET", "LAST_RESTART");
            for (final ControlResponse.WorkerInfo worker : list.workers()) {
                table.row(worker.index(), worker.pid(), worker.state(), worker.restarts(), worker.epoch(),
                    worker.rulesetHash(), worker.lastRestartReason());
            }
            table.print(out());
        }
    }

    private static void printWorkers(final ClientCommand command, final List<ControlResponse.WorkerInfo> workers) {
        final Table table = new Table("WORKER", "PID", "STATE", "RESTARTS", "EPOCH", "RULESET");
        for (final ControlResponse.WorkerInfo worker : workers) {
            table.row(worker.index(), worker.pid(), worker.state(), worker.restarts(), worker.epoch(),
                worker.rulesetHash());
        }
        table.print(command.out());
    }

    /** {@code mcrelay ping}. */
    @Command(name = "ping",
        description = {"Check that the daemon answers on its control socket; prints the round trip, and the state of "
            + "its journal when that is not ok (full: no space, rule changes are refused until there is; failed: a "
            + "write broke, until a restart). Exit 3 if the daemon does not answer."})
    public static final class Ping extends ClientCommand {
        @Override
        int run() throws ControlClient.UnreachableException {
            final long startNs = System.nanoTime();
            final ControlResponse response = send(ControlRequest.Ping::new);
            if (!(response instanceof ControlResponse.Pong pong)) {
                return failed(response);
            }
            final long micros = (System.nanoTime() - startNs) / 1_000;
            out().printf("pong from %s in %d.%03d ms%n", socketPath(), micros / 1_000, micros % 1_000);
            if (!pong.journal().state().equals("ok")) {
                out().println("journal " + pong.journal().state() + ": " + pong.journal().reason()
                    + " (rule changes are refused until it can be written; forwarding goes on)");
            }
            return ExitCodes.OK;
        }
    }

    /** {@code mcrelay sync}. */
    @Command(name = "sync",
        description = "Send every worker the whole rule table again and wait for their acks. Exit 4 when some "
            + "did not ack in time (they are named; they are being resynced or restarted).")
    public static final class Sync extends ClientCommand {
        @Override
        int run() throws ControlClient.UnreachableException {
            final ControlResponse response = sendAndWait("syncing the workers", ControlRequest.Sync::new);
            if (!(response instanceof ControlResponse.Synced synced)) {
                return failed(response);
            }
            if (!synced.laggingWorkers().isEmpty()) {
                return notAcked("the sync", synced.epoch(), synced.laggingWorkers());
            }
            out().println("synced at epoch " + synced.epoch());
            return ExitCodes.OK;
        }
    }
}
