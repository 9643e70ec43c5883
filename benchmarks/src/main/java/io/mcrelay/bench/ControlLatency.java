package io.mcrelay.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import io.mcrelay.control.ControlClient;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;

/**
 * The control plane's latency as a client sees it, on one connection to a running daemon (benchmarks/footprint.sh
 * runs it): {@code --adds} acked {@code add}s of one-output rules, one after another, then a {@code config load} of
 * {@code --config-rules} rules (none with 0: then it ends there), the answer coming when the workers acked (or saying
 * which lag), then {@code --lists}
 * {@code list}s of that table. Prints one line per measure, {@code NAME n=… p50_us=… p99_us=… max_us=…} (HdrHistogram,
 * 3 significant digits), and {@code config_load rules=… ms=… acked=…}; exits 1 with the daemon's answer when a
 * request is refused. Leaves the loaded table in place (the caller stops the daemon). With {@code --rounds R} (more
 * than 1), the adds and the lists each go in {@code R} rounds of that many: the first round's line is printed as
 * above (a fresh daemon's first use of its code: its JIT compiling, its classes loading), and the last round's as
 * {@code add_settled} and {@code list_settled_N} (a daemon that has been doing this for a while). With
 * {@code --kill-during-lists PID} (a worker's pid), one more round of lists follows, and PID is killed (SIGKILL) as it
 * starts: {@code list_crash_N} is that round, while the supervisor restarts the worker and sends it the whole table.
 *
 * <p>The figures are the daemon's and the socket's, not this JVM's first use of its own code: before connecting it
 * runs its codec on local frames of the same kinds and sizes ({@code add} requests and their answers, a {@code rules}
 * answer of {@code --config-rules} rules), and prints what that first use cost, {@code client_cold add_us=…
 * rules_decode_ms=…} (a fresh {@code mcrelay} client pays it once per process).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.mcrelay.bench.ControlLatency --socket S --input-interface IF
 *     --output-interface IF [--adds 200] [--config-rules 10000] [--lists 50] [--rounds 1]
 *     [--kill-during-lists PID]</pre>
 */
public final class ControlLatency {
    private ControlLatency() {
    }

    public static void main(final String[] args) throws Exception {
        String socket = null;
        String input = null;
        String output = null;
        int adds = 200;
        int configRules = 10_000;
        int lists = 50;
        int rounds = 1;
        long killPid = 0;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                usage("option " + args[i] + " needs a value");
            }
            final String value = args[i + 1];
            switch (args[i]) {
                case "--socket" -> socket = value;
                case "--input-interface" -> input = value;
                case "--output-interface" -> output = value;
                case "--adds" -> adds = count(args[i], value, 0);
                case "--config-rules" -> configRules = count(args[i], value, 0);
                case "--lists" -> lists = count(args[i], value, 0);
                case "--rounds" -> rounds = count(args[i], value, 1);
                case "--kill-during-lists" -> killPid = pid(value);
                default -> usage("unknown option " + args[i]);
            }
        }
        if (socket == null || input == null || output == null) {
            usage("--socket, --input-interface and --output-interface are required");
        }
        warmCodec(configRules, input, output);
        try (ControlClient client = ControlClient.connect(Path.of(socket), 60_000)) {
            for (int round = 0; round < rounds; round++) {
                final Histogram add = histogram();
                for (int i = 0; i < adds; i++) {
                    final RuleDocument rule = addedRule("latency-", round * adds + i, input, output);
                    final long start = System.nanoTime();
                    final ControlResponse response = client.exchange(new ControlRequest.Add(client.nextRequestId(),
                        rule));
                    add.recordValue(micros(System.nanoTime() - start));
                    if (!(response instanceof ControlResponse.RuleAdded)) {
                        fail("add " + i + " of round " + round, response);
                    }
                }
                if (round == 0 && adds > 0) {
                    print("add", add);
                }
                if (round > 0 && round == rounds - 1 && adds > 0) {
                    print("add_settled", add);
                }
            }

            if (configRules == 0) {
                return; // adds only: the caller looks at the daemon with the added rules in place
            }
            final String text = config(configRules, input, output);
            final long start = System.nanoTime();
            final ControlResponse loaded = client.exchange(new ControlRequest.ConfigLoad(client.nextRequestId(),
                "latency.json", text));
            final long loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (!(loaded instanceof ControlResponse.ConfigLoaded result)) {
                fail("config load", loaded);
                return;
            }
            System.out.println("config_load rules=" + configRules + " ms=" + loadMs + " acked="
                + result.laggingWorkers().isEmpty() + " lagging=" + result.laggingWorkers());

            final int listRounds = rounds + (killPid > 0 ? 1 : 0);
            for (int round = 0; round < listRounds; round++) {
                final boolean crash = killPid > 0 && round == listRounds - 1;
                if (crash) {
                    final long pid = killPid;
                    final ProcessHandle worker = ProcessHandle.of(pid).orElseThrow(
                        () -> new IllegalStateException("no process " + pid + " to kill"));
                    if (!worker.destroyForcibly()) {
                        throw new IllegalStateException("could not kill " + pid);
                    }
                }
                final Histogram list = histogram();
                for (int i = 0; i < lists; i++) {
                    final long listStart = System.nanoTime();
                    final ControlResponse response = client.exchange(new ControlRequest.ListRules(
                        client.nextRequestId()));
                    list.recordValue(micros(System.nanoTime() - listStart));
                    if (!(response instanceof ControlResponse.Rules rules) || rules.rules().size() != configRules) {
                        fail("list " + i + " of round " + round, response);
                    }
                }
                if (crash) {
                    print("list_crash_" + configRules, list);
                    continue;
                }
                if (round == 0 && lists > 0) {
                    print("list_" + configRules, list);
                }
                if (round > 0 && round == rounds - 1 && lists > 0) {
                    print("list_settled_" + configRules, list);
                }
            }
        }
    }

    /**
     * Runs this JVM's control codec on local frames like the ones measured (1,000 adds and their answers, then a
     * {@code rules} answer of {@code rules} rules decoded 5 times) and prints the first add's and the first decode's
     * cost: the client's own warm-up, kept out of the daemon's figures.
     */
    private static void warmCodec(final int rules, final String input, final String output) {
        long firstAddNs = -1;
        for (int i = 0; i < 1_000; i++) {
            final long start = System.nanoTime();
            final RuleDocument rule = addedRule("warm-", i, input, output);
            ControlCodec.decodeRequest(ControlCodec.encode(new ControlRequest.Add(i + 1, rule)));
            ControlCodec.decodeResponse(ControlCodec.encode(new ControlResponse.RuleAdded(i + 1, rule.id(), i)));
            firstAddNs = firstAddNs < 0 ? System.nanoTime() - start : firstAddNs;
        }
        final List<RuleDocument> documents = new java.util.ArrayList<>(rules);
        for (int i = 0; i < rules; i++) {
            documents.add(new RuleDocument("load-" + i, null, input, group(239, 3, i), 5000, null,
                List.of(new RuleDocument.OutputDocument(group(239, 4, i), 5000, output, null)), "active"));
        }
        final byte[] answer = ControlCodec.encode(new ControlResponse.Rules(1, 1, documents));
        long firstDecodeNs = -1;
        for (int i = 0; i < 5; i++) {
            final long start = System.nanoTime();
            ControlCodec.decodeResponse(answer);
            firstDecodeNs = firstDecodeNs < 0 ? System.nanoTime() - start : firstDecodeNs;
        }
        System.out.println("client_cold add_us=" + TimeUnit.NANOSECONDS.toMicros(firstAddNs) + " rules_decode_ms="
            + TimeUnit.NANOSECONDS.toMillis(firstDecodeNs) + " rules=" + rules);
    }

    /** The {@code i}-th rule an {@code add} sends: its own input group and output group, one output. */
    private static RuleDocument addedRule(final String prefix, final int i, final String input, final String output) {
        return new RuleDocument(prefix + i, null, input, group(239, 1, i), 5000, null,
            List.of(new RuleDocument.OutputDocument(group(239, 2, i), 5000, output, null)), null);
    }

    /** {@code COUNT} rules with distinct inputs, one output each, as a config file's text. */
    static String config(final int count, final String input, final String output) {
        final StringBuilder text = new StringBuilder(count * 200).append("{\"rules\": [\n");
        for (int i = 0; i < count; i++) {
            text.append(i == 0 ? "" : ",\n").append("{\"id\": \"load-").append(i)
                .append("\", \"input_interface\": \"").append(input)
                .append("\", \"input_group\": \"").append(group(239, 3, i))
                .append("\", \"input_port\": 5000, \"outputs\": [{\"group\": \"").append(group(239, 4, i))
                .append("\", \"port\": 5000, \"interface\": \"").append(output).append("\"}]}");
        }
        return text.append("\n]}\n").toString();
    }

    /** {@code a.b.x.y} with {@code x.y} the two low bytes of {@code i} (up to 65,536 distinct). */
    private static String group(final int a, final int b, final int i) {
        return a + "." + b + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF);
    }

    private static Histogram histogram() {
        return new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
    }

    private static long micros(final long nanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMicros(nanos));
    }

    private static void print(final String name, final Histogram histogram) {
        System.out.println(name + " n=" + histogram.getTotalCount() + " p50_us="
            + histogram.getValueAtPercentile(50) + " p99_us=" + histogram.getValueAtPercentile(99) + " max_us="
            + histogram.getMaxValue());
    }

    private static long pid(final String value) {
        try {
            final long pid = Long.parseLong(value);
            if (pid > 1) {
                return pid;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        usage("--kill-during-lists takes a worker's pid, not \"" + value + "\"");
        return 0;
    }

    private static int count(final String option, final String value, final int min) {
        try {
            final int n = Integer.parseInt(value);
            if (n >= min && n <= 65_536) {
                return n;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        usage(option + " takes a whole number from " + min + " to 65536, not \"" + value + "\"");
        return 0;
    }

    private static void fail(final String what, final ControlResponse response) {
        System.err.println("control-latency: " + what + " was answered with " + response);
        System.exit(1);
    }

    private static void usage(final String problem) {
        System.err.println("control-latency: " + problem);
        System.err.println("usage: ControlLatency --socket S --input-interface IF --output-interface IF"
            + " [--adds N] [--config-rules N] [--lists N] [--rounds R] [--kill-during-lists PID]");
        System.exit(2);
    }
}
