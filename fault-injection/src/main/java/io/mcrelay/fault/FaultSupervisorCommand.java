package io.mcrelay.fault;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.daemon.SupervisorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mcrelay fault-supervisor}: the real daemon ({@code mcrelay supervisor}'s options and behaviour) with faults
 * injected through its seams, for tests on the real kernel: the simulator's worker-channel faults and crash points
 * from a seed, and switches that break one recovery each. {@code mcrelay supervisor} itself has no fault switch.
 */
@Command(name = "fault-supervisor",
    mixinStandardHelpOptions = true,
    description = {
        "Run the relay daemon as 'mcrelay supervisor' does, with faults injected through its seams: for tests on the "
            + "real kernel, never for production. Every option of 'mcrelay supervisor' applies.",
        "--faults enables fault kinds on the supervisor's end of the worker channels, each at --fault-rate of its "
            + "opportunities, drawn from --seed: channel-loss, channel-duplication, channel-delay, channel-reorder "
            + "(a frame lost, delivered twice, late, out of order) and worker-crash-before-apply (the worker is "
            + "killed as a command goes to it).",
        "--break breaks one recovery: respawn (a dead worker is never replaced), sync (every Sync to a replacement "
            + "worker is dropped), joins (group joins are answered as made and never made), links (link events "
            + "after the start are lost), restore (the journal of earlier lives is never read back: a restart "
            + "recovers no rule), space (once the journal refused an entry, it refuses every later one, even after "
            + "space comes back)."})
public final class FaultSupervisorCommand extends SupervisorCommand {
    private static final Logger LOG = LoggerFactory.getLogger(FaultSupervisorCommand.class);

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
        description = "The seed of the fault plan (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--faults", paramLabel = "KIND[,KIND...]", split = ",",
        description = "Fault kinds to inject (default: none).")
    private List<String> faults = List.of();

    @Option(names = "--fault-rate", paramLabel = "R", defaultValue = "0.02",
        description = "The share of opportunities each kind faults, above 0 and at most 1 (default: "
            + "${DEFAULT-VALUE}).")
    private double rate;

    @Option(names = "--break", paramLabel = "RECOVERY[,RECOVERY...]", split = ",",
        description = "Recoveries to break: respawn, sync, joins, links (default: none).")
    private List<String> breaks = List.of();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec faultSpec;

    @Override
    protected UnaryOperator<Supervisor.Seams> seams() {
        final Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        final Set<Break> broken = EnumSet.noneOf(Break.class);
        final FaultySupervisorSeams seams;
        try {
            faults.forEach(word -> kinds.add(FaultKind.ofWord(word)));
            breaks.forEach(word -> broken.add(Break.of(word)));
            seams = new FaultySupervisorSeams(seed, rate, kinds, broken);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(faultSpec.commandLine(), e.getMessage());
        }
        LOG.warn("fault injection (not for production): seed {}, faults {} at rate {}, broken recoveries {}", seed,
            kinds.stream().map(FaultKind::word).toList(), rate, broken.stream().map(Break::word).toList());
        return seams;
    }

    /** Registers {@code fault-supervisor} with the CLI. */
    public static final class Provider implements CliCommandProvider {
        @Override
        public String name() {
            return "fault-supervisor";
        }

        @Override
        public Object newCommand() {
            return new FaultSupervisorCommand();
        }
    }
}
