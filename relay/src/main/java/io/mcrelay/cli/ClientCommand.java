package io.mcrelay.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.mcrelay.BuildInfo;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The shape of every client command: check the arguments (a bad one is a usage error, exit 2, before any
 * connection), connect to the daemon and say hello (exit 3 when it cannot be reached or speaks another protocol
 * version), send one or more requests and print the answers. A refusal prints its message on stderr (exit 1); a
 * change committed but not acked by every worker names the lagging workers (exit 4). One object per invocation.
 */
public abstract class ClientCommand implements Callable<Integer> {
    /** Default time to wait for each answer: the daemon answers a change within its ack timeout (1 s). */
    static final String DEFAULT_TIMEOUT_MS = "10000";

    @Spec
    CommandSpec spec;

    @Mixin
    private SocketOption socket;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = DEFAULT_TIMEOUT_MS,
        description = "How long to wait for each of the daemon's answers (default: ${DEFAULT-VALUE}).")
    private long timeoutMs;

    private ControlClient client;
    private Path socketPath;

    @Override
    public final Integer call() {
        checkArguments();
        final Integer early = beforeConnecting();
        if (early != null) {
            return early;
        }
        if (timeoutMs <= 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--timeout-ms must be positive: " + timeoutMs);
        }
        socketPath = socket.path();
        try (ControlClient connected = ControlClient.connect(socketPath, timeoutMs)) {
            final int daemonProtocol = connected.welcome().protocolVersion();
            if (daemonProtocol != BuildInfo.CONTROL_PROTOCOL_VERSION) {
                err().println("mcrelay: the daemon at " + socketPath + " speaks control protocol " + daemonProtocol
                    + ", this CLI speaks " + BuildInfo.CONTROL_PROTOCOL_VERSION);
                return ExitCodes.UNREACHABLE;
            }
            client = connected;
            return run();
        } catch (final ControlClient.UnreachableException e) {
            return whenUnreachable(e);
        } finally {
            client = null;
        }
    }

    /** Checks the arguments before any connection; throws a picocli {@code ParameterException} for a bad one. */
    void checkArguments() {
    }

    /** Work done before connecting: {@code null} to go on, or the exit code to end with (nothing is sent). */
    Integer beforeConnecting() {
        return null;
    }

    /** No daemon answered (or the connection broke): says so and exits 3, unless a command can do without. */
    int whenUnreachable(final ControlClient.UnreachableException e) {
        final String message = e.getMessage();
        err().println("mcrelay: " + (message.contains(socketPath.toString()) ? message
            : message + " (daemon at " + socketPath + ")"));
        return ExitCodes.UNREACHABLE;
    }

    /** Talks to the daemon and returns the exit code. */
    abstract int run() throws ControlClient.UnreachableException;

    /** Sends the request made with a fresh request id and returns the daemon's answer. */
    final ControlResponse send(final LongFunction<ControlRequest> request) throws ControlClient.UnreachableException {
        return client.exchange(request.apply(client.nextRequestId()));
    }

    /** Like {@link #send}, showing progress on a terminal while the daemon waits for the workers' acks. */
    final ControlResponse sendAndWait(final String what, final LongFunction<ControlRequest> request)
        throws ControlClient.UnreachableException {
        final Progress progress = Progress.start(err(), what);
        try {
            return send(request);
        } finally {
            progress.done();
        }
    }

    /** The socket this invocation talks to. */
    final Path socketPath() {
        return socketPath;
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Prints an answer that is not the expected one and returns its exit code: a refusal's message (one line per
     * problem) with exit 1, or 3 for a version mismatch; anything else is a daemon that broke the protocol, exit 1.
     */
    final int failed(final ControlResponse response) {
        if (response instanceof ControlResponse.Refused refused) {
            final String[] lines = refused.message() == null || refused.message().isEmpty()
                ? new String[] {refused.code()} : refused.message().split("\n");
            for (final String line : lines) {
                err().println("mcrelay: " + line);
            }
            return "version_mismatch".equals(refused.code()) ? ExitCodes.UNREACHABLE : ExitCodes.FAILED;
        }
        err().println("mcrelay: the daemon gave an unexpected answer: " + response.getClass().getSimpleName());
        return ExitCodes.FAILED;
    }

    /** Names the workers that did not ack a committed change in time and returns exit code 4. */
    final int notAcked(final String change, final long epoch, final List<Integer> laggingWorkers) {
        err().println("mcrelay: " + change + " is committed (epoch " + epoch + ") but not acked in time by "
            + (laggingWorkers.size() == 1 ? "worker " : "workers ")
            + laggingWorkers.stream().map(String::valueOf).collect(Collectors.joining(", "))
            + "; they are being resynced or restarted");
        return ExitCodes.NOT_ACKED;
    }

    /** Prints {@code value} as one JSON document with the project's conventions (snake_case). */
    final void printJson(final Object value) {
        try {
            out().println(MAPPER.writeValueAsString(value));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot write the answer as JSON", e);
        }
    }

    /** The mapper of {@code --json} output. */
    static final ObjectMapper MAPPER = ControlCodec.newMapper();
}
