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
        final ControlResponse response = send(request);
        if (!answerType.isInstance(response)) {
            return failed(response);
        }
        final T answer = answerType.cast(response);
        if (json) {
            printJson(json(answer));
        } else {
            printText(answer);
        }
        return ExitCodes.OK;
    }

    /** The value printed with {@code --json}. */
    abstract Object json(T answer);

    /** Prints the answer for people. */
    abstract void printText(T answer);
}
