package io.mcrelay.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

import io.mcrelay.control.ControlResponse;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The daemon's Prometheus endpoint ({@code --metrics ADDR:PORT}, path {@code /metrics}), with the official Java
 * client's HTTP server. Every series is a callback over the last {@link Snapshot} the supervisor's loop published
 * (once a second): a scrape reads that object and never touches the supervisor's thread, which takes no lock for it.
 * Per-output series are opt-in ({@code --metrics-outputs}): at the default limits there could be 65,536 × 256.
 * Reasons, states and words are closed label sets (the words of {@code stats} and {@code workers}).
 */
final class MetricsServer implements AutoCloseable {
    /** What a scrape reports: the supervisor's stats report and epoch when the loop last published them. */
    record Snapshot(ControlResponse.StatsReport stats, long epoch, java.util.SortedMap<String, Long> controlAnswers,
                    long journalBytesWritten, java.util.SortedMap<String, Long> ruleStates) {
        Snapshot {
            controlAnswers = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(controlAnswers));
            ruleStates = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(ruleStates));
        }
    }

    /** The worker states and restart reasons, each series present (0 or 1) for every word: closed label sets. */
    static final List<String> WORKER_STATES = List.of("starting", "syncing", "ready", "stopping", "backoff");
    static final List<String> RESTART_REASONS = List.of("none", "exited", "no_heartbeat", "sync_timeout", "drift",
        "connect_timeout", "protocol_error", "requested");
    static final List<String> JOURNAL_STATES = List.of("ok", "full", "failed");

    private final AtomicReference<Snapshot> snapshot;
    private final HTTPServer server;

    private MetricsServer(final AtomicReference<Snapshot> snapshot, final HTTPServer server) {
        this.snapshot = snapshot;
        this.server = server;
    }

    /**
     * Serves the metrics on {@code address} over whatever {@code snapshot} holds (nothing before the first one).
     *
     * @throws IOException if the address cannot be bound
     */
    static MetricsServer start(final InetSocketAddress address, final boolean outputs,
                               final AtomicReference<Snapshot> snapshot) throws IOException {
        Objects.requireNonNull(snapshot, "snapshot");
        final PrometheusRegistry registry = new PrometheusRegistry();
        register(registry, outputs, snapshot);
        final HTTPServer server = HTTPServer.builder().hostname(address.getHostString()).port(address.getPort())
            .registry(registry).buildAndStart();
        return new MetricsServer(snapshot, server);
    }

    /** The port it listens on (the one asked for, or the kernel's choice for port 0). */
    int port() {
        return server.getPort();
    }

    private static void register(final PrometheusRegistry registry, final boolean outputs,
                                 final AtomicReference<Snapshot> snapshot) {
        counter(registry, snapshot, "mcrelay_rule_packets_in",
            "Packets a rule took in.",
            (now, callback) -> now.stats().rules().forEach(rule -> callback.call(rule.packetsIn(), rule.id())), "rule");
        counter(registry, snapshot, "mcrelay_rule_bytes_in",
            "Payload bytes a rule took in.",
            (now, callback) -> now.stats().rules().forEach(rule -> callback.call(rule.bytesIn(), rule.id())), "rule");
        counter(registry, snapshot, "mcrelay_rule_drops",
            "Sends of a rule's packets dropped, by reason (buffer_full, no_buffer_space, send_error, link_down).",
            (now, callback) -> {
                for (final ControlResponse.RuleStats rule : now.stats().rules()) {
                    final ControlResponse.Drops drops = rule.drops();
                    callback.call(drops.bufferFull(), rule.id(), "buffer_full");
                    callback.call(drops.noBufferSpace(), rule.id(), "no_buffer_space");
                    callback.call(drops.sendError(), rule.id(), "send_error");
                    callback.call(drops.linkDown(), rule.id(), "link_down");
                }
            }, "rule", "reason");
        counter(registry, snapshot, "mcrelay_drops",
            "Frames no rule could own or lost before any rule was looked at, by reason (malformed, fragment, "
                + "ring_full, staging_full).",
            (now, callback) -> {
                final ControlResponse.Drops drops = now.stats().drops();
                callback.call(drops.malformed(), "malformed");
                callback.call(drops.fragment(), "fragment");
                callback.call(drops.ringFull(), "ring_full");
                callback.call(drops.stagingFull(), "staging_full");
            }, "reason");
        counter(registry, snapshot, "mcrelay_unmatched_packets",
            "Well-formed packets no rule matched.",
            (now, callback) -> callback.call(now.stats().unmatched()));
        counter(registry, snapshot, "mcrelay_removed_rules_packets_in",
            "Packets that rules removed since the daemon started had taken in.",
            (now, callback) -> callback.call(now.stats().removedRules().packetsIn()));
        counter(registry, snapshot, "mcrelay_input_packets",
            "Frames the kernel offered an input interface's socket of a worker (tp_packets).",
            (now, callback) -> {
                now.stats().inputs().forEach(input -> callback.call(input.tpPackets(), input.interfaceName(),
                    Integer.toString(input.worker())));
            }, "interface", "worker");
        if (outputs) {
            counter(registry, snapshot, "mcrelay_output_packets_out",
                "Packets a rule's output sent (--metrics-outputs).",
                (now, callback) -> {
                    for (final ControlResponse.RuleStats rule : now.stats().rules()) {
                        for (final ControlResponse.OutputStats output : rule.outputs()) {
                            callback.call(output.packetsOut(), rule.id(), output.group() + ":" + output.port()
                                + ":" + output.interfaceName());
                        }
                    }
                }, "rule", "output");
        }
        counter(registry, snapshot, "mcrelay_worker_restarts",
            "Times a worker slot was restarted.",
            (now, callback) -> {
                now.stats().workers().forEach(worker -> callback.call(worker.restarts(),
                    Integer.toString(worker.index())));
            }, "worker");
        gauge(registry, snapshot, "mcrelay_worker_state",
            "1 for a worker slot's state, 0 for the others (starting, syncing, ready, stopping, backoff).",
            (now, callback) -> {
                for (final ControlResponse.WorkerInfo worker : now.stats().workers()) {
                    for (final String state : WORKER_STATES) {
                        callback.call(state.equals(worker.state()) ? 1 : 0, Integer.toString(worker.index()),
                            state);
                    }
                }
            }, "worker", "state");
        gauge(registry, snapshot, "mcrelay_worker_last_restart_reason",
            "1 for the reason of a worker slot's last restart, 0 for the others.",
            (now, callback) -> {
                for (final ControlResponse.WorkerInfo worker : now.stats().workers()) {
                    for (final String reason : RESTART_REASONS) {
                        callback.call(reason.equals(worker.lastRestartReason()) ? 1 : 0,
                            Integer.toString(worker.index()), reason);
                    }
                }
            }, "worker", "reason");
        counter(registry, snapshot, "mcrelay_control_requests",
            "Control requests answered, by kind (add, remove, list, stats, config_load...) and outcome (ok, "
                + "not_acked, or the refusal's code).",
            (now, callback) -> {
                now.controlAnswers().forEach((key, count) -> {
                    final int space = key.indexOf(' ');
                    callback.call(count, key.substring(0, space), key.substring(space + 1));
                });
            }, "kind", "outcome");
        counter(registry, snapshot, "mcrelay_journal_written_bytes",
            "Bytes the journal wrote since the daemon started.",
            (now, callback) -> callback.call(now.journalBytesWritten()));
        gauge(registry, snapshot, "mcrelay_epoch",
            "The rule table's epoch.",
            (now, callback) -> callback.call(now.epoch()));
        gauge(registry, snapshot, "mcrelay_rules_by_state",
            "Rules by the state 'list' shows (active, waiting, down, join_failed).",
            (now, callback) -> now.ruleStates().forEach((state, count) -> callback.call(count, state)), "state");
        gauge(registry, snapshot, "mcrelay_rules",
            "Rules in the table.",
            (now, callback) -> callback.call(now.stats().rules().size()));
        gauge(registry, snapshot, "mcrelay_journal_state",
            "1 for the journal's state, 0 for the others (ok, full, failed).",
            (now, callback) -> {
                for (final String state : JOURNAL_STATES) {
                    callback.call(state.equals(now.stats().journal().state()) ? 1 : 0, state);
                }
            }, "state");
    }

    /** What a series reports from one snapshot, through its callback. */
    private interface Feed<C> {
        void feed(Snapshot now, C callback);
    }

    /** A counter whose values are read from the newest snapshot at each scrape (none before the first). */
    private static void counter(final PrometheusRegistry registry, final AtomicReference<Snapshot> snapshot,
                                final String name, final String help, final Feed<CounterWithCallback.Callback> feed,
                                final String... labels) {
        CounterWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback -> {
            final Snapshot now = snapshot.get();
            if (now != null) {
                feed.feed(now, callback);
            }
        }).register(registry);
    }

    /** A gauge whose values are read from the newest snapshot at each scrape (none before the first). */
    private static void gauge(final PrometheusRegistry registry, final AtomicReference<Snapshot> snapshot,
                              final String name, final String help, final Feed<GaugeWithCallback.Callback> feed,
                              final String... labels) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback -> {
            final Snapshot now = snapshot.get();
            if (now != null) {
                feed.feed(now, callback);
            }
        }).register(registry);
    }

    @Override
    public void close() {
        server.stop();
    }
}
