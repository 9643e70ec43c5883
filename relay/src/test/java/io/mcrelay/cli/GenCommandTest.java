package io.mcrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.traffic.History;
import io.mcrelay.traffic.HistoryChecker;
import io.mcrelay.traffic.HistoryFile;
import io.mcrelay.traffic.TrafficPayload;

/**
 * {@code mcrelay gen} through the real CLI entry point: every bad option value exits 2 naming the option before any
 * socket is opened; and a real run on loopback ({@code lo}, unicast 127.0.0.1, one plain {@code DatagramChannel} per
 * flow) delivers every packet, intact, with the run id the output names, and its record passes the history checker
 * together with what the receivers saw.
 */
class GenCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--size 37            | --size must be 38 to 65507 bytes, not 37",
        "--size 65508         | --size must be 38 to 65507 bytes, not 65508",
        "--rate 0             | --rate must be 1 to 100000000 packets/s, not 0",
        "--rate -5            | --rate must be 1 to 100000000 packets/s, not -5",
        "--flows 0            | --flows must be 1 to 1024, not 0",
        "--flows 1025         | --flows must be 1 to 1024, not 1025",
        "--port 65535 --flows 2 | --port 65535 with --flows 2 needs ports up to 65536, beyond 65535",
        "--port 0             | --port must be 1 to 65535, not 0",
        "--count 0            | --count must be at least 1, not 0",
        "--ttl 256            | --ttl must be 0 to 255, not 256",
        "--run-id 12345       | --run-id must be 16 hex digits such as 0123456789abcdef, not '12345'",
        "--run-id 0123456789abcdeg | --run-id must be 16 hex digits such as 0123456789abcdef, not '0123456789abcdeg'",
        "--ttl -1             | --ttl must be 0 to 255, not -1",
        "--warmup 0           | --warmup must be at least 1 packet, not 0",
        "--warmup-rate 5      | --warmup-rate needs --warmup N (the warm-up's packet count)",
        "--warmup-pause 5     | --warmup-pause needs --warmup N (the warm-up's packet count)",
        "--warmup 3 --warmup-pause 60001 | --warmup-pause must be 0 to 60000 ms, not 60001",
        "--warmup 3 --warmup-pause -1 | --warmup-pause must be 0 to 60000 ms, not -1",
        "--source-port 70000  | --source-port must be 1 to 65535, not 70000",
        "--group 300.1.1.1    | --group must be an IPv4 address such as 239.1.1.1, not '300.1.1.1'",
        "--group example.com  | --group must be an IPv4 address such as 239.1.1.1, not 'example.com'",
        "--group 0.0.0.0      | --group must be a destination, not 0.0.0.0",
        "--interface no-such0 | --interface: there is no interface 'no-such0' here"})
    void aBadOptionValueExitsTwoNamingTheOption(final String override, final String message) {
        final List<String> args = new ArrayList<>(List.of("gen", "--group", "127.0.0.1", "--port", "5000",
            "--interface", "lo", "--count", "1"));
        final String[] words = override.trim().split(" +");
        for (int i = 0; i < words.length; i += 2) {
            final int at = args.indexOf(words[i]);
            if (at >= 0) {
                args.set(at + 1, words[i + 1]);
            } else {
                args.add(words[i]);
                args.add(words[i + 1]);
            }
        }
        final CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(ExitCodes.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith(message), run::toString);
        assertTrue(run.err().contains("Usage: mcrelay gen"), run::toString);
        assertEquals("", run.out());
    }

    @Test
    void theRequiredOptionsAreNamedWhenMissing() {
        final CliRun run = CliRun.of("gen", "--port", "5000");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("Missing required options: '--group=G', '--interface=IF'"), run::toString);
    }

    @Test
    void helpSaysWhatItSendsAndHowItEnds() {
        final CliRun run = CliRun.of("gen", "--help");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("Flow i (0 to N-1) is its own socket sending to G:(P+i)"),
            run::toString);
        assertTrue(run.out().contains("until interrupted"), run::toString);
    }

    @Test
    void everyPacketSentOnLoopbackArrivesIntactOnItsFlowsPort() throws Exception {
        final int flows = 3;
        final int count = 600;
        final List<DatagramChannel> receivers = consecutivePorts(flows);
        try {
            final int port = ((InetSocketAddress) receivers.getFirst().getLocalAddress()).getPort();
            final Path record = dir.resolve("gen.history");
            final CompletableFuture<CliRun> gen = CompletableFuture.supplyAsync(() -> CliRun.of("gen",
                "--group", "127.0.0.1", "--port", Integer.toString(port), "--interface", "lo",
                "--flows", Integer.toString(flows), "--count", Integer.toString(count), "--rate", "20000",
                "--size", "120", "--record", record.toString()));

            // Drain while it sends, so that no receive buffer overflows; parse after the run id is known.
            final List<List<byte[]>> arrivals = new ArrayList<>();
            receivers.forEach(r -> arrivals.add(new ArrayList<>()));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            final ByteBuffer buffer = ByteBuffer.allocate(65_536);
            int total = 0;
            while (total < count && System.nanoTime() < deadlineNs) {
                boolean any = false;
                for (int flow = 0; flow < flows; flow++) {
                    buffer.clear();
                    if (receivers.get(flow).receive(buffer) != null) {
                        buffer.flip();
                        final byte[] bytes = new byte[buffer.remaining()];
                        buffer.get(bytes);
                        arrivals.get(flow).add(bytes);
                        total++;
                        any = true;
                    }
                }
                if (!any) {
                    Thread.sleep(1);
                }
            }
            final CliRun run = gen.get(30, TimeUnit.SECONDS);
            assertEquals(0, run.exitCode(), run::toString);
            final Matcher line = Pattern.compile("sent 600 packets in [0-9.]+ s \\([0-9]+ packets/s\\) to "
                + "127\\.0\\.0\\.1:" + port + "\\.\\." + (port + 2) + " on lo, run ([0-9a-f]{16})\n")
                .matcher(run.out());
            assertTrue(line.matches(), run::toString);
            final long runId = Long.parseUnsignedLong(line.group(1), 16);

            final History history = new History();
            try (BufferedReader in = Files.newBufferedReader(record, StandardCharsets.UTF_8)) {
                HistoryFile.read(in, record.toString(), history);
            }
            assertEquals(count, history.sent().size());
            final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
            final Set<String> seen = new HashSet<>();
            for (int flow = 0; flow < flows; flow++) {
                for (final byte[] bytes : arrivals.get(flow)) {
                    final int status = TrafficPayload.parse(bytes, 0, bytes.length, runId, parsed);
                    assertEquals(TrafficPayload.OK, status, "flow " + flow);
                    assertEquals(120, bytes.length);
                    seen.add(parsed.flow() + ":" + parsed.seq());
                    history.received(flow, parsed.flow(), parsed.seq(), System.nanoTime(), status);
                }
            }
            assertEquals(count, seen.size(), "every packet arrived");
            for (int flow = 0; flow < flows; flow++) {
                assertEquals(count / flows, arrivals.get(flow).size(), "flow " + flow);
            }
            final HistoryChecker.Report report = HistoryChecker.check(history);
            assertTrue(report.clean(), report::describe);
            assertEquals(count, report.received());
        } finally {
            for (final DatagramChannel receiver : receivers) {
                receiver.close();
            }
        }
    }

    @Test
    void jsonOutputNamesTheCountsTheRunAndTheRate() throws Exception {
        try (DatagramChannel receiver = DatagramChannel.open()) {
            receiver.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            final CliRun run = CliRun.of("gen", "--group", "127.0.0.1", "--port", Integer.toString(port),
                "--interface", "lo", "--count", "5", "--rate", "1000", "--json");
            assertEquals(0, run.exitCode(), run::toString);
            final JsonNode json = new ObjectMapper().readTree(run.out());
            assertEquals(5, json.get("sent").asLong(), run::toString);
            assertEquals(0, json.get("given_up").asLong(), run::toString);
            assertTrue(json.get("errors").isObject() && json.get("errors").isEmpty(), run::toString);
            assertTrue(json.get("run_id").asText().matches("[0-9a-f]{16}"), run::toString);
            assertTrue(json.get("duration_s").asDouble() > 0, run::toString);
            assertTrue(json.get("rate_pps").asDouble() > 0, run::toString);
        }
    }

    @Test
    void aWarmupOfAnotherRunGoesFirstAndTheRunFollowsFromTheSameProcess() throws Exception {
        try (DatagramChannel receiver = DatagramChannel.open()) {
            receiver.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            final CliRun run = CliRun.of("gen", "--group", "127.0.0.1", "--port", Integer.toString(port),
                "--interface", "lo", "--count", "3", "--warmup", "4", "--warmup-rate", "500", "--warmup-pause", "0",
                "--json",
                "--run-id", "00C0FFEE00C0FFEE");
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(3, new ObjectMapper().readTree(run.out()).get("sent").asLong(), "the run's own count");
            final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
            final List<String> arrived = new ArrayList<>();
            final ByteBuffer datagram = ByteBuffer.allocate(2048);
            for (int i = 0; i < 7; i++) {
                datagram.clear();
                receiver.receive(datagram);
                final int status = TrafficPayload.parse(datagram.array(), 0, datagram.position(),
                    0x00C0FFEE00C0FFEEL, parsed);
                arrived.add(status == TrafficPayload.OK ? "run " + parsed.seq() : "other");
            }
            assertEquals(List.of("other", "other", "other", "other", "run 0", "run 1", "run 2"), arrived);
        }
    }

    @Test
    void aRunIdGivenIsTheRunsId() throws Exception {
        try (DatagramChannel receiver = DatagramChannel.open()) {
            receiver.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            final CliRun run = CliRun.of("gen", "--group", "127.0.0.1", "--port", Integer.toString(port),
                "--interface", "lo", "--count", "1", "--json", "--run-id", "00C0FFEE00C0FFEE");
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals("00c0ffee00c0ffee", new ObjectMapper().readTree(run.out()).get("run_id").asText());
            final ByteBuffer datagram = ByteBuffer.allocate(2048);
            receiver.receive(datagram);
            final TrafficPayload.Parsed parsed = new TrafficPayload.Parsed();
            assertEquals(TrafficPayload.OK, TrafficPayload.parse(datagram.array(), 0, datagram.position(),
                0x00C0FFEE00C0FFEEL, parsed), "the packet carries the run id given");
        }
    }

    /** {@code n} receivers on consecutive loopback ports (tries a few bases: another process may hold one). */
    private static List<DatagramChannel> consecutivePorts(final int n) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            final List<DatagramChannel> channels = new ArrayList<>();
            try {
                DatagramChannel first = DatagramChannel.open();
                channels.add(first);
                first.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                final int base = ((InetSocketAddress) first.getLocalAddress()).getPort();
                if (base + n - 1 > 65_535) {
                    throw new IOException("no room above port " + base);
                }
                for (int i = 1; i < n; i++) {
                    final DatagramChannel next = DatagramChannel.open();
                    channels.add(next);
                    next.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), base + i));
                }
                for (final DatagramChannel channel : channels) {
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                }
                return channels;
            } catch (final IOException e) {
                for (final DatagramChannel channel : channels) {
                    channel.close();
                }
            }
        }
        throw new IOException("no " + n + " consecutive free UDP ports on loopback");
    }
}
