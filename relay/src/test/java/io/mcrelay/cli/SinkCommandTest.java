package io.mcrelay.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.traffic.HistoryFile;
import io.mcrelay.traffic.TrafficPayload;

/**
 * {@code mcrelay sink} through the real CLI entry point: every bad argument is a usage error (exit 2) naming its
 * option before any socket opens; a run on loopback prints DESIGN's JSON fields with exact counts and exits 1 when
 * a packet came twice or corrupt, 0 when every expected packet came once, intact, in order; and --record writes
 * every datagram in the run-record format.
 */
class SinkCommandTest {
    private static final long RUN = 0x0102_0304_0506_0708L;
    /** The transit delays' part of the JSON summary: its figures depend on the machine's timing. */
    private static final String DELAY_JSON =
        "\"delay_us\":\\{\"p50\":\\d+,\"p99\":\\d+,\"p99_9\":\\d+,\"max\":\\d+\\},";

    @TempDir
    Path dir;

    private static void assertUsage(final String option, final String... args) {
        final CliRun run = CliRun.of(args);
        assertEquals(ExitCodes.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("invalid " + option) || run.err().contains("'" + option + "'")
            || run.err().contains(option + "="), run::toString);
        assertTrue(run.err().contains("Usage: mcrelay sink"), run::toString);
        assertEquals("", run.out());
    }

    private static String[] sink(final String... extra) {
        final List<String> args = new java.util.ArrayList<>(List.of("sink", "--group", "239.1.2.3", "--port", "5000",
            "--interface", "lo"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        assertUsage("--port", "sink", "--group", "239.1.2.3", "--port", "0", "--interface", "lo");
        assertUsage("--port", "sink", "--group", "239.1.2.3", "--port", "65536", "--interface", "lo");
        assertUsage("--port", "sink", "--group", "239.1.2.3", "--port", "http", "--interface", "lo");
        assertUsage("--flows", sink("--flows", "0"));
        assertUsage("--flows", sink("--flows", "1025"));
        assertUsage("--flows", "sink", "--group", "239.1.2.3", "--port", "65535", "--interface", "lo", "--flows", "2");
        assertUsage("--expect", sink("--expect", "0"));
        assertUsage("--timeout", sink("--timeout", "0"));
        assertUsage("--receive-buffer", sink("--receive-buffer", "-1"));
        assertUsage("--run-id", sink("--run-id", "0102"));
        assertUsage("--run-id", sink("--run-id", "010203040506070g"));
        assertUsage("--receive-buffer", sink("--receive-buffer", "1073741825"));
        assertUsage("--timeout", sink("--timeout", "-1"));
        assertUsage("--timeout", sink("--timeout", "NaN"));
        assertUsage("--group", "sink", "--group", "not-an-address", "--port", "5000", "--interface", "lo");
        assertUsage("--group", "sink", "--group", "239.1.2.300", "--port", "5000", "--interface", "lo");
        assertUsage("--group", "sink", "--group", "10.0.0.1", "--port", "5000", "--interface", "lo",
            "--source", "10.0.0.2");
        assertUsage("--source", sink("--source", "239.9.9.9"));
        assertUsage("--interface", "sink", "--group", "239.1.2.3", "--port", "5000", "--interface", "nosuchif0");
        assertUsage("--group", "sink", "--port", "5000", "--interface", "lo");
    }

    @Test
    void helpSaysWhatTheSinkCountsAndHowItEnds() {
        final CliRun run = CliRun.of("sink", "--help");
        assertEquals(ExitCodes.OK, run.exitCode(), run::toString);
        for (final String word : List.of("--group", "--port", "--interface", "--source", "--flows", "--expect",
            "--timeout", "--record", "--json", "--warmup", "--receive-buffer", "socket_drops", "burst_max", "foreign",
            "Exit codes")) {
            assertTrue(run.out().contains(word), word + " missing from " + run.out());
        }
        assertTrue(CliRun.of("--help").out().contains("sink"));
    }

    /** A free UDP port p with p + 1 free too. */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramChannel first = DatagramChannel.open().bind(new InetSocketAddress(0))) {
                final int port = ((InetSocketAddress) first.getLocalAddress()).getPort();
                try (DatagramChannel second = DatagramChannel.open().bind(new InetSocketAddress(port + 1))) {
                    return port;
                } catch (final IOException inUse) {
                    // try another
                }
            }
        }
        throw new IllegalStateException("no two consecutive free UDP ports");
    }

    /** Waits until the sink's socket holds {@code port}, as {@code /proc/net/udp} lists it (address:port in hex). */
    /**
     * Starts {@code mcrelay sink} on loopback at {@code port} with {@code more} arguments, and waits until the socket
     * of flow {@code lastFlow} (its last) is bound.
     */
    private static CompletableFuture<CliRun> startSink(final int port, final int lastFlow, final String... more)
        throws Exception {
        final List<String> args = new ArrayList<>(List.of("sink", "--group", "127.0.0.1", "--port",
            Integer.toString(port), "--interface", "lo"));
        args.addAll(List.of(more));
        final CompletableFuture<CliRun> sink =
            CompletableFuture.supplyAsync(() -> CliRun.of(args.toArray(String[]::new)));
        awaitBound(port + lastFlow, sink);
        return sink;
    }

    private static void awaitBound(final int port, final CompletableFuture<CliRun> sink) throws Exception {
        final String local = String.format("00000000:%04X ", port);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadlineNs) {
            if (sink.isDone()) {
                throw new AssertionError("the sink ended before binding: " + sink.get());
            }
            if (Files.readAllLines(Path.of("/proc/net/udp")).stream().anyMatch(line -> line.contains(local))) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the sink did not bind port " + port);
    }

    private static void send(final DatagramChannel sender, final int port, final byte[] bytes) throws IOException {
        sender.send(ByteBuffer.wrap(bytes), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    private static byte[] payload(final long runId, final int flow, final long seq) {
        final byte[] bytes = new byte[100];
        TrafficPayload.write(bytes, 0, bytes.length, runId, flow, seq, System.nanoTime());
        return bytes;
    }

    @Test
    void aRunWithADuplicateAndACorruptPacketPrintsExactCountsAndExitsOne() throws Exception {
        final int port = freePortPair();
        final Path record = dir.resolve("sink.history");
        final CompletableFuture<CliRun> sink = startSink(port, 1, "--flows", "2", "--expect", "4", "--timeout", "20",
            "--json", "--record", record.toString());
        try (DatagramChannel sender = DatagramChannel.open()) {
            send(sender, port, payload(RUN, 0, 0));
            send(sender, port, payload(RUN, 0, 0));
            final byte[] corrupt = payload(RUN, 1, 0);
            corrupt[50] ^= 1;
            send(sender, port + 1, corrupt);
            send(sender, port + 1, payload(RUN + 1, 1, 0));
            send(sender, port + 1, payload(RUN, 1, 0));
            send(sender, port, payload(RUN, 0, 1));
            send(sender, port + 1, payload(RUN, 1, 1));
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.FAILED, run.exitCode(), run::toString);
        // How many datagrams the sink found waiting at once depends on when it woke: between 1 and 4 on one socket.
        assertTrue(run.out().matches("\\{\"run_id\":\"0102030405060708\",\"received\":4,\"lost\":0,\"duplicates\":1,"
            + "\"reordered\":0,\"corrupt\":1,\"foreign\":1,\"socket_drops\":0,\"burst_max\":[1-4],"
            + DELAY_JSON + "\"warmup_only\":false}\n"), run::toString);
        assertEquals("", run.err());
        final List<String> lines = Files.readAllLines(record);
        assertEquals(HistoryFile.HEADER, lines.getFirst());
        // Arrival order across the two sockets depends on when the sink woke; within a socket it is the send order.
        final List<String> withoutTimes = lines.subList(1, lines.size()).stream()
            .map(line -> line.replaceFirst(" \\d+ (\\w+)$", " $1")).sorted().toList();
        assertEquals(List.of("R 0 0 0 ok", "R 0 0 0 ok", "R 0 0 1 ok", "R 1 -1 -1 corrupt", "R 1 -1 -1 foreign",
            "R 1 1 0 ok", "R 1 1 1 ok"), withoutTimes);
    }

    @Test
    void theDelayRunsFromThePayloadsSendTimeToTheKernelsArrival() throws Exception {
        final int port = freePortPair();
        final CompletableFuture<CliRun> sink = startSink(port, 0, "--expect", "2", "--timeout", "20", "--json");
        try (DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 2; seq++) {
                final byte[] bytes = new byte[100];
                // Sent "two seconds ago": as if a relay had held it that long.
                TrafficPayload.write(bytes, 0, bytes.length, RUN, 0, seq, System.nanoTime() - 2_000_000_000L);
                send(sender, port, bytes);
            }
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.OK, run.exitCode(), run::toString);
        final Matcher delay = Pattern.compile("\"delay_us\":\\{\"p50\":(\\d+),\"p99\":(\\d+),\"p99_9\":(\\d+),"
            + "\"max\":(\\d+)}").matcher(run.out());
        assertTrue(delay.find(), run::toString);
        final long p50 = Long.parseLong(delay.group(1));
        final long max = Long.parseLong(delay.group(4));
        // Two significant digits: 2.0 s reads as 1,990,000 µs or more; the hang guard bounds how much more.
        assertTrue(p50 >= 1_990_000 && p50 <= max && max < 32_000_000, run::toString);
    }

    @Test
    void aCleanRunPrintsItsSummaryAndExitsZero() throws Exception {
        final int port = freePortPair();
        final CompletableFuture<CliRun> sink = startSink(port, 0, "--expect", "3", "--timeout", "20");
        try (DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 3; seq++) {
                send(sender, port, payload(RUN, 0, seq));
            }
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.OK, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("run:          0102030405060708\nreceived:     3 of 3 expected\n"
            + "lost:         0\n"), run::toString);
        assertTrue(run.out().contains("ended:        every expected packet arrived\n"), run::toString);
        assertTrue(run.out().endsWith("result:       ok: every packet arrived once, intact, in order\n"),
            run::toString);
    }

    @Test
    void withWarmupTheFirstRunIsNotCountedAndTheSecondIs() throws Exception {
        final int port = freePortPair();
        final CompletableFuture<CliRun> sink = startSink(port, 0, "--expect", "3", "--timeout", "20", "--warmup",
            "--receive-buffer", "0", "--json");
        try (DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 5; seq++) {
                send(sender, port, payload(RUN + 1, 0, seq)); // the warm-up: five, but three are expected
            }
            send(sender, port, payload(RUN + 1, 0, 0)); // a duplicate in the warm-up is forgotten with it
            for (long seq = 0; seq < 3; seq++) {
                send(sender, port, payload(RUN, 0, seq));
            }
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.OK, run.exitCode(), run::toString);
        assertTrue(run.out().matches("\\{\"run_id\":\"0102030405060708\",\"received\":3,\"lost\":0,\"duplicates\":0,"
            + "\"reordered\":0,\"corrupt\":0,\"foreign\":0,\"socket_drops\":0,\"burst_max\":[1-3],"
            + DELAY_JSON + "\"warmup_only\":false}\n"), run::toString);
    }

    @Test
    void withARunIdOnlyThatRunIsCounted() throws Exception {
        final int port = freePortPair();
        final CompletableFuture<CliRun> sink = startSink(port, 0, "--expect", "2", "--timeout", "20",
            "--run-id", "0102030405060708", "--json");
        try (DatagramChannel sender = DatagramChannel.open()) {
            send(sender, port, payload(RUN + 1, 0, 0)); // another run first: the sink must not lock on it
            send(sender, port, payload(RUN, 0, 0));
            send(sender, port, payload(RUN + 1, 0, 1)); // a straggler: foreign (read in a streak all the same)
            send(sender, port, payload(RUN, 0, 1));
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.OK, run.exitCode(), run::toString);
        assertTrue(run.out().matches("\\{\"run_id\":\"0102030405060708\",\"received\":2,\"lost\":0,\"duplicates\":0,"
            + "\"reordered\":0,\"corrupt\":0,\"foreign\":1,\"socket_drops\":0,\"burst_max\":[1-3],"
            + DELAY_JSON + "\"warmup_only\":false}\n"), run::toString);
    }

    @Test
    void withWarmupAndNoRunAfterItTheSinkFailsAndSaysSo() throws Exception {
        final int port = freePortPair();
        final CompletableFuture<CliRun> sink = startSink(port, 0, "--expect", "2", "--timeout", "0.5", "--warmup");
        try (DatagramChannel sender = DatagramChannel.open()) {
            for (long seq = 0; seq < 4; seq++) {
                send(sender, port, payload(RUN, 0, seq));
            }
        }
        final CliRun run = sink.get(30, TimeUnit.SECONDS);
        assertEquals(ExitCodes.FAILED, run.exitCode(), run::toString);
        assertTrue(run.out().contains("result:       FAILED: only the warm-up run arrived"), run::toString);
    }

    @Test
    void nothingArrivingBeforeTheTimeoutExitsOneAndSaysSo() throws Exception {
        final int port = freePortPair();
        final CliRun run = CliRun.of("sink", "--group", "127.0.0.1", "--port", Integer.toString(port),
            "--interface", "lo", "--timeout", "0.2");
        assertEquals(ExitCodes.FAILED, run.exitCode(), run::toString);
        assertTrue(run.out().contains("ended:        no packet for 0.2 s\n"), run::toString);
        assertTrue(run.out().contains("result:       FAILED: no intact packet of a traffic-kit run arrived"),
            run::toString);
    }
}
