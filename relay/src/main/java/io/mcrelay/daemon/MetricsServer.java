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
                    long journalBytesWritten) {
        Snapshot {
            controlAnswers = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(controlAnswers));
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
        CounterWithCallback.builder().name("mcrelay_rule_packets_in").help("Packets a rule took in.")
            .labelNames("rule").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    now.stats().rules().forEach(rule -> callback.call(rule.packetsIn(), rule.id()));
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_rule_bytes_in").help("Payload bytes a rule took in.")
            .labelNames("rule").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    now.stats().rules().forEach(rule -> callback.call(rule.bytesIn(), rule.id()));
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_rule_drops")
            .help("Sends of a rule's packets dropped, by reason (buffer_full, no_buffer_space, send_error, link_down).")
            .labelNames("rule", "reason").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    for (final ControlResponse.RuleStats rule : now.stats().rules()) {
                        final ControlResponse.Drops drops = rule.drops();
                        callback.call(drops.bufferFull(), rule.id(), "buffer_full");
                        callback.call(drops.noBufferSpace(), rule.id(), "no_buffer_space");
                        callback.call(drops.sendError(), rule.id(), "send_error");
                        callback.call(drops.linkDown(), rule.id(), "link_down");
                    }
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_drops")
            .help("Frames no rule could own or lost before any rule was looked at, by reason (malformed, fragment, "
                + "ring_full, staging_full).")
            .labelNames("reason").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    final ControlResponse.Drops drops = now.stats().drops();
                    callback.call(drops.malformed(), "malformed");
                    callback.call(drops.fragment(), "fragment");
                    callback.call(drops.ringFull(), "ring_full");
                    callback.call(drops.stagingFull(), "staging_full");
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_unmatched_packets").help("Well-formed packets no rule matched.")
            .callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    callback.call(now.stats().unmatched());
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_removed_rules_packets_in")
            .help("Packets that rules removed since the daemon started had taken in.").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    callback.call(now.stats().removedRules().packetsIn());
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_input_packets")
            .help("Frames the kernel offered an input interface's socket of a worker (tp_packets).")
            .labelNames("interface", "worker").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    now.stats().inputs().forEach(input -> callback.call(input.tpPackets(), input.interfaceName(),
                        Integer.toString(input.worker())));
                }
            }).register(registry);
        if (outputs) {
            CounterWithCallback.builder().name("mcrelay_output_packets_out")
                .help("Packets a rule's output sent (--metrics-outputs).").labelNames("rule", "output")
                .callback(callback -> {
                    final Snapshot now = snapshot.get();
                    if (now != null) {
                        for (final ControlResponse.RuleStats rule : now.stats().rules()) {
                            for (final ControlResponse.OutputStats output : rule.outputs()) {
                                callback.call(output.packetsOut(), rule.id(), output.group() + ":" + output.port()
                                    + ":" + output.interfaceName());
                            }
                        }
                    }
                }).register(registry);
        }
        CounterWithCallback.builder().name("mcrelay_worker_restarts").help("Times a worker slot was restarted.")
            .labelNames("worker").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    now.stats().workers().forEach(worker -> callback.call(worker.restarts(),
                        Integer.toString(worker.index())));
                }
            }).register(registry);
        GaugeWithCallback.builder().name("mcrelay_worker_state")
            .help("1 for a worker slot's state, 0 for the others (starting, syncing, ready, stopping, backoff).")
            .labelNames("worker", "state").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    for (final ControlResponse.WorkerInfo worker : now.stats().workers()) {
                        for (final String state : WORKER_STATES) {
                            callback.call(state.equals(worker.state()) ? 1 : 0, Integer.toString(worker.index()),
                                state);
                        }
                    }
                }
            }).register(registry);
        GaugeWithCallback.builder().name("mcrelay_worker_last_restart_reason")
            .help("1 for the reason of a worker slot's last restart, 0 for the others.")
            .labelNames("worker", "reason").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    for (final ControlResponse.WorkerInfo worker : now.stats().workers()) {
                        for (final String reason : RESTART_REASONS) {
                            callback.call(reason.equals(worker.lastRestartReason()) ? 1 : 0,
                                Integer.toString(worker.index()), reason);
                        }
                    }
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_control_requests")
            .help("Control requests answered, by kind (add, remove, list, stats, config_load...) and outcome (ok, "
                + "not_acked, or the refusal's code).")
            .labelNames("kind", "outcome").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    now.controlAnswers().forEach((key, count) -> {
                        final int space = key.indexOf(' ');
                        callback.call(count, key.substring(0, space), key.substring(space + 1));
                    });
                }
            }).register(registry);
        CounterWithCallback.builder().name("mcrelay_journal_written_bytes")
            .help("Bytes the journal wrote since the daemon started.").callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    callback.call(now.journalBytesWritten());
                }
            }).register(registry);
        GaugeWithCallback.builder().name("mcrelay_epoch").help("The rule table's epoch.").callback(callback -> {
            final Snapshot now = snapshot.get();
            if (now != null) {
                callback.call(now.epoch());
            }
        }).register(registry);
        GaugeWithCallback.builder().name("mcrelay_rules").help("Rules in the table.").callback(callback -> {
            final Snapshot now = snapshot.get();
            if (now != null) {
                callback.call(now.stats().rules().size());
            }
        }).register(registry);
        GaugeWithCallback.builder().name("mcrelay_journal_state")
            .help("1 for the journal's state, 0 for the others (ok, full, failed).").labelNames("state")
            .callback(callback -> {
                final Snapshot now = snapshot.get();
                if (now != null) {
                    for (final String state : JOURNAL_STATES) {
                        callback.call(state.equals(now.stats().journal().state()) ? 1 : 0, state);
                    }
                }
            }).register(registry);
    }

    @Override
    public void close() {
        server.stop();
    }
}
