package io.mcrelay.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.mcrelay.BuildInfo;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mcrelay version}: the CLI's version and protocol version, and the daemon's when one answers. */
@Command(name = "version",
    description = {
        "Print the CLI's version and control protocol version, and the daemon's when one answers.",
        "Exits 0 whether or not a daemon answers; 3 when the daemon speaks another protocol version."})
public final class VersionCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private SocketOption socket;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "2000",
        description = "How long to wait for the daemon's answer (default: ${DEFAULT-VALUE}).")
    private long timeoutMs;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        out.println("mcrelay " + BuildInfo.version());
        out.println("control protocol " + BuildInfo.CONTROL_PROTOCOL_VERSION);
        final Path path = socket.path();
        try (ControlClient client = ControlClient.connect(path, timeoutMs)) {
            final ControlResponse.Welcome welcome = client.welcome();
            out.println("daemon " + welcome.daemonVersion() + " (control protocol " + welcome.protocolVersion()
                + ") at " + path);
            if (welcome.protocolVersion() != BuildInfo.CONTROL_PROTOCOL_VERSION) {
                spec.commandLine().getErr().println("mcrelay: the daemon speaks control protocol "
                    + welcome.protocolVersion() + ", this CLI speaks " + BuildInfo.CONTROL_PROTOCOL_VERSION);
                return ExitCodes.UNREACHABLE;
            }
        } catch (final ControlClient.UnreachableException e) {
            out.println("daemon: not reachable (" + e.getMessage() + ")");
        }
        return ExitCodes.OK;
    }
}
