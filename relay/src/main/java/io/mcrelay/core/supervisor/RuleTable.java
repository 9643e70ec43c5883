package io.mcrelay.core.supervisor;

import java.util.List;
import java.util.TreeMap;

import io.mcrelay.core.worker.RuleSet;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.ValidationError;

/**
 * The supervisor's authoritative rule table: a {@link RuleSet} with an epoch that grows by one on every committed
 * change (of the rules, or of the inputs handed to the workers: an empty change), and the ruleset hash of recent
 * epochs, the inputs' part included (so an ack for an older epoch can still be checked). Not thread-safe.
 */
final class RuleTable {
    /** How many past epochs keep their hash: enough for every change a client can still be waiting for. */
    private static final int HASH_HISTORY_MAX = 4096;

    private final RuleSet rules = new RuleSet();
    private final TreeMap<Long, Long> hashByEpoch = new TreeMap<>();
    private Limits limits;
    private long epoch;
    /** The inputs' part of the ruleset hash ({@link Inputs#hash}), as of the current epoch. */
    private long inputsHash = io.mcrelay.protocol.RulesetHash.EMPTY;

    RuleTable(final Limits limits) {
        this.limits = limits;
        hashByEpoch.put(0L, hash());
    }

    long epoch() {
        return epoch;
    }

    /** The ruleset hash a converged worker reports now: the rules' and the inputs handed over. */
    long hash() {
        return rules.hash() + inputsHash;
    }

    /**
     * The inputs handed to the workers changed within the current epoch (before any worker heard of it): the epoch's
     * hash covers them.
     */
    void setInputsHash(final long hashOfInputs) {
        inputsHash = hashOfInputs;
        hashByEpoch.put(epoch, hash());
    }

    Limits limits() {
        return limits;
    }

    void setLimits(final Limits limits) {
        this.limits = limits;
    }

    /** The hash the table had at {@code epochAsked}, or {@code null} when that epoch is too old to remember. */
    Long hashAt(final long epochAsked) {
        return hashByEpoch.get(epochAsked);
    }

    List<Rule> rules() {
        return rules.rules();
    }

    Rule get(final RuleId id) {
        return rules.get(id);
    }

    int size() {
        return rules.size();
    }

    RuleSet view() {
        return rules;
    }

    List<ValidationError> checkAdd(final Rule rule) {
        return rules.checkAdd(rule, limits);
    }

    /** A generated id: {@code r<epoch>}, or with a suffix if a user already took that name. */
    RuleId generateId() {
        final String base = "r" + (epoch + 1);
        RuleId id = new RuleId(base);
        for (int suffix = 1; rules.contains(id); suffix++) {
            id = new RuleId(base + "-" + suffix);
        }
        return id;
    }

    /** Replaces everything with a snapshot: its rules, its epoch and its limits. */
    void restore(final SnapshotEntry snapshot) {
        for (final Rule rule : rules.rules()) {
            rules.remove(rule.id());
        }
        for (final Rule rule : snapshot.rules()) {
            rules.put(rule);
        }
        epoch = snapshot.epoch();
        limits = snapshot.limits();
        hashByEpoch.clear();
        hashByEpoch.put(epoch, hash());
    }

    /** Commits one change: removals, then upserts, as one new epoch. */
    long commit(final List<RuleId> removals, final List<Rule> upserts) {
        for (final RuleId id : removals) {
            rules.remove(id);
        }
        for (final Rule rule : upserts) {
            rules.put(rule);
        }
        epoch++;
        hashByEpoch.put(epoch, hash());
        while (hashByEpoch.size() > HASH_HISTORY_MAX) {
            hashByEpoch.pollFirstEntry();
        }
        return epoch;
    }
}
