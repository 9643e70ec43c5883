package io.mcrelay.daemon;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.config.ConfigParser;
import io.mcrelay.control.ControlClient;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.linux.packet.RingGeometry;
import io.mcrelay.linux.packetio.PacketBackend;
import io.mcrelay.linux.process.HostFacts;
import io.mcrelay.rules.Limits;
import io.mcrelay.runtime.LogbackJson;
import io.mcrelay.runtime.LogbackLogLevels;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.seam.LogLevels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mcrelay supervisor}: runs the daemon ({@link SupervisorDaemon}) in the foreground until SIGTERM or SIGINT,
 * which stop the workers, remove the control socket, close the journal and exit 0. Registered through
 * {@link Provider} ({@code META-INF/services}), so the CLI's entry point does not list it.
 */
@Command(name = "supervisor",
    mixinStandardHelpOptions = true,
    description = {
        "Run the relay daemon in the foreground: control socket, journal, packet sockets, workers.",
        "SIGTERM or SIGINT stop it: workers stopped, socket file removed, journal closed, exit 0. SIGHUP reloads "
            + "--config: the file, read again, becomes the table in one epoch (unchanged rules keep their ids and lose "
            + "nothing; rules added at run time and absent from the file are removed); a file that cannot be read or "
            + "is not valid changes nothing and is logged with its line and field; without --config, SIGHUP is "
            + "logged and changes nothing."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:stopped by SIGTERM or SIGINT",
        "1:could not start (one line on stderr: socket in use, a capability missing, --backend io_uring where it "
            + "cannot run, bad --config, unknown --user or --socket-group...)",
        "2:usage error"})
public class SupervisorCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorCommand.class);
    /** The journal directory when {@code --journal} is not given. */
    public static final String DEFAULT_JOURNAL = "/var/lib/mcrelay/journal";
    /** How long a SIGTERM waits for the daemon to stop before the JVM exits anyway. */
    static final long STOP_TIMEOUT_SECONDS = 30;
    /** The longest {@code --control-idle-timeout}: a day (an idle connection is never useful for longer). */
    static final long CONTROL_IDLE_TIMEOUT_SECONDS_MAX = 86_400;

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "A rules file (as for 'config load') loaded once the daemon runs, after the journal's table, "
            + "and again on each SIGHUP; a bad file stops the start (on SIGHUP it changes nothing).")
    private Path config;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = ControlClient.DEFAULT_SOCKET,
        description = {"The control socket; the workers' runtime directory is made beside it.",
            "Default: ${DEFAULT-VALUE}"})
    private Path socket;

    @Option(names = "--socket-group", paramLabel = "GROUP",
        description = {"The control socket's group: its members may use every mcrelay command (the socket is 0660).",
            "Default: the supervisor's primary group. An unknown group stops the start (exit 1)."})
    private String socketGroup;

    @Option(names = "--control-idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
        description = {"Close a control connection that completes no request for this long after its last request "
            + "or answer, silent or halfway through one (default: ${DEFAULT-VALUE}; a whole number from 1 to "
            + CONTROL_IDLE_TIMEOUT_SECONDS_MAX + ").",
            "Users other than root hold at most 16 control connections each and 64 in all, and 64 MiB of unfinished "
            + "requests and unread answers each, 128 MiB in all; a connection over a limit is told why and closed, "
            + "and a WARN line (at most one per limit every 10 s) says so."})
    private String controlIdleTimeout;

    @Option(names = "--workers", paramLabel = "N",
        description = "Worker processes, 1 to 1024 (default: one per CPU this process may run on).")
    private Integer workers;

    @Option(names = "--user", paramLabel = "USER",
        description = {"The workers' account (default: mcrelay-worker if it exists, else mcrelay, else nobody; never "
            + "root). As root, or holding CAP_SETUID and CAP_SETGID, the supervisor starts them as that account; "
            + "otherwise, or when it is the supervisor's own account, as the supervisor's user. Either way through "
            + "setpriv: no capabilities, no_new_privs."})
    private String user;

    @Option(names = "--journal", paramLabel = "DIR", defaultValue = DEFAULT_JOURNAL,
        description = "The journal directory; rules are recovered from it at start (default: ${DEFAULT-VALUE}).")
    private Path journal;

    @Option(names = "--backend", paramLabel = "auto|io_uring|epoll", defaultValue = "auto",
        description = {"The workers' packet backend (default: ${DEFAULT-VALUE}). Both read the same receive rings in "
            + "place and send with sendmmsg; io_uring waits and polls through one io_uring, epoll (the fallback where "
            + "io_uring is blocked: a seccomp profile, kernel.io_uring_disabled, an old kernel) waits with epoll. "
            + "auto takes io_uring when the workers could use it (a probe here, and kernel.io_uring_disabled as it "
            + "applies to them), else epoll; the choice and its reason are logged at start. io_uring forced where it "
            + "cannot run stops the start, saying why."})
    private String backend;

    @Option(names = "--ring-size", paramLabel = "BYTES", defaultValue = "32M",
        description = {"Each worker's receive ring per input interface (default: ${DEFAULT-VALUE}; K, M, G suffixes; "
            + "256K to 1G). A ring absorbs a worker's pauses (JIT, GC, a busy CPU): it tolerates about "
            + "min(ring bytes / (packets/s x (frame bytes + 82, rounded up to 16)), blocks x 2 ms) without loss; "
            + "the default, 256 blocks of 128 KiB, about 105 ms at 200,000 packets/s of 1,514-byte frames and "
            + "512 ms at low rates. The "
            + "daemon logs the tolerance it configured. Memory: workers x input interfaces x this size, in the "
            + "kernel."})
    private String ringSize;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "INFO",
        description = "TRACE, DEBUG, INFO, WARN or ERROR (default: ${DEFAULT-VALUE}); logs go to stderr.")
    private String logLevel;

    @Option(names = "--log-json",
        description = "Write the daemon's log on stderr as one JSON object per line (Logback's JSON encoder: time, "
            + "level, thread, logger, message, MDC). What a worker prints reaches it when the worker exits, a line an "
            + "entry tagged with the worker's index and pid (all of it stays in worker-N-L.log).")
    private boolean logJson;

    @Option(names = "--metrics", paramLabel = "ADDR:PORT",
        description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (the counters of 'stats', worker state "
            + "and restarts, epoch, the journal's state; refreshed every second), e.g. 127.0.0.1:9464; PORT 0 takes "
            + "a free port (logged). Off by default.")
    private String metrics;

    @Option(names = "--check",
        description = "Check whether the daemon would start with these options, without starting it (nothing is "
            + "created, bound or launched): the capabilities it needs (each missing one named, with what it is for), "
            + "the packet backend, setpriv, the workers' account, the journal's and the control socket's directories, "
            + "the socket's group, --config and the interfaces its rules name, the kernel. Prints a line per check (ok or missing, "
            + "and why); exit 0 when it would start, 1 otherwise.")
    private boolean check;

    @Option(names = "--metrics-outputs",
        description = "With --metrics, per-output series too (one per output of every rule: up to 65,536 x 256).")
    private boolean metricsOutputs;

    @Override
    public Integer call() throws InterruptedException {
        final SupervisorDaemon.Config options = checkedOptions();
        final PrintWriter err = spec.commandLine().getErr();
        if (check) {
            final PrintWriter out = spec.commandLine().getOut();
            final java.util.List<SupervisorCheck.Outcome> outcomes = SupervisorCheck.run(options, config,
                configProblem());
            outcomes.forEach(outcome -> out.println(outcome.line()));
            final long missing = outcomes.stream().filter(outcome -> !outcome.ok()).count();
            out.println(missing == 0 ? "the daemon would start" : missing + (missing == 1 ? " thing" : " things")
                + " missing: the daemon would not start");
            return missing == 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
        final String configText = readConfig(err);
        if (config != null && configText == null) {
            return ExitCodes.FAILED;
        }
        if (logJson) {
            LogbackJson.toStderr();
        }
        final String levelProblem = new LogbackLogLevels().set(LogLevels.ROOT, logLevel);
        if (levelProblem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--log-level: " + levelProblem);
        }
        final SupervisorDaemon daemon;
        try {
            daemon = SupervisorDaemon.start(configText == null ? options
                : options.withConfigFile(new SupervisorDaemon.ConfigFile(config.toString(), configText)), seams());
        } catch (final SupervisorDaemon.StartupException e) {
            err.println("mcrelay " + spec.name() + ": cannot start: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        final Thread hook = Thread.ofPlatform().name("mcrelay-shutdown").unstarted(() -> stopOnSignal(daemon));
        Runtime.getRuntime().addShutdownHook(hook);
        reloadOnHangUp(daemon);
        try {
            daemon.run();
        } catch (final RuntimeException | Error e) {
            // Never looped over: the loop has stopped and closed everything; the service manager restarts us.
            LOG.error("the supervisor's duty cycle failed; exiting", e);
            err.println("mcrelay " + spec.name() + ": failed: " + e);
            return ExitCodes.FAILED;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException e) {
                // shutting down: the hook is running and ends the process with exit 0
            }
        }
        return ExitCodes.OK;
    }

    /**
     * SIGHUP reloads the {@code --config} file (the JVM's own handler would end the process, where operators expect a
     * reload); where the signal cannot be handled (the JVM runs with {@code -Xrs}), a WARN line says so.
     */
    private static void reloadOnHangUp(final SupervisorDaemon daemon) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> daemon.requestReload());
        } catch (final IllegalArgumentException e) {
            LOG.warn("SIGHUP cannot be handled here ({}): a reload needs 'mcrelay config load FILE'", e.getMessage());
        }
    }

    /**
     * What the supervisor's seams pass through before the core sees them: nothing here (this command keeps no fault
     * switch); the fault-injection module's {@code fault-supervisor} extends this command to decorate them.
     */
    protected UnaryOperator<Supervisor.Seams> seams() {
        return UnaryOperator.identity();
    }

    /** The options, checked: a bad one is a usage error naming it. */
    SupervisorDaemon.Config checkedOptions() {
        final CommandLine line = spec.commandLine();
        final SupervisorDaemon.Metrics served = metrics == null ? null
            : new SupervisorDaemon.Metrics(metricsAddress(line, metrics), metricsOutputs);
        if (metricsOutputs && metrics == null) {
            throw new CommandLine.ParameterException(line, "--metrics-outputs needs --metrics ADDR:PORT");
        }
        final PacketBackend.Preference preference;
        try {
            preference = PacketBackend.Preference.parse(backend);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(line, "--backend: " + e.getMessage());
        }
        final int count = workers != null ? workers : HostFacts.allowedCpus().length;
        if (count < 1 || count > 1024) {
            throw new CommandLine.ParameterException(line, "--workers must be 1 to 1024, not " + count);
        }
        final Path socketPath = socket.toAbsolutePath().normalize();
        if (socketPath.getParent() == null) {
            throw new CommandLine.ParameterException(line, "--socket " + socket + " has no parent directory");
        }
        final RingGeometry ring;
        try {
            ring = RingGeometry.forBytes(RingGeometry.parseBytes(ringSize));
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(line, "--ring-size: " + e.getMessage());
        }
        final long idleTimeoutSeconds = parseIdleTimeout(line);
        final UnixControlServer.Config control = UnixControlServer.Config.DEFAULTS
            .withIdleTimeoutNs(TimeUnit.SECONDS.toNanos(idleTimeoutSeconds));
        return new SupervisorDaemon.Config(socketPath, count, user, journal, socketPath.getParent(), null, ring,
            socketGroup, control, served, preference);
    }

    /** {@code ADDR:PORT} (an IPv4 address or host name, or {@code [IPv6]}; PORT 0 to 65535), or a usage error. */
    static java.net.InetSocketAddress metricsAddress(final CommandLine line, final String text) {
        final int colon = text.lastIndexOf(':');
        final String host = colon > 0 ? text.substring(0, colon).replaceAll("^\\[(.*)]$", "$1") : "";
        final String portText = colon >= 0 ? text.substring(colon + 1) : "";
        final int port;
        try {
            port = Integer.parseInt(portText);
        } catch (final NumberFormatException e) {
            throw new CommandLine.ParameterException(line, "--metrics must be ADDR:PORT (e.g. 127.0.0.1:9464), not '"
                + text + "'");
        }
        if (host.isEmpty() || port < 0 || port > 65_535) {
            throw new CommandLine.ParameterException(line, "--metrics must be ADDR:PORT with an address and a port "
                + "from 0 to 65535 (e.g. 127.0.0.1:9464), not '" + text + "'");
        }
        return java.net.InetSocketAddress.createUnresolved(host, port);
    }

    private long parseIdleTimeout(final CommandLine line) {
        final String text = controlIdleTimeout.strip();
        long seconds = -1;
        if (text.matches("[0-9]{1,10}")) {
            seconds = Long.parseLong(text);
        }
        if (seconds < 1 || seconds > CONTROL_IDLE_TIMEOUT_SECONDS_MAX) {
            throw new CommandLine.ParameterException(line, "--control-idle-timeout must be a whole number of seconds "
                + "from 1 to " + CONTROL_IDLE_TIMEOUT_SECONDS_MAX + ", not '" + controlIdleTimeout + "'");
        }
        return seconds;
    }

    /** The --config file's text once checked, or null (with the errors printed) if it cannot be used. */
    private String readConfig(final PrintWriter err) {
        if (config == null) {
            return null;
        }
        final String problem = configProblem();
        if (problem != null) {
            err.println("mcrelay " + spec.name() + ": " + problem);
            return null;
        }
        try {
            return Files.readString(config);
        } catch (final IOException e) {
            err.println("mcrelay " + spec.name() + ": cannot read --config " + config + ": " + e.getMessage());
            return null;
        }
    }

    /** What is wrong with the {@code --config} file, or {@code null} (also when there is none). */
    private String configProblem() {
        if (config == null) {
            return null;
        }
        final String text;
        try {
            text = Files.readString(config);
        } catch (final IOException e) {
            return "cannot read --config " + config + ": " + e.getMessage();
        }
        final ConfigParser.Result parsed = ConfigParser.parse(config.toString(), text, Limits.DEFAULT);
        return parsed.isValid() ? null : "--config " + config + " is not valid: " + parsed.describe();
    }

    private static void stopOnSignal(final SupervisorDaemon daemon) {
        daemon.requestStop();
        try {
            if (daemon.awaitStopped(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                System.out.flush();
                System.err.flush();
                // A JVM ending on SIGTERM exits 143; the daemon stopped cleanly, so say so.
                Runtime.getRuntime().halt(ExitCodes.OK);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Registers {@code supervisor} with the CLI. */
    public static final class Provider implements CliCommandProvider {
        @Override
        public String name() {
            return "supervisor";
        }

        @Override
        public Object newCommand() {
            return new SupervisorCommand();
        }
    }
}
