package io.mcrelay.seam;

/**
 * Why a worker was last ended and started again: DESIGN's words, the same in the WARN log line, in
 * {@code workers --json}'s {@code last_restart_reason} and in metrics. The supervisor decides them; a launcher that
 * kills a worker logs the reason it was given.
 */
public enum RestartReason {
    /** Never restarted. */
    NONE("none"),
    /** It ended by itself (its status is logged), or closed its channel. */
    EXITED("exited"),
    /** It stopped sending heartbeats. */
    NO_HEARTBEAT("no_heartbeat"),
    /** It did not complete a sync, or did not ack a change, in time. */
    SYNC_TIMEOUT("sync_timeout"),
    /** Its ruleset hash disagreed with the supervisor's again after a sync. */
    DRIFT("drift"),
    /** It did not connect back in time after its launch. */
    CONNECT_TIMEOUT("connect_timeout"),
    /** It sent a frame the worker protocol does not allow. */
    PROTOCOL_ERROR("protocol_error"),
    /** Something outside the worker asked for it (the daemon, an operator). */
    REQUESTED("requested");

    private final String word;

    RestartReason(final String word) {
        this.word = word;
    }

    /** The contract's word. */
    public String word() {
        return word;
    }
}
