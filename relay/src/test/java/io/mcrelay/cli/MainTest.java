package io.mcrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.BuildInfo;
import io.mcrelay.cli.spi.CliCommandProvider;
import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;
import picocli.CommandLine;

/** The CLI's surface: exit codes, version with and without a daemon, commands found through ServiceLoader. */
class MainTest {
    @TempDir
    Path dir;

    private static CliRun run(final String... args) {
        return CliRun.of(args);
    }

    @Test
    void versionWithoutADaemonSaysSoAndSucceeds() {
        final Path socket = dir.resolve("absent.sock");
        final CliRun run = run("version", "--socket", socket.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("mcrelay " + BuildInfo.version() + "\ncontrol protocol " + BuildInfo.CONTROL_PROTOCOL_VERSION + "\ndaemon: not reachable (no daemon: "
            + "nothing at " + socket + " (start one with 'mcrelay supervisor', or pass --socket / set MCRELAY_SOCKET))\n",
            run.out());
        assertTrue(BuildInfo.version().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), BuildInfo.version());
    }

    @Test
    void versionShowsTheDaemonThatAnswers() throws Exception {
        final Path socket = dir.resolve("control.sock");
        try (FakeDaemon daemon = new FakeDaemon(socket, new ControlResponse.Welcome(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "9.9.9"))) {
            final CliRun run = run("version", "--socket", socket.toString());
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().endsWith("daemon 9.9.9 (control protocol " + BuildInfo.CONTROL_PROTOCOL_VERSION + ") at " + socket + "\n"), run::toString);
            final ControlRequest.Hello hello = (ControlRequest.Hello) daemon.firstRequest();
            assertEquals(BuildInfo.CONTROL_PROTOCOL_VERSION, hello.protocolVersion());
        }
    }

    @Test
    void versionExitsThreeWhenTheDaemonSpeaksAnotherProtocol() throws Exception {
        final Path socket = dir.resolve("control.sock");
        try (FakeDaemon ignored = new FakeDaemon(socket, new ControlResponse.Welcome(7, "2.0.0"))) {
            final CliRun run = run("version", "--socket", socket.toString());
            assertEquals(ExitCodes.UNREACHABLE, run.exitCode(), run::toString);
            assertEquals("mcrelay: the daemon speaks control protocol 7, this CLI speaks "
                + BuildInfo.CONTROL_PROTOCOL_VERSION + "\n", run.err());
        }
    }

    @Test
    void versionReportsADaemonThatDoesNotAnswer() throws Exception {
        final Path socket = dir.resolve("silent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            final CliRun run = run("version", "--socket", socket.toString(), "--timeout-ms", "200");
            assertEquals(0, run.exitCode());
            assertTrue(run.out().contains("daemon: not reachable (the daemon did not answer within 200 ms)"),
                run::toString);
        }
    }

    @Test
    void noCommandIsAUsageError() {
        final CliRun run = run();
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().contains("a command is required") && run.err().contains("Usage: mcrelay"), run::toString);
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        final CliRun run = run("frobnicate");
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.err().contains("frobnicate"), run::toString);
    }

    @Test
    void helpListsTheCommandsAndExitCodes() {
        final CliRun run = run("--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("version") && run.out().contains("4   committed but not acked"), run::toString);
    }

    @Test
    void aRunBuildsOnlyTheCommandItNamesAndPrintsWhatTheWholeTreeWould() {
        assertEquals(Set.of("ping"), Main.commandLineFor("ping").getSubcommands().keySet());
        assertEquals(Set.of("journal"), Main.commandLineFor("journal").getSubcommands().keySet());
        final Set<String> all = Main.commandLine().getSubcommands().keySet();
        assertTrue(all.containsAll(Set.of("add", "ping", "version", "gen", "sink", "help")), all::toString);
        for (final String first : new String[] {"help", "--help", "frobnicate"}) {
            assertEquals(all, Main.commandLineFor(first).getSubcommands().keySet(), first);
        }
        // The same words give the same output from the lazy tree as from the whole one.
        for (final String[] args : new String[][] {{"ping", "--help"}, {"gen", "--rate", "0"}, {"journal", "--help"}}) {
            final StringWriter lazyOut = new StringWriter();
            final StringWriter lazyErr = new StringWriter();
            final int lazy = Main.execute(args, new PrintWriter(lazyOut, true), new PrintWriter(lazyErr, true));
            final CommandLine whole = Main.commandLine();
            final StringWriter wholeOut = new StringWriter();
            final StringWriter wholeErr = new StringWriter();
            whole.setOut(new PrintWriter(wholeOut, true));
            whole.setErr(new PrintWriter(wholeErr, true));
            assertEquals(whole.execute(args), lazy, String.join(" ", args));
            assertEquals(wholeOut.toString(), lazyOut.toString(), String.join(" ", args));
            assertEquals(wholeErr.toString(), lazyErr.toString(), String.join(" ", args));
        }
    }

    @Test
    void commandsOfOtherModulesAreFoundThroughServiceLoader() throws IOException {
        final Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(CliCommandProvider.class.getName()), EchoProvider.class.getName() + "\n");
        final Thread thread = Thread.currentThread();
        final ClassLoader original = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, original)) {
            thread.setContextClassLoader(loader);
            final CommandLine commandLine = Main.commandLine();
            assertTrue(commandLine.getSubcommands().containsKey("echo-test"), commandLine.getSubcommands()::toString);
            final StringWriter out = new StringWriter();
            commandLine.setOut(new PrintWriter(out, true));
            assertEquals(0, commandLine.execute("echo-test", "hi"));
            assertEquals("hi\n", out.toString());
        } finally {
            thread.setContextClassLoader(original);
        }
    }

    /** A command as another module would provide it. */
    public static final class EchoProvider implements CliCommandProvider {
        @Override
        public String name() {
            return "echo-test";
        }

        @Override
        public Object newCommand() {
            return new Echo();
        }
    }

    @CommandLine.Command(name = "echo-test")
    static final class Echo implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters
        String word;

        @Override
        public void run() {
            spec.commandLine().getOut().println(word);
        }
    }

    /** A control socket that answers the first frame with a fixed response (enough for the handshake). */
    private static final class FakeDaemon implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread thread;
        private final AtomicReference<ControlRequest> firstRequest = new AtomicReference<>();

        FakeDaemon(final Path socket, final ControlResponse answer) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            thread = Thread.ofPlatform().daemon().start(() -> serve(answer));
        }

        private void serve(final ControlResponse answer) {
            try (SocketChannel client = server.accept()) {
                final FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
                final List<byte[]> frames = new ArrayList<>();
                final ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (frames.isEmpty() && client.read(buffer) > 0) {
                    decoder.feed(buffer.array(), 0, buffer.position(), frames::add);
                    buffer.clear();
                }
                firstRequest.set(ControlCodec.decodeRequest(frames.getFirst()));
                client.write(ByteBuffer.wrap(Frames.frame(ControlCodec.encode(answer), Frames.CONTROL_BYTES_MAX)));
            } catch (final IOException ignored) {
                // the test sees the failure as a missing answer
            }
        }

        ControlRequest firstRequest() throws InterruptedException {
            thread.join(5_000);
            return firstRequest.get();
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(5_000);
        }
    }
}
