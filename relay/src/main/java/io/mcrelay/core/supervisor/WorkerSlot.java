package io.mcrelay.core.supervisor;

import java.util.TreeMap;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/** The supervisor's view of one worker slot across its incarnations. Not thread-safe. */
public final class WorkerSlot {
    /** Where a worker is in its life. */
    enum State {
        /** Launched; not connected yet. */
        STARTING,
        /** Connected; a {@code Sync} was sent and its ack with the right hash is awaited. */
        SYNCING,
        /** Acked a {@code Sync}; takes part in acks of changes. */
        READY,
        /** Killed or lost; waiting for its exit to be reported. */
        STOPPING,
        /** Exited; waiting out the crash backoff before the next launch. */
        BACKOFF;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    final int index;
    State state = State.BACKOFF;
    WorkerLauncher.WorkerHandle handle;
    WorkerChannel channel;
    long launchedAtNs;
    long readySinceNs = -1;
    long lastHeardNs;
    /** Whether the worker has sent a message since it connected (before that it may be slower to speak). */
    boolean heardSinceConnect;
    /**
     * The interval to its next heartbeat that the newest heartbeat of this incarnation announced, 0 for the usual one
     * (an idle worker heartbeats less often, {@code Heartbeat.nextWithinNs}).
     */
    long heartbeatWithinNs;
    /** The epoch of the last {@code Sync} sent whole to this incarnation, or -1. */
    long syncEpoch = -1;
    /**
     * A {@code Sync} is owed (a sync was decided, or its chunks did not all fit the channel yet): its chunks go out on
     * the next duty cycles, from {@link #syncChunksSent} on.
     */
    boolean syncOwed;
    /** The epoch whose chunks are being (or were last) sent, and how many of them went. */
    long syncSendingEpoch = -1;
    int syncChunksSent;
    /** When the last chunk of the last Sync went. */
    long syncSentAtNs;
    /**
     * When the sync under way last moved: a chunk written, or the worker reporting more of it taken in than before
     * ({@link #syncProgress}). A sync that moved within the ack timeout is progressing, never hung.
     */
    long syncMovedAtNs;
    /** The worker's last report of the sync under way. */
    WorkerMessage.SyncProgress syncProgress = WorkerMessage.SyncProgress.NONE;
    /** Syncs that stalled (sent whole, then no progress for the ack timeout) since this worker was last ready. */
    int syncAttempts;
    /** When this incarnation last drifted, or -1. */
    long lastDriftNs = -1;
    /** The last sync was sent because of drift: drift again means restart. */
    boolean syncForDrift;
    long ackedEpoch = -1;
    long ackedHash;
    long acksReceived;
    long heartbeatEpoch = -1;
    long heartbeatHash;
    /** This incarnation's counters, as its heartbeats made them up. */
    LiveCounters counters = new LiveCounters();
    int consecutiveCrashes;
    long restarts;
    RestartReason lastRestartReason = RestartReason.NONE;
    String lastRestartDetail = "";
    /** Restarts by the contract's word. */
    final TreeMap<String, Long> restartReasons = new TreeMap<>();
    RestartReason stopReason = RestartReason.NONE;
    String stopDetail = "";
    long respawnTimerId = -1;

    /**
     * How long a worker may talk on after its sync last moved before the sync counts as stalled: {@link #stallNs} once
     * its reports show it took in part of that Sync, {@link #unawareStallNs} while they do not mention it yet (its
     * chunks may still wait unread behind a supervisor cycle that was long, or a worker's first cold steps).
     */
    final long stallNs;
    final long unawareStallNs;

    /** A slot with DESIGN's ack timeout (1 s) as both stall windows. */
    WorkerSlot(final int index) {
        this(index, 1_000_000_000L, 1_000_000_000L);
    }

    WorkerSlot(final int index, final long stallNs, final long unawareStallNs) {
        if (stallNs <= 0 || unawareStallNs < stallNs) {
            throw new IllegalArgumentException("stall windows must be positive, the unaware one no shorter: "
                + stallNs + ", " + unawareStallNs);
        }
        this.index = index;
        this.stallNs = stallNs;
        this.unawareStallNs = unawareStallNs;
    }

    long pid() {
        return handle == null ? 0 : handle.pid();
    }

    /** The epoch this worker last reported, by ack or heartbeat. */
    long reportedEpoch() {
        return Math.max(ackedEpoch, heartbeatEpoch);
    }

    long reportedHash() {
        return ackedEpoch >= heartbeatEpoch ? ackedHash : heartbeatHash;
    }

    /**
     * Whether the sync under way has stalled: the worker went on speaking for longer than a stall window after the
     * sync last moved (a chunk written, more of it taken in), without reporting more of it ({@link #stallNs} once it
     * reported this Sync, {@link #unawareStallNs} before). A worker that has not spoken since is not judged here (its
     * silence is the heartbeat check's), nor is one slow to take in a big table that reports progress: only one that
     * talks and does not move.
     */
    boolean syncStalled() {
        final boolean aware = syncProgress.epoch() >= 0 && syncProgress.epoch() == syncSendingEpoch;
        return lastHeardNs - Math.max(syncSentAtNs, syncMovedAtNs) > (aware ? stallNs : unawareStallNs);
    }

    /**
     * Whether the worker's newest report said it holds every chunk of a Sync and has prepared every rule: it is
     * installing the table, one step that may take a while for a big one.
     */
    boolean installing() {
        return syncProgress.epoch() >= 0 && syncProgress.chunksReceived() == syncProgress.chunks()
            && syncProgress.rulesPrepared() == syncProgress.rules();
    }

    /**
     * Whether the worker was sent a Sync it has not said a word about yet (no progress on it, no ack of it): its first
     * steps on a table run code it may never have run, slow in a JVM that has not compiled it yet.
     */
    boolean syncUnreported() {
        return state == State.SYNCING && syncSendingEpoch >= 0 && syncProgress.epoch() != syncSendingEpoch
            && ackedEpoch < syncSendingEpoch;
    }

    /** Forgets everything that belonged to the incarnation that just ended. */
    void resetIncarnation() {
        handle = null;
        channel = null;
        readySinceNs = -1;
        syncEpoch = -1;
        syncOwed = false;
        syncSendingEpoch = -1;
        syncChunksSent = 0;
        syncMovedAtNs = 0;
        syncProgress = WorkerMessage.SyncProgress.NONE;
        syncForDrift = false;
        syncAttempts = 0;
        lastDriftNs = -1;
        ackedEpoch = -1;
        ackedHash = 0;
        heartbeatEpoch = -1;
        heartbeatHash = 0;
        counters = new LiveCounters();
    }
}
