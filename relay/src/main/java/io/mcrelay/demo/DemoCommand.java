package io.mcrelay.demo;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.linux.process.HostFacts;
import io.mcrelay.linux.sys.Processes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mcrelay demo}: see {@link Demo}. */
@Command(name = "demo", sortOptions = false, usageHelpAutoWidth = true,
    description = {
        "See the relay work, in about 20 s: builds a throw-away topology (three network namespaces joined by two veth "
            + "pairs: a source, the relay, a sink), starts the daemon in it with two workers, adds two rules (one "
            + "translating 239.1.1.1:5000 to 239.2.2.2:6000, one fanning 239.1.1.2:5000 out to three groups), sends "
            + "traffic through both with the traffic kit (as 'mcrelay gen' would), shows the daemon's live counters, "
            + "checks every packet at the receivers (as 'mcrelay sink' would: lost, duplicated, reordered, corrupt), "
            + "prints a report (sent, received per output, loss, the relay's CPU time per packet), then removes "
            + "everything: the daemon, the namespaces and links, its files. Ctrl-C or a failure cleans up too.",
        "Needs root (it creates namespaces and runs the daemon); without root, the simulator shows the same "
            + "supervisor and workers at work: mcrelay sim --seeds 20."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every packet arrived at every output once, intact, in order",
        "1:something was lost or damaged, a step failed (said on stderr), or not run as root",
        "2:usage error",
        "130:interrupted (Ctrl-C); everything was removed all the same"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", paramLabel = "S", defaultValue = "10",
        description = "How long the traffic runs, 1 to 600 (default: ${DEFAULT-VALUE}).")
    private int seconds;

    @Option(names = "--rate", paramLabel = "PPS", defaultValue = "2000",
        description = "Packets per second into each rule, 1 to 100000 (default: ${DEFAULT-VALUE}).")
    private int rate;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1200",
        description = "UDP payload of each packet, 38 to 1472 (default: ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final CommandLine line = spec.commandLine();
        if (seconds < 1 || seconds > 600) {
            throw new CommandLine.ParameterException(line, "--seconds must be 1 to 600, not " + seconds);
        }
        if (rate < 1 || rate > 100_000) {
            throw new CommandLine.ParameterException(line, "--rate must be 1 to 100000, not " + rate);
        }
        if (size < 38 || size > 1472) {
            throw new CommandLine.ParameterException(line, "--size must be 38 to 1472, not " + size);
        }
        final PrintWriter out = line.getOut();
        final PrintWriter err = line.getErr();
        if (Processes.effectiveUid() != 0) {
            err.println("mcrelay demo: needs root: it creates network namespaces and veth pairs and runs the daemon "
                + "in them; run it as: sudo ./mcrelay demo");
            err.println("  without root, the simulator runs the same supervisor and workers: ./mcrelay sim --seeds 20");
            return ExitCodes.FAILED;
        }
        final String ip;
        try {
            ip = HostFacts.find("ip", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                + ":/usr/sbin:/sbin", "to build the demo's network namespaces (iproute2)").toString();
        } catch (final RuntimeException e) {
            err.println("mcrelay demo: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        final Demo demo = new Demo(new Demo.Options(seconds, rate, size), ip, out, err);
        final Thread hook = Thread.ofPlatform().name("mcrelay-demo-cleanup").unstarted(() -> {
            if (demo.interrupt()) {
                out.println();
                out.println("interrupted: stopping the traffic and removing everything");
                out.flush();
            }
            demo.cleanUp(TimeUnit.SECONDS.toNanos(30));
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return demo.run();
        } finally {
            demo.cleanUp(TimeUnit.SECONDS.toNanos(30));
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // shutting down (Ctrl-C): the hook runs, and finds everything removed
            }
        }
    }

    /** Registers {@code demo} with the CLI. */
    public static final class Provider implements CliCommandProvider {
        @Override
        public String name() {
            return "demo";
        }

        @Override
        public Object newCommand() {
            return new DemoCommand();
        }
    }
}
