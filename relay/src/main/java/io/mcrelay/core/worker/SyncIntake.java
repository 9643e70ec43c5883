package io.mcrelay.core.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Rule;

/**
 * A {@code Sync} on its way into a worker, in three stages, so that no duty cycle does more than a bounded part of a
 * big table and the worker goes on heartbeating (and forwarding with the table it holds) meanwhile:
 * <ol>
 *   <li><b>gathering</b>: the chunks of one epoch are kept until every one arrived. A chunk held already (duplicated,
 *       or sent again after a stall) changes nothing; chunks come in any order; a chunk of an older epoch than the
 *       one gathered, or than the one installed, is refused as stale; a chunk of a newer epoch drops what was gathered
 *       of the older one.</li>
 *   <li><b>preparing</b>: the rules go into a new {@link RuleSet} (a rule the worker holds unchanged keeps its
 *       digest: no hashing) and their outputs are opened, at most {@link #PREPARE_UNITS_PER_CYCLE} outputs a duty
 *       cycle (a rule counts one at least).</li>
 *   <li><b>ready</b>: the prepared set is handed over whole ({@link #take}), to be installed in one step; a big one
 *       is announced first ({@link #announceInstall}).</li>
 * </ol>
 * {@code Apply}s that arrive meanwhile are kept ({@link #deferApply}, at most {@link #DEFERRED_APPLIES_MAX}) and
 * applied in order right after the install. {@link #progress} says how far it got, for heartbeats. Not thread-safe.
 */
final class SyncIntake {
    /**
     * Outputs opened (or rules taken in, for rules of few outputs) per duty cycle while preparing: 64, about a
     * millisecond in a warm worker; a worker JVM whose code for this is still cold was measured at over a millisecond a
     * rule, which this keeps to under a tenth of a second a cycle.
     */
    static final int PREPARE_UNITS_PER_CYCLE = 64;
    /** Applies kept while a Sync is taken in; beyond this, the supervisor's resync repairs the gap. */
    static final int DEFERRED_APPLIES_MAX = 1024;

    /** What became of a chunk offered. */
    enum Taken {
        /** A chunk not held before: kept. */
        NEW,
        /** A chunk held already: nothing changed. */
        DUPLICATE,
        /** A chunk of an epoch older than the one gathered or installed: ignored. */
        STALE
    }

    /** Opens one output of a rule being prepared (the worker's {@code openDestination}); returns its handle. */
    @FunctionalInterface
    interface Opener {
        int open(Rule rule, int output);
    }

    private long epoch = -1;
    /** The chunks gathered so far, by number; {@code null} once all arrived (their rules are in {@link #gathered}). */
    private List<Rule>[] chunks;
    private int chunkCount;
    private int chunksReceived;
    private int rulesReceived;
    /** All the chunks' rules in chunk order, once every chunk arrived; {@code null} while gathering. */
    private List<Rule> gathered;
    private RuleSet prepared;
    private int preparedCount;
    private boolean installAnnounced;
    private long chunksTaken;
    private final ArrayDeque<WorkerMessage.Apply> deferred = new ArrayDeque<>();

    /** Chunks taken (not duplicates nor stale) since the intake was made: it moves when one was. */
    long chunksTaken() {
        return chunksTaken;
    }

    /** Whether a Sync is being gathered or prepared. */
    boolean underWay() {
        return epoch >= 0;
    }

    long epoch() {
        return epoch;
    }

    /**
     * Offers one chunk, given the epoch the worker has installed.
     *
     * @throws IllegalArgumentException if chunks of one epoch disagree on how many there are: the supervisor cuts one
     *                                  table one way, so the channel cannot be trusted
     */
    @SuppressWarnings("unchecked")
    Taken offer(final WorkerMessage.Sync sync, final long installedEpoch) {
        if (sync.epoch() < installedEpoch || (underWay() && sync.epoch() < epoch)) {
            return Taken.STALE;
        }
        if (!underWay() || sync.epoch() > epoch) {
            clear();
            epoch = sync.epoch();
            chunkCount = sync.chunks();
            chunks = new List[chunkCount];
        } else if (chunkCount != sync.chunks()) {
            throw new IllegalArgumentException("the Sync of epoch " + epoch + " came as " + chunkCount
                + " chunks and as " + sync.chunks());
        }
        if (chunks == null || chunks[sync.chunk()] != null) {
            return Taken.DUPLICATE; // held already, or every chunk is in and being prepared
        }
        chunks[sync.chunk()] = sync.rules();
        chunksReceived++;
        chunksTaken++;
        rulesReceived += sync.rules().size();
        if (chunksReceived == chunkCount) {
            gathered = new ArrayList<>(rulesReceived);
            for (final List<Rule> chunk : chunks) {
                gathered.addAll(chunk);
            }
            chunks = null; // the rules live on in gathered
            prepared = new RuleSet();
            preparedCount = 0;
        }
        assert chunks == null || chunksReceived < chunkCount;
        return Taken.NEW;
    }

    /**
     * Keeps an {@code Apply} that came while a Sync is taken in; false if too many are kept already (it is dropped,
     * and the worker stays behind until the supervisor sends the table again).
     */
    boolean deferApply(final WorkerMessage.Apply apply) {
        assert underWay();
        if (deferred.size() >= DEFERRED_APPLIES_MAX) {
            return false;
        }
        deferred.addLast(apply);
        return true;
    }

    /**
     * Prepares the next rules of a gathered Sync: each goes into the new set, with the digest {@code held} has for
     * it when it holds the very same rule, and its outputs are opened through {@code opener}; at most
     * {@link #PREPARE_UNITS_PER_CYCLE} units. Does nothing while gathering.
     *
     * @return the rules prepared by this call
     */
    int prepare(final RuleSet held, final Opener opener) {
        if (gathered == null) {
            return 0;
        }
        int units = 0;
        int done = 0;
        while (preparedCount < gathered.size() && units < PREPARE_UNITS_PER_CYCLE) {
            final Rule received = gathered.get(preparedCount++);
            // A rule held already goes in as the very object held, with its digest: equal, and the lookups of the
            // install (counters, destinations) then find their keys by identity instead of comparing ids.
            final RuleSet.Held same = held.heldIfSame(received);
            final Rule rule = same != null ? same.rule() : received;
            prepared.put(rule, same != null ? same.digest() : RulesetHash.digest(rule));
            for (int i = 0; i < rule.outputs().size(); i++) {
                opener.open(rule, i);
            }
            units += Math.max(1, rule.outputs().size());
            done++;
        }
        assert preparedCount <= gathered.size() && prepared.size() == preparedCount;
        return done;
    }

    /** Whether every rule of the gathered Sync is prepared: {@link #take} it. */
    boolean ready() {
        return gathered != null && preparedCount == gathered.size();
    }

    /**
     * Whether the install of this Sync is a step worth announcing first: its table took more than one duty cycle to
     * prepare, so installing it (one step over every rule) may take a while. Then true the first time it
     * is asked, so that the worker heartbeats its progress (every rule prepared) before it installs.
     */
    boolean announceInstall() {
        if (installAnnounced || gathered == null || gathered.size() <= PREPARE_UNITS_PER_CYCLE) {
            return false;
        }
        installAnnounced = true;
        return true;
    }

    /** The prepared set, to install at {@link #epoch()}; the Applies kept meanwhile go with it, in arrival order. */
    RuleSet take(final List<WorkerMessage.Apply> appliesOut) {
        assert ready() : "taken before it was ready";
        final RuleSet set = prepared;
        appliesOut.addAll(deferred);
        clear();
        return set;
    }

    /** Forgets whatever was gathered or prepared, and the Applies kept. */
    void clear() {
        epoch = -1;
        chunks = null;
        chunkCount = 0;
        chunksReceived = 0;
        rulesReceived = 0;
        gathered = null;
        prepared = null;
        preparedCount = 0;
        installAnnounced = false;
        deferred.clear();
    }

    /** How far it got, as heartbeats report it. */
    WorkerMessage.SyncProgress progress() {
        if (!underWay()) {
            return WorkerMessage.SyncProgress.NONE;
        }
        final int total = gathered != null ? gathered.size() : rulesReceived;
        return new WorkerMessage.SyncProgress(epoch, chunksReceived, chunkCount, preparedCount, total);
    }
}
