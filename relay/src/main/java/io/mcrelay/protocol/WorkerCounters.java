package io.mcrelay.protocol;

import java.util.List;
import java.util.Objects;

import io.mcrelay.rules.RuleId;

/**
 * A worker's cumulative counters since it started, as carried in heartbeats. The supervisor turns them into totals
 * that survive worker restarts. Conservation: {@code framesReceived} = forwarded + {@code unmatched} +
 * {@code malformed} + {@code fragments} + the per-rule drops (a frame counts once however many outputs it has).
 *
 * @param framesReceived frames the worker took from its packet sockets
 * @param unmatched      well-formed IPv4/UDP packets no rule matched
 * @param malformed      frames that are not well-formed Ethernet/IPv4/UDP (no rule could own them)
 * @param fragments      IPv4 fragments, which are not reassembled (no rule could own them)
 * @param rules          per-rule counters, sorted by rule id
 */
public record WorkerCounters(long framesReceived, long unmatched, long malformed, long fragments,
                             List<RuleCounters> rules) {
    public static final WorkerCounters ZERO = new WorkerCounters(0, 0, 0, 0, List.of());

    public WorkerCounters {
        rules = List.copyOf(rules);
    }

    /**
     * Counters of one rule on one worker.
     *
     * @param dropsBufferFull packets of the rule dropped because a socket buffer was full ({@code EAGAIN},
     *                        {@code ENOBUFS})
     * @param dropsSendError  packets dropped because a send failed otherwise
     * @param dropsLinkDown   packets dropped because an output's link was down
     * @param outputs         per-output counters, in the rule's output order
     */
    public record RuleCounters(RuleId id, long packetsIn, long bytesIn, long dropsBufferFull, long dropsSendError,
                               long dropsLinkDown, List<OutputCounters> outputs) {
        public RuleCounters {
            Objects.requireNonNull(id, "id");
            outputs = List.copyOf(outputs);
        }
    }

    /** Counters of one output of one rule on one worker; {@code errors} are failed sends to it. */
    public record OutputCounters(long packetsOut, long bytesOut, long errors) {
    }
}
