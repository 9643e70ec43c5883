package io.mcrelay.cli;

import java.util.function.LongFunction;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import picocli.CommandLine.Option;

/**
 * A command that asks one question and prints the answer, as text for people or, with {@code --json}, as the JSON
 * document the CLI contract fixes for scripts.
 *
 * @param <T> the answer expected; any other is printed as a failure by {@link #failed}
 */
abstract class ReportCommand<T extends ControlResponse> extends ClientCommand {
    @Option(names = "--json", description = "Print JSON with the contract's field names, for scripts.")
    private boolean json;

    private final Class<T> answerType;
    private final LongFunction<ControlRequest> request;

    ReportCommand(final Class<T> answerType, final LongFunction<ControlRequest> request) {
        this.answerType = answerType;
        this.request = request;
    }

    @Override
    final int run() throws ControlClient.UnreachableException {
        if (watchIntervalNanos() > 0) {
            return watch(watchIntervalNanos());
        }
        return report(() -> { });
    }

    /**
     * Asks for the report once and prints it ({@code beforeText} runs first when it is printed for people): exit 0, or
     * the daemon's refusal's exit code.
     */
    private int report(final Runnable beforeText) throws ControlClient.UnreachableException {
        final ControlResponse response = send(request);
        if (!answerType.isInstance(response)) {
            return failed(response);
        }
        final T answer = answerType.cast(response);
        if (json) {
            printJson(json(answer));
        } else {
            beforeText.run();
            printText(answer);
        }
        return ExitCodes.OK;
    }

    /** The interval of {@code --watch} in nanoseconds, or 0 for one report. */
    long watchIntervalNanos() {
        return 0;
    }

    /**
     * Asks for the report every {@code intervalNs} until interrupted (SIGINT, Ctrl-C: exit 0): with {@code --json},
     * one object per line; on a terminal outside CI, the report redrawn in place under a header; otherwise the
     * reports one after another, each under its header. Each request also keeps the connection from the daemon's
     * idle timeout.
     */
    private int watch(final long intervalNs) throws ControlClient.UnreachableException {
        final Thread loop = Thread.currentThread();
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final sun.misc.Signal interrupt = new sun.misc.Signal("INT");
        final sun.misc.SignalHandler previous = sun.misc.Signal.handle(interrupt, signal -> {
            stop.set(true);
            loop.interrupt();
        });
        try {
            final boolean redraw = !json && Progress.interactive(System.getenv("CI"), System.console());
            final String every = intervalNs % 1_000_000_000L == 0 ? intervalNs / 1_000_000_000L + " s"
                : intervalNs / 1_000_000L + " ms";
            while (!stop.get()) {
                final int code = report(() -> {
                    if (redraw) {
                        out().print("\033[H\033[2J"); // home, clear the screen
                    }
                    out().println("mcrelay " + spec.name() + " every " + every + " at "
                        + java.time.LocalTime.now().withNano(0) + " (Ctrl-C to stop)");
                });
                if (code != ExitCodes.OK) {
                    return code;
                }
                if (!json && !redraw) {
                    out().println();
                }
                out().flush();
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(intervalNs);
                } catch (final InterruptedException e) {
                    // SIGINT: the loop ends with the report it printed
                }
            }
            return ExitCodes.OK;
        } finally {
            sun.misc.Signal.handle(interrupt, previous);
            Thread.interrupted(); // a SIGINT that came while the last report was printed
        }
    }

    /** The value printed with {@code --json}. */
    abstract Object json(T answer);

    /** Prints the answer for people. */
    abstract void printText(T answer);
}
