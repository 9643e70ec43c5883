package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.ValidationError;

/**
 * A set of rules with unique ids and unique inputs, iterated in id order, with its {@link RulesetHash} kept up to
 * date in O(1) per change. The checks that depend on the whole table (duplicate id, duplicate input, the rule limit)
 * live here; {@link io.mcrelay.rules.RuleValidator} checks a rule on its own. Not thread-safe.
 */
public final class RuleSet {
    /** A rule held, with its digest. */
    record Held(Rule rule, Long digest) {
    }

    // The order of iteration; lookups by id go to heldById, in O(1) rather than a string comparison per tree level.
    private final TreeMap<RuleId, Rule> byId = new TreeMap<>();
    // Lookup only: never iterated, so their hash order cannot reach an output.
    private final Map<RuleInput, RuleId> idByInput = new HashMap<>();
    private final Map<RuleId, Held> heldById = new HashMap<>();
    private long hash = RulesetHash.EMPTY;
    /** {@link #rules()} as last made, immutable; {@code null} once a change made it stale. */
    private List<Rule> rulesInOrder;

    /** An empty set. */
    public RuleSet() {
    }

    /** A set holding {@code rules}, which must already be consistent (see {@link io.mcrelay.rules.RuleValidator#checkTable}). */
    public static RuleSet of(final Collection<Rule> rules) {
        final RuleSet set = new RuleSet();
        for (final Rule rule : rules) {
            if (set.contains(rule.id()) || set.idByInput.containsKey(rule.input())) {
                throw new IllegalArgumentException("duplicate id or input: " + rule.id());
            }
            set.put(rule);
        }
        return set;
    }

    /**
     * What stops {@code rule} from being added: a rule with the same id, a rule with the same input, or the table
     * being full. Empty when it can be added.
     */
    public List<ValidationError> checkAdd(final Rule rule, final Limits limits) {
        final List<ValidationError> errors = new ArrayList<>(2);
        if (heldById.containsKey(rule.id())) {
            errors.add(new ValidationError("id", "a rule with id \"" + rule.id() + "\" already exists"));
        }
        final RuleId owner = idByInput.get(rule.input());
        if (owner != null) {
            errors.add(new ValidationError("input", "rule \"" + owner + "\" already receives " + rule.input()));
        }
        if (errors.isEmpty() && byId.size() >= limits.rulesMax()) {
            errors.add(new ValidationError("rules", "the table is full: it holds " + byId.size()
                + " rules, the limit (max_rules) is " + limits.rulesMax()));
        }
        return errors;
    }

    /** Adds a rule or replaces the rule with the same id; the caller checked it ({@link #checkAdd}). */
    public void put(final Rule rule) {
        put(rule, RulesetHash.digest(rule));
    }

    /**
     * {@link #put(Rule)} with the rule's digest known already ({@link #heldIfSame}): taking in a table whose rules
     * are mostly held already then costs no hashing for those.
     */
    void put(final Rule rule, final long digest) {
        assert digest == RulesetHash.digest(rule) : "the digest of " + rule.id();
        final Held previous = heldById.get(rule.id());
        if (previous != null) {
            remove(previous.rule.id());
        }
        final RuleId inputOwner = idByInput.get(rule.input());
        if (inputOwner != null) {
            throw new IllegalStateException("input " + rule.input() + " already belongs to rule " + inputOwner);
        }
        byId.put(rule.id(), rule);
        rulesInOrder = null;
        idByInput.put(rule.input(), rule.id());
        heldById.put(rule.id(), new Held(rule, digest));
        hash = RulesetHash.add(hash, digest);
        assert byId.size() == idByInput.size() && byId.size() == heldById.size();
    }

    /** Removes the rule with this id; returns it, or {@code null} if there was none. */
    public Rule remove(final RuleId id) {
        final Held removed = heldById.remove(id);
        if (removed == null) {
            return null;
        }
        byId.remove(id);
        rulesInOrder = null;
        idByInput.remove(removed.rule.input());
        hash = RulesetHash.subtract(hash, removed.digest);
        assert byId.size() == idByInput.size() && byId.size() == heldById.size();
        return removed.rule;
    }

    /** The rule held that equals {@code rule} (same id, equal fields), with its digest; or {@code null}. */
    Held heldIfSame(final Rule rule) {
        final Held held = heldById.get(rule.id());
        return held != null && rule.equals(held.rule) ? held : null;
    }

    public Rule get(final RuleId id) {
        final Held held = heldById.get(id);
        return held == null ? null : held.rule;
    }

    public boolean contains(final RuleId id) {
        return heldById.containsKey(id);
    }

    /** The rule that receives exactly this input, or {@code null}. */
    public Rule findByInput(final RuleInput input) {
        final RuleId id = idByInput.get(input);
        return id == null ? null : get(id);
    }

    /**
     * The rules in id order, as an immutable list: made once per change (the supervisor asks several times for each,
     * and a copy of a big table each time was a visible cost).
     */
    public List<Rule> rules() {
        if (rulesInOrder == null) {
            rulesInOrder = List.copyOf(byId.values());
        }
        assert rulesInOrder.size() == byId.size();
        return rulesInOrder;
    }

    /** The rules in id order, as a read-only view: for a walk over them that changes nothing in this set. */
    Collection<Rule> inIdOrder() {
        return Collections.unmodifiableCollection(byId.values());
    }

    public int size() {
        return byId.size();
    }

    /** The ruleset hash of the current contents. */
    public long hash() {
        return hash;
    }

    /** An independent copy. */
    public RuleSet copy() {
        final RuleSet copy = new RuleSet();
        copy.byId.putAll(byId);
        copy.idByInput.putAll(idByInput);
        copy.heldById.putAll(heldById);
        copy.hash = hash;
        return copy;
    }
}
