package io.mcrelay.core.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import org.agrona.collections.Int2IntHashMap;

import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.PacketIo;

/**
 * What a worker compiles from its ruleset and keeps in step with it: each rule's forwarding-table entry, its counters
 * ({@link RuleStatsTable}), which of its outputs send through which destination ({@link OutputErrors}), the open
 * destinations ({@link OpenDestinations}) and the widest rule. {@link #rebuild} compiles the whole ruleset (a Sync was
 * installed, or interface indices may have moved); {@link #change} follows an Apply rule by rule, at the cost of the
 * change instead of the table's (a worker recompiled all of a 10,000-rule table for one acked {@code add}), with the
 * same result and, for the rules that changed, the same calls in the same order: counters retired in id order, then
 * the changed rules compiled in id order, then what no rule uses any more closed in ascending order. Lookups only
 * (the maps here are never iterated in hash order). Not thread-safe.
 */
final class WorkerTable {
    /**
     * What the agent does with the table (its hooks, which a test's mutant may override): installs a whole table,
     * adds one entry, takes one out, closes a destination no rule output uses any more.
     */
    record Hooks(Consumer<List<ForwardingTable.Entry>> install, Consumer<ForwardingTable.Entry> add,
                 Consumer<ForwardingTable.Entry> remove, IntConsumer close) {
    }

    /** A rule as compiled: its counters, its outputs' destinations, its entry ({@code null}: no such interface). */
    private record Compiled(Rule rule, RuleStats stats, int[] destinations, ForwardingTable.Entry entry) {
    }

    private final PacketIo io;
    private final RuleStatsTable stats;
    private final OutputErrors outputErrors;
    private final Hooks hooks;
    private final OpenDestinations open = new OpenDestinations();
    // Looked up, never iterated.
    private final Map<RuleId, Compiled> compiled = new HashMap<>();
    /** Rules by their number of outputs: the widest is the last key. */
    private final TreeMap<Integer, Integer> widths = new TreeMap<>();

    WorkerTable(final PacketIo io, final RuleStatsTable stats, final OutputErrors outputErrors, final Hooks hooks) {
        this.io = io;
        this.stats = stats;
        this.outputErrors = outputErrors;
        this.hooks = hooks;
    }

    /** The open destinations (a Sync being prepared opens its outputs through them). */
    OpenDestinations destinations() {
        return open;
    }

    /** The most outputs of any rule held (at least 1): the sends one frame can need. */
    int outputsMax() {
        return widths.isEmpty() ? 1 : Math.max(1, widths.lastKey());
    }

    /** The frames one duty cycle may read with this table: {@link #frameBudget} for the widest rule. */
    int frameBudget(final int sendLimit, final int sendCapacity) {
        return frameBudget(sendLimit, sendCapacity, outputsMax());
    }

    /**
     * The frames one cycle may read: as many as {@code sendLimit} sends cover with {@code width} copies each (the
     * widest rule's outputs), and no more than {@code sendCapacity} can forward; at least one while the capacity can
     * forward one, so that a rule wider than the limit still flows.
     */
    static int frameBudget(final int sendLimit, final int sendCapacity, final int width) {
        if (sendCapacity < width) {
            return 0;
        }
        return Math.max(1, Math.min(sendLimit, sendCapacity) / width);
    }

    /**
     * Compiles all of {@code rules} and installs the table; closes what the table no longer uses, and what a Sync
     * opened ahead unless one is still {@code preparing}.
     */
    void rebuild(final RuleSet rules, final boolean preparing) {
        stats.retireAllBut(rules); // their counters stay while sends to them are in flight
        final List<ForwardingTable.Entry> entries = new ArrayList<>(rules.size());
        final Int2IntHashMap used = new Int2IntHashMap(0);
        outputErrors.startRebuild();
        compiled.clear();
        widths.clear();
        for (final Rule rule : rules.inIdOrder()) {
            final Compiled rebuilt = compile(rule);
            for (final int destination : rebuilt.destinations) {
                used.put(destination, used.get(destination) + 1);
            }
            for (int i = 0; i < rebuilt.destinations.length; i++) {
                outputErrors.sendsThrough(rebuilt.destinations[i], rebuilt.stats.slot, i);
            }
            if (rebuilt.entry != null) {
                entries.add(rebuilt.entry);
            }
        }
        hooks.install.accept(entries);
        outputErrors.finishRebuild();
        open.rebuilt(used, preparing, hooks.close);
        assert matches(rules);
    }

    /**
     * Follows a change already made to {@code rules}: the rules of ids {@code removed} went (unless upserted again),
     * the rules {@code upserted} came or replaced those of their ids. Only when no Sync is being prepared and none
     * left destinations opened ahead ({@link #inPlace}); otherwise {@link #rebuild}.
     */
    void change(final RuleSet rules, final List<RuleId> removed, final List<Rule> upserted) {
        assert inPlace() : "a change in place while a Sync's destinations are open ahead";
        final TreeSet<RuleId> changed = new TreeSet<>(removed);
        for (final Rule rule : upserted) {
            changed.add(rule.id());
        }
        for (final RuleId id : changed) { // in id order, as a rebuild retires them
            if (!rules.contains(id)) {
                stats.retire(id);
            }
        }
        for (final RuleId id : changed) {
            final Compiled old = compiled.remove(id);
            if (old != null) {
                forget(old);
            }
        }
        for (final RuleId id : changed) {
            final Rule rule = rules.get(id);
            if (rule != null) {
                final Compiled now = compile(rule);
                for (int i = 0; i < now.destinations.length; i++) {
                    open.retain(now.destinations[i]);
                    outputErrors.add(now.destinations[i], now.stats.slot, i);
                }
                if (now.entry != null) {
                    hooks.add.accept(now.entry);
                }
            }
        }
        open.changed(hooks.close);
        assert matches(rules);
    }

    /** True if a change may be made in place: no destination waits, opened ahead, for a Sync's install. */
    boolean inPlace() {
        return open.nonePrepared();
    }

    /** Counters, destinations and entry of {@code rule}, in the order a rebuild has always made them. */
    private Compiled compile(final Rule rule) {
        final RuleStats ruleStats = stats.statsFor(rule);
        final int ifIndex = io.interfaceIndex(rule.input().interfaceName());
        final int[] destinations = new int[rule.outputs().size()];
        for (int i = 0; i < destinations.length; i++) {
            final RuleOutput output = rule.outputs().get(i);
            destinations[i] = io.openDestination(output.interfaceName(), output.group().toBytes(), output.port(),
                output.ttl());
        }
        ForwardingTable.Entry entry = null;
        if (ifIndex > 0) { // an interface that does not exist yet receives nothing: the rule waits
            final int source = rule.input().source() == null ? 0 : rule.input().source().ipv4Value();
            entry = new ForwardingTable.Entry(rule, ifIndex, source, destinations, ruleStats);
        }
        final Compiled made = new Compiled(rule, ruleStats, destinations, entry);
        compiled.put(rule.id(), made);
        widths.merge(destinations.length, 1, Integer::sum);
        return made;
    }

    /** Takes a rule's compiled form out of the table, the outputs' users and the destinations' uses. */
    private void forget(final Compiled old) {
        if (old.entry != null) {
            hooks.remove.accept(old.entry);
        }
        for (int i = 0; i < old.destinations.length; i++) {
            outputErrors.remove(old.destinations[i], old.stats.slot, i);
            open.release(old.destinations[i]);
        }
        widths.computeIfPresent(old.destinations.length, (width, count) -> count == 1 ? null : count - 1);
    }

    /** Every rule of {@code rules}, and no other, is compiled as it is now (checked under assertions). */
    private boolean matches(final RuleSet rules) {
        if (compiled.size() != rules.size()) {
            return false;
        }
        int counted = 0;
        for (final int count : widths.values()) {
            counted += count;
        }
        for (final Rule rule : rules.rules()) {
            final Compiled held = compiled.get(rule.id());
            if (held == null || !held.rule.equals(rule) || held.stats != stats.find(rule.id())) {
                return false;
            }
        }
        return counted == rules.size();
    }
}
