package io.mcrelay.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

import io.mcrelay.control.ControlClient;

/** The options every command that talks to the daemon takes: {@code --socket PATH} and {@code --help}. */
final class SocketOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "Control socket of the daemon (default: $MCRELAY_SOCKET, else " + ControlClient.DEFAULT_SOCKET
            + ").")
    private String socket;

    /** The socket from {@code --socket}, else {@code MCRELAY_SOCKET}, else the default. */
    Path path() {
        return ControlClient.socketPath(socket);
    }
}
