package io.mcrelay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;

/**
 * The training run from which {@code dist} builds the shipped jar's JDK AOT cache ({@code -XX:AOTCacheOutput}): what
 * the client commands load and link on their way to an answer, so that a command run with the cache
 * ({@code -XX:AOTCache}) finds its classes already parsed and linked. Every class the training loads is loaded at
 * each start from the cache, so it runs what a client command needs and no more: never the whole command tree
 * ({@code mcrelay --help} builds every command, the supervisor's logging included). It parses the commands'
 * options, prints their help, talks to a {@linkplain TrainingPeer stand-in daemon} over a real Unix socket (so the
 * connection, the handshake and each answer's decoding and printing are in the cache), fails to reach a daemon at a
 * path where none is, and ends with {@link System#exit} as every command does. Its output goes nowhere. Must run with
 * the same JVM options and class path as the commands later do.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(final String[] args) throws Exception {
        final Path dir = Files.createTempDirectory("mcrelay-aot-training");
        final Path socket = dir.resolve("training.sock");
        try (TrainingPeer peer = TrainingPeer.listen(socket)) {
            final String none = dir.resolve("no-daemon.sock").toString();
            final String live = socket.toString();
            final List<String[]> runs = List.of(
                new String[] {"version", "--socket", none},
                new String[] {"ping", "--socket", none},
                new String[] {"list", "--json", "--socket", none},
                new String[] {"version", "--socket", live},
                new String[] {"ping", "--socket", live},
                new String[] {"add", "--socket", live, "--id", "training", "--input-interface", "lo",
                    "--input-group", "239.1.1.1", "--input-port", "5000", "--output", "239.1.1.2:5000:lo:1"},
                new String[] {"list", "--socket", live},
                new String[] {"list", "--json", "--socket", live},
                new String[] {"stats", "--socket", live},
                new String[] {"stats", "--json", "--socket", live},
                new String[] {"workers", "--socket", live},
                new String[] {"workers", "--json", "--socket", live},
                new String[] {"remove", "--socket", live, "training"},
                new String[] {"remove", "--socket", live, "no-such-rule"},
                new String[] {"add", "--help"},
                new String[] {"gen", "--help"},
                new String[] {"sink", "--help"},
                new String[] {"add", "--input-port", "not-a-port"});
            final PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
            for (final String[] run : runs) {
                Main.execute(run, nowhere, nowhere);
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
        // Every command ends here (Main's exit path loads the JDK's exit logging): the cache is written at exit.
        System.exit(0);
    }

    /**
     * A stand-in for the daemon's control socket: one thread that accepts connections one at a time and answers each
     * request as the daemon would shape it (rules added are listed until removed; counters are zero). Only for the
     * training: it does not check what a real daemon checks.
     */
    static final class TrainingPeer implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread thread;
        private final List<RuleDocument> rules = new ArrayList<>();
        private long epoch;

        private TrainingPeer(final ServerSocketChannel server) {
            this.server = server;
            this.thread = new Thread(this::serve, "aot-training-peer");
            thread.setDaemon(true);
        }

        static TrainingPeer listen(final Path socket) throws IOException {
            final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            final TrainingPeer peer = new TrainingPeer(server);
            peer.thread.start();
            return peer;
        }

        private void serve() {
            while (server.isOpen()) {
                try (SocketChannel channel = server.accept()) {
                    converse(channel);
                } catch (final IOException e) {
                    if (server.isOpen()) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }

        private void converse(final SocketChannel channel) throws IOException {
            final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
            final List<byte[]> requests = new ArrayList<>();
            final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (channel.read(in) >= 0) {
                decoder.feed(in.array(), 0, in.position(), requests::add);
                in.clear();
                for (final byte[] request : requests) {
                    final ByteBuffer out = ByteBuffer.wrap(Frames.frame(
                        ControlCodec.encode(answer(ControlCodec.decodeRequest(request))), Frames.CONTROL_BYTES_MAX));
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                }
                requests.clear();
            }
        }

        private ControlResponse answer(final ControlRequest request) {
            final long id = request.requestId();
            return switch (request) {
                case ControlRequest.Hello hello ->
                    new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION, BuildInfo.version());
                case ControlRequest.Ping ping -> new ControlResponse.Pong(id, ControlResponse.JournalState.OK);
                case ControlRequest.Version version ->
                    new ControlResponse.VersionInfo(id, BuildInfo.version(), BuildInfo.CONTROL_PROTOCOL_VERSION);
                case ControlRequest.Add add -> {
                    final RuleDocument rule = add.rule();
                    rules.add(new RuleDocument(rule.id(), rule.name(), rule.inputInterface(), rule.inputGroup(),
                        rule.inputPort(), rule.inputSource(), rule.outputs(), "active"));
                    yield new ControlResponse.RuleAdded(id, rule.id(), ++epoch);
                }
                case ControlRequest.Remove remove -> rules.removeIf(r -> r.id().equals(remove.id()))
                    ? new ControlResponse.RuleRemoved(id, remove.id(), ++epoch)
                    : new ControlResponse.Refused(id, "not_found", "no rule " + remove.id(), List.of());
                case ControlRequest.ListRules list -> new ControlResponse.Rules(id, epoch, rules);
                case ControlRequest.Stats stats -> new ControlResponse.StatsReport(id,
                    rules.stream().map(r -> new ControlResponse.RuleStats(r.id(), 0, 0, 0, 0,
                        ControlResponse.Drops.NONE, r.outputs().stream().map(o -> new ControlResponse.OutputStats(
                            o.group(), o.port(), o.interfaceName(), 0, 0, 0)).toList())).toList(),
                    0, ControlResponse.RemovedRules.NONE, ControlResponse.Drops.NONE,
                    List.of(new ControlResponse.InputStats("lo", 0, 0, 0, 0)), workers(),
                    ControlResponse.JournalState.OK);
                case ControlRequest.Workers list -> new ControlResponse.WorkerList(id, workers());
                default -> new ControlResponse.Refused(id, "unsupported", "not in the training", List.of());
            };
        }

        private List<ControlResponse.WorkerInfo> workers() {
            return List.of(new ControlResponse.WorkerInfo(0, ProcessHandle.current().pid(), "ready", 0, epoch,
                "0000000000000000", "none"));
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
