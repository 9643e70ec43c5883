package io.mcrelay.core.supervisor;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.PacketIo;

/**
 * The trace log: which rules are traced, and the latest trace events of each as {@code trace show} reports them, at
 * most {@link #EVENTS_PER_RULE} per rule (the oldest are dropped first). Both are kept in rule id order, so what the
 * workers are told and what clients see never depends on hash order. Pure state: telling the workers is the
 * caller's. Not thread-safe.
 */
final class TraceLog {
    /** Trace events kept per rule for {@code trace show}; older ones are dropped. */
    static final int EVENTS_PER_RULE = 512;

    private final TreeSet<RuleId> traced = new TreeSet<>();
    private final SortedSet<RuleId> tracedView = Collections.unmodifiableSortedSet(traced);
    private final TreeMap<RuleId, ArrayDeque<ControlResponse.TraceEvent>> events = new TreeMap<>();

    /**
     * Turns tracing of {@code id} on or off. Turning it on starts an empty log; turning it off keeps the events
     * already logged, so that they can still be shown.
     *
     * @return true if that changed whether it is traced (the workers must then be told)
     */
    boolean set(final RuleId id, final boolean enable) {
        final boolean changed = enable ? traced.add(id) : traced.remove(id);
        if (changed && enable) {
            events.put(id, new ArrayDeque<>());
        }
        return changed;
    }

    /** The traced rules, in id order: what a new or resynced worker must be told. */
    SortedSet<RuleId> traced() {
        return tracedView;
    }

    boolean isTraced(final RuleId id) {
        return traced.contains(id);
    }

    /** The rule is gone (removed, not replaced): its tracing and its events go with it. */
    void forget(final RuleId id) {
        traced.remove(id);
        events.remove(id);
    }

    /**
     * Logs the events a worker reported. Events of a rule without a log (never traced, or forgotten) are dropped;
     * those still in flight after tracing was turned off are kept, like the log they join.
     */
    void record(final int workerIndex, final List<WorkerMessage.TraceEvent> reported) {
        for (final WorkerMessage.TraceEvent event : reported) {
            final ArrayDeque<ControlResponse.TraceEvent> log = events.get(event.id());
            if (log == null) {
                continue; // never traced, or the rule was removed meanwhile
            }
            if (log.size() == EVENTS_PER_RULE) {
                log.removeFirst();
            }
            log.addLast(new ControlResponse.TraceEvent(workerIndex, event.packet(), stepName(event.step()),
                event.output(), detail(event)));
            assert log.size() <= EVENTS_PER_RULE : "trace log of " + event.id() + " over its bound";
        }
    }

    /** The logged events of {@code id}, oldest first, or {@code null} if it was never traced (or was forgotten). */
    List<ControlResponse.TraceEvent> events(final RuleId id) {
        final ArrayDeque<ControlResponse.TraceEvent> log = events.get(id);
        return log == null ? null : List.copyOf(log);
    }

    static String stepName(final int step) {
        return switch (step) {
            case WorkerMessage.TraceEvent.RECEIVED -> "received";
            case WorkerMessage.TraceEvent.MATCHED -> "matched";
            case WorkerMessage.TraceEvent.SENT -> "sent";
            default -> "dropped";
        };
    }

    static String detail(final WorkerMessage.TraceEvent event) {
        return switch (event.step()) {
            case WorkerMessage.TraceEvent.RECEIVED -> "frame of " + event.value() + " bytes";
            case WorkerMessage.TraceEvent.MATCHED -> "payload of " + event.value() + " bytes";
            case WorkerMessage.TraceEvent.SENT -> event.value() + " bytes sent";
            default -> dropReason(event.value());
        };
    }

    /** The stats contract's drop reason for a failed send, with the errno. */
    static String dropReason(final int result) {
        final int errno = -result;
        if (result == PacketIo.SEND_QUEUE_FULL) {
            return PacketIo.SendFailure.BUFFER_FULL.reason() + " (submission queue full)";
        }
        return PacketIo.SendFailure.of(result).reason() + " (errno " + errno + ")";
    }
}
