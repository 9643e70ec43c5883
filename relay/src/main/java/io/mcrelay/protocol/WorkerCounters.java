package io.mcrelay.protocol;

import java.util.List;
import java.util.Objects;

import io.mcrelay.rules.RuleId;

/**
 * A worker's cumulative counters since it started, as carried in heartbeats. The supervisor turns them into totals
 * that survive worker restarts. DESIGN's identities, for a worker whose rings and sends are empty: Σ inputs'
 * {@code packets} = Σ {@code ringFull} + Σ {@code stagingFull} + {@code framesReceived}; {@code framesReceived} =
 * {@code unmatched} + {@code malformed} + {@code fragments} + {@code removedPacketsIn} + Σ rules' {@code packetsIn};
 * per rule, {@code packetsIn} × its outputs = Σ outputs' {@code packetsOut} + its four drops.
 *
 * @param framesReceived frames the worker took from its packet sockets
 * @param unmatched      well-formed IPv4/UDP packets no rule matched
 * @param malformed      frames that are not well-formed Ethernet/IPv4/UDP (no rule could own them)
 * @param fragments      IPv4 fragments, which are not reassembled (no rule could own them)
 * @param removedPacketsIn packets that matched rules the worker no longer holds (their {@code packetsIn} when they
 *                       went), so that the identity above holds across removals
 * @param removedBytesIn their payload bytes
 * @param inputs         per input interface, what the kernel offered and what was lost before any rule was looked
 *                       at, sorted by interface name
 * @param rules          per-rule counters, sorted by rule id
 */
public record WorkerCounters(long framesReceived, long unmatched, long malformed, long fragments,
                             long removedPacketsIn, long removedBytesIn,
                             List<InputCounters> inputs, List<RuleCounters> rules) {
    public static final WorkerCounters ZERO = new WorkerCounters(0, 0, 0, 0, 0, 0, List.of(), List.of());

    public WorkerCounters {
        inputs = List.copyOf(inputs);
        rules = List.copyOf(rules);
    }

    /**
     * One input interface on one worker: {@code packets} the kernel offered to the worker's socket on it (its
     * {@code tp_packets}, drops included), {@code ringFull} the kernel dropped for a full receive ring
     * ({@code tp_drops}), {@code stagingFull} the worker read but dropped for a full staging area.
     */
    public record InputCounters(String interfaceName, long packets, long ringFull, long stagingFull) {
        public InputCounters {
            Objects.requireNonNull(interfaceName, "interfaceName");
        }
    }

    /**
     * Counters of one rule on one worker.
     *
     * @param dropsBufferFull    sends of the rule's packets dropped because a socket's send buffer (or the worker's
     *                           submission queue) was full ({@code EAGAIN})
     * @param dropsNoBufferSpace sends dropped because a device queue was full ({@code ENOBUFS})
     * @param dropsSendError     sends that failed otherwise
     * @param dropsLinkDown      sends dropped because an output's link was down or gone
     * @param outputs            per-output counters, in the rule's output order
     */
    public record RuleCounters(RuleId id, long packetsIn, long bytesIn, long dropsBufferFull, long dropsNoBufferSpace,
                               long dropsSendError, long dropsLinkDown, List<OutputCounters> outputs) {
        public RuleCounters {
            Objects.requireNonNull(id, "id");
            outputs = List.copyOf(outputs);
        }
    }

    /**
     * Counters of one output of one rule on one worker: packets and payload bytes the kernel took, and
     * {@code errors} it reported later for packets already sent (the destination socket's error queue).
     */
    public record OutputCounters(long packetsOut, long bytesOut, long errors) {
    }
}
