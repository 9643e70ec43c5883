package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The inputs: which network interfaces exist (as the link monitor reports them) and which of them the rules receive
 * on. Keeps the {@link InputSockets} seam told which interfaces to hold packet sockets for, reopens the sockets of an
 * input interface that was re-created, and says when a link change concerns the rules (every worker must then
 * relearn its interface indices). Interfaces are kept in name order. Not thread-safe.
 */
final class Inputs {
    private final InputSockets sockets;
    private final TreeMap<String, LinkMonitor.LinkState> links = new TreeMap<>();
    /** The exact filter last set on each interface (IPv4 (group, port) pairs its rules receive). */
    private final TreeMap<String, TreeSet<InputSockets.Destination>> filters = new TreeMap<>();
    /** Per interface: the (group, port) pairs the rules receive there, with how many rules receive each. */
    private final TreeMap<String, TreeMap<InputSockets.Destination, Integer>> receiving = new TreeMap<>();
    /** The rules {@link #receiving} counts: those of the last {@link #updateFilters}, in id order. */
    private List<Rule> counted = List.of();
    /** The inputs wanted now (interfaces that exist and that a rule receives on). */
    private TreeSet<String> wanted = new TreeSet<>();
    /** The open inputs the workers are handed, by name: the generation of their sockets. */
    private TreeMap<String, Long> handed = new TreeMap<>();
    /** Generations taken back from the workers, oldest first: the supervisor's copies close once all gave theirs. */
    private final java.util.ArrayList<Released> released = new java.util.ArrayList<>();
    /** The inputs' part of the ruleset hash the workers must report: their digests, by the index handed over. */
    private long hash = RulesetHash.EMPTY;

    /**
     * What changed in the inputs the workers must hold: generations to take back ({@code released}) and to hand
     * over ({@code opened}); a re-created interface appears in both.
     */
    record Handover(SortedMap<String, Long> released, SortedMap<String, Long> opened) {
        boolean isEmpty() {
            return released.isEmpty() && opened.isEmpty();
        }
    }

    /** Generation {@code generation} of input {@code name}, taken back in the change of {@code epoch}. */
    record Released(String name, long generation, long epoch) {
    }

    Inputs(final InputSockets sockets) {
        this.sockets = Objects.requireNonNull(sockets, "sockets");
    }

    /** Takes the interfaces that exist at start and opens the sockets the rules want. */
    void start(final List<LinkMonitor.LinkState> existing, final List<Rule> rules) {
        for (final LinkMonitor.LinkState link : existing) {
            links.put(link.name(), link);
        }
        updateWanted(rules);
    }

    /**
     * Follows one link change.
     *
     * @return true if a rule names the interface, as input or output: every worker must then be resynced
     */
    boolean onLinkEvent(final LinkMonitor.LinkEvent event, final List<Rule> rules) {
        final LinkMonitor.LinkState before = links.get(event.name());
        switch (event.kind()) {
            case ADDED -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case UP -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), true));
            case DOWN -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case REMOVED -> links.remove(event.name());
            case ADDRESS_CHANGED -> {
                return false; // addresses do not change what the workers match
            }
        }
        final LinkMonitor.LinkState after = links.get(event.name());
        updateWanted(rules);
        if (before != null && after != null && before.ifIndex() != after.ifIndex() && isInput(event.name(), rules)) {
            sockets.reopen(event.name()); // re-created: the old sockets are bound to nothing
        }
        // The interface's sockets were reopened (or it appeared or went): every worker relearns its indices.
        return isNamedByARule(event.name(), rules);
    }

    /** Tells the sockets seam which input interfaces exist and are received on by some rule. */
    void updateWanted(final List<Rule> rules) {
        final TreeSet<String> now = new TreeSet<>();
        for (final Rule rule : rules) {
            if (links.containsKey(rule.input().interfaceName())) {
                now.add(rule.input().interfaceName());
            }
        }
        wanted = now;
        updateFilters(rules); // first: sockets opened below open with their exact filter
        sockets.setWanted(now);
    }

    /**
     * Sets the exact filter of every interface whose rules' (group, port) pairs changed. The pairs are counted per
     * interface and followed rule by rule: {@code rules} (in id order, as the table gives them) is walked beside the
     * list of the last call, and only the rules that came, went or changed move the counts, so a change to a table of
     * thousands of rules costs a walk of the two lists, not a recount. The filters set, and their order, are those a
     * recount would set: the changed interfaces in name order, then those no rule receives on any more.
     */
    private void updateFilters(final List<Rule> rules) {
        final TreeSet<String> touched = new TreeSet<>();
        if (!followChanges(rules, touched)) { // not in id order: count again from nothing
            receiving.clear();
            touched.addAll(filters.keySet());
            for (final Rule rule : rules) {
                count(rule, 1, touched);
            }
        }
        counted = List.copyOf(rules);
        assert receiving.equals(recount(rules)) : "the followed counts drifted from the rules";
        final List<String> gone = new ArrayList<>();
        for (final String name : touched) {
            final TreeMap<InputSockets.Destination, Integer> pairs = receiving.get(name);
            if (pairs == null) {
                if (filters.remove(name) != null) {
                    gone.add(name);
                }
            } else if (!pairs.keySet().equals(filters.get(name))) {
                final TreeSet<InputSockets.Destination> destinations = new TreeSet<>(pairs.navigableKeySet());
                filters.put(name, destinations);
                sockets.setFilter(name, java.util.Collections.unmodifiableSortedSet(destinations));
            }
        }
        for (final String name : gone) {
            sockets.setFilter(name, new TreeSet<>()); // no rule receives there: its sockets close too
        }
    }

    /**
     * Moves the counts from the rules of the last call to {@code rules}, walking both in id order; false (nothing
     * moved) if {@code rules} is not in id order.
     */
    private boolean followChanges(final List<Rule> rules, final TreeSet<String> touched) {
        // A rule whose input is unchanged receives the same pair: only a changed input moves the counts.
        return RuleListWalk.walk(counted, rules, (old, rule) -> old.input().equals(rule.input()),
            old -> count(old, -1, touched), rule -> count(rule, 1, touched));
    }

    /** The counts of {@code rules} made from nothing (checked against the followed ones under assertions). */
    private static TreeMap<String, TreeMap<InputSockets.Destination, Integer>> recount(final List<Rule> rules) {
        final TreeMap<String, TreeMap<InputSockets.Destination, Integer>> counts = new TreeMap<>();
        for (final Rule rule : rules) {
            if (rule.input().group().family() == io.mcrelay.rules.IpAddress.Family.IPV4) {
                counts.computeIfAbsent(rule.input().interfaceName(), n -> new TreeMap<>()).merge(
                    new InputSockets.Destination(rule.input().group().ipv4Value(), rule.input().port()), 1,
                    Integer::sum);
            }
        }
        return counts;
    }

    /** Adds {@code delta} rules receiving {@code rule}'s (group, port) on its interface; notes a changed pair set. */
    private void count(final Rule rule, final int delta, final TreeSet<String> touched) {
        if (rule.input().group().family() != io.mcrelay.rules.IpAddress.Family.IPV4) {
            return;
        }
        final String name = rule.input().interfaceName();
        final InputSockets.Destination pair = new InputSockets.Destination(rule.input().group().ipv4Value(),
            rule.input().port());
        final TreeMap<InputSockets.Destination, Integer> pairs = receiving.computeIfAbsent(name, n -> new TreeMap<>());
        final int now = pairs.getOrDefault(pair, 0) + delta;
        assert now >= 0 : "more rules went than came for " + pair + " on " + name;
        if (now == 0) {
            pairs.remove(pair);
            touched.add(name);
            if (pairs.isEmpty()) {
                receiving.remove(name);
            }
        } else {
            if (now == delta) {
                touched.add(name); // a pair no rule received before
            }
            pairs.put(pair, now);
        }
    }

    /**
     * Compares the open inputs' generations with those handed to the workers so far, and takes the new ones as
     * handed: what the workers must be told.
     */
    Handover handover() {
        final TreeMap<String, Long> now = new TreeMap<>();
        for (final String name : wanted) {
            final long generation = sockets.generation(name);
            if (generation >= 0) {
                now.put(name, generation);
            }
        }
        final TreeMap<String, Long> released = new TreeMap<>();
        final TreeMap<String, Long> opened = new TreeMap<>();
        handed.forEach((name, generation) -> {
            if (!generation.equals(now.get(name))) {
                released.put(name, generation);
            }
        });
        now.forEach((name, generation) -> {
            if (!generation.equals(handed.get(name))) {
                opened.put(name, generation);
            }
        });
        handed = now;
        long sum = RulesetHash.EMPTY;
        for (final String name : now.keySet()) {
            sum += RulesetHash.inputDigest(name, links.get(name).ifIndex());
        }
        hash = sum;
        return new Handover(released, opened);
    }

    /**
     * The sum of {@link RulesetHash#inputDigest} over the inputs handed to the workers (interface name and index as
     * the links were when they were handed): what a worker holding every one of them adds to its ruleset hash.
     */
    long hash() {
        return hash;
    }

    /** Notes the generations {@code handover} takes back from the workers, in the change of {@code epoch}. */
    void releasedIn(final Handover handover, final long epoch) {
        handover.released().forEach((name, generation) -> released.add(new Released(name, generation, epoch)));
    }

    /**
     * Closes the supervisor's copies of the generations every worker gave back: each worker acks a release only once
     * it closed its own socket, so an epoch every connected worker acked ({@code ackedByAll}) is one whose releases
     * are done. Returns how many closed.
     */
    int closeReleased(final long ackedByAll) {
        int closed = 0;
        while (!released.isEmpty() && released.getFirst().epoch() <= ackedByAll) {
            final Released done = released.removeFirst();
            sockets.closeReleased(done.name(), done.generation());
            closed++;
        }
        return closed;
    }

    /** The generations taken back whose supervisor copies are still open, oldest first. */
    List<Released> released() {
        return List.copyOf(released);
    }

    /** The inputs handed to the workers, by name, with their generations. */
    SortedMap<String, Long> handed() {
        return java.util.Collections.unmodifiableSortedMap(handed);
    }

    /** A new handle on worker {@code workerIndex}'s member of input {@code name}, or null. */
    PassedDescriptor member(final String name, final int workerIndex) {
        return sockets.member(name, workerIndex);
    }

    /** {@code active}, {@code waiting} (its input interface does not exist yet) or {@code down}. */
    String stateOf(final Rule rule) {
        final LinkMonitor.LinkState link = links.get(rule.input().interfaceName());
        if (link == null) {
            return "waiting";
        }
        return link.up() ? "active" : "down";
    }

    /** True if interface {@code name} exists (as the link monitor last said). */
    boolean exists(final String name) {
        return links.containsKey(name);
    }

    /** The index interface {@code name} has, or -1 when it does not exist. */
    int ifIndexOf(final String name) {
        final LinkMonitor.LinkState link = links.get(name);
        return link == null ? -1 : link.ifIndex();
    }

    private static boolean isInput(final String interfaceName, final List<Rule> rules) {
        for (final Rule rule : rules) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isNamedByARule(final String interfaceName, final List<Rule> rules) {
        for (final Rule rule : rules) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
            for (final RuleOutput output : rule.outputs()) {
                if (output.interfaceName().equals(interfaceName)) {
                    return true;
                }
            }
        }
        return false;
    }
}
