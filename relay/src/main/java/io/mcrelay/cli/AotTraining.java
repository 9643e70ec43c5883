package io.mcrelay.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;

/**
 * The training run from which {@code dist} builds the shipped jar's JDK AOT cache ({@code -XX:AOTCacheOutput}): what
 * the client commands load and link on their way to an answer, so that a command run with the cache
 * ({@code -XX:AOTCache}) finds its classes already parsed and linked. Every class the training loads is loaded at
 * each start from the cache, so it runs what a client command needs and no more: never the whole command tree
 * ({@code mcrelay --help} builds every command, the supervisor's logging included). It parses the commands'
 * options, prints their help, fails to reach a daemon at a path where none is, and encodes and decodes the control
 * frames a client sends and receives; its output goes nowhere. Must run with the same JVM options and class path as
 * the commands later do.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(final String[] args) throws Exception {
        final Path dir = Files.createTempDirectory("mcrelay-aot-training");
        try {
            final String socket = dir.resolve("no-daemon.sock").toString();
            final List<String[]> runs = List.of(
                new String[] {"version", "--socket", socket},
                new String[] {"ping", "--socket", socket},
                new String[] {"list", "--json", "--socket", socket},
                new String[] {"stats", "--json", "--socket", socket},
                new String[] {"workers", "--socket", socket},
                new String[] {"add", "--socket", socket, "--id", "training", "--input-interface", "lo",
                    "--input-group", "239.1.1.1", "--input-port", "5000", "--output", "239.1.1.2:5000:lo:1"},
                new String[] {"remove", "--socket", socket, "training"},
                new String[] {"add", "--help"},
                new String[] {"gen", "--help"},
                new String[] {"sink", "--help"},
                new String[] {"add", "--input-port", "not-a-port"});
            final PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
            for (final String[] run : runs) {
                Main.execute(run, nowhere, nowhere);
            }
            // The frames a client writes and reads, through the codec's mapper.
            for (final ControlRequest request : List.of(new ControlRequest.Ping(1), new ControlRequest.ListRules(2),
                new ControlRequest.Stats(3))) {
                ControlCodec.decodeRequest(ControlCodec.encode(request));
            }
            for (final ControlResponse response : List.<ControlResponse>of(
                new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION, BuildInfo.version()),
                new ControlResponse.Pong(1))) {
                ControlCodec.decodeResponse(ControlCodec.encode(response));
            }
        } finally {
            Files.deleteIfExists(dir.resolve("no-daemon.sock"));
            Files.delete(dir);
        }
    }
}
