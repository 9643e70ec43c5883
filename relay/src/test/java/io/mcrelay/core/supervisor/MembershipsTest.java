package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMemberships.Membership;

/** What the core decides about group memberships: which, on which socket, in which order, and after refusals. */
class MembershipsTest {
    private static final Set<String> EXISTING = Set.of("in0", "in1");

    /** Records every call; refuses the joins listed in {@code refuse}. */
    private static final class Calls implements GroupMemberships {
        final List<String> log = new ArrayList<>();
        final Set<Membership> refuse = new TreeSet<>();
        Limits limits = new Limits(2, 2);

        @Override
        public Limits limits() {
            return limits;
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            log.add("join " + interfaceName + "/" + socket + " " + membership);
            return refuse.contains(membership) ? "setsockopt(...) failed: ENOBUFS (no buffer space)" : null;
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            log.add("leave " + interfaceName + "/" + socket + " " + membership);
        }

        @Override
        public void forget(final String interfaceName) {
            log.add("forget " + interfaceName);
        }

        List<String> take() {
            final List<String> out = List.copyOf(log);
            log.clear();
            return out;
        }
    }

    private static Rule rule(final String id, final String input, final String group, final int port,
                             final String source) {
        return new Rule(new RuleId(id), null, new RuleInput(input, IpAddress.parse(group), port,
            source == null ? null : IpAddress.parse(source)),
            List.of(new RuleOutput(IpAddress.parse("239.9.9.9"), 6000, "out0", RuleOutput.TTL_UNSET)));
    }

    private static Membership m(final String group, final String source) {
        return new Membership(IpAddress.parse(group).ipv4Value(), source == null ? 0 : IpAddress.parse(source)
            .ipv4Value());
    }

    @Test
    void anAnySourceRuleCoversTheSourceSpecificRulesOfItsGroupAndUnicastOrMissingInputsNeedNone() {
        final List<Rule> rules = List.of(
            rule("a", "in0", "239.1.1.1", 5000, "10.0.0.1"),
            rule("b", "in0", "239.1.1.1", 5001, null),
            rule("c", "in0", "239.1.1.1", 5002, "10.0.0.2"),
            rule("d", "in0", "232.1.1.1", 5000, "10.0.0.1"),
            rule("e", "in0", "232.1.1.1", 5001, "10.0.0.2"),
            rule("f", "in1", "10.1.1.1", 5000, null),
            rule("g", "gone0", "239.1.1.1", 5000, null));
        assertEquals(Map.of("in0", new TreeSet<>(List.of(m("239.1.1.1", null), m("232.1.1.1", "10.0.0.1"),
                m("232.1.1.1", "10.0.0.2")))),
            Memberships.needed(rules, EXISTING::contains));
    }

    /**
     * The kernel's side as the joins and leaves build it, checking each join's socket against the placement rule
     * computed the plain way, over every socket: a source joins the lowest socket holding its group from other
     * sources with room for one more; otherwise the lowest socket without the group with room for a group; otherwise
     * the lowest number not in use.
     */
    private static final class PlacementCheck implements GroupMemberships {
        final TreeMap<Integer, TreeMap<Integer, TreeSet<Integer>>> sockets = new TreeMap<>();
        Limits limits = new Limits(2, 2);
        int joins;

        @Override
        public Limits limits() {
            return limits;
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            assertEquals(expected(membership), socket, () -> "socket of " + membership + " with " + sockets);
            joins++;
            final TreeSet<Integer> sources = sockets.computeIfAbsent(socket, k -> new TreeMap<>())
                .computeIfAbsent(membership.group(), g -> new TreeSet<>());
            if (!membership.isAnySource()) {
                sources.add(membership.source());
            }
            return null;
        }

        private int expected(final Membership membership) {
            if (!membership.isAnySource()) {
                for (final var socket : sockets.entrySet()) {
                    final TreeSet<Integer> sources = socket.getValue().get(membership.group());
                    if (sources != null && !sources.isEmpty() && sources.size() < limits.sourcesPerGroup()) {
                        return socket.getKey();
                    }
                }
            }
            for (final var socket : sockets.entrySet()) {
                if (!socket.getValue().containsKey(membership.group())
                    && socket.getValue().size() < limits.groupsPerSocket()) {
                    return socket.getKey();
                }
            }
            int free = 0;
            while (sockets.containsKey(free)) {
                free++;
            }
            return free;
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            final TreeMap<Integer, TreeSet<Integer>> groups = sockets.get(socket);
            final TreeSet<Integer> sources = groups.get(membership.group());
            sources.remove(membership.source());
            if (membership.isAnySource() || sources.isEmpty()) {
                groups.remove(membership.group());
            }
            if (groups.isEmpty()) {
                sockets.remove(socket);
            }
        }

        @Override
        public void forget(final String interfaceName) {
            sockets.clear();
        }
    }

    @Test
    void everyJoinGoesWhereThePlacementRuleSaysOverRandomChangesAndLimits() {
        final PlacementCheck kernel = new PlacementCheck();
        final Memberships memberships = new Memberships(kernel);
        final java.util.Random random = new java.util.Random(20261207L);
        final TreeMap<String, Rule> rules = new TreeMap<>();
        for (int step = 0; step < 2_000; step++) {
            final int change = random.nextInt(100);
            if (change < 3) { // the sysctls changed
                kernel.limits = new GroupMemberships.Limits(1 + random.nextInt(4), 1 + random.nextInt(3));
            } else if (change < 45 && !rules.isEmpty()) {
                rules.remove(rules.keySet().stream().skip(random.nextInt(rules.size())).findFirst().orElseThrow());
            } else {
                final String id = "r" + random.nextInt(400);
                final int group = random.nextInt(24);
                final String source = random.nextInt(3) == 0 ? null : "10.0.0." + (1 + random.nextInt(4));
                rules.put(id, rule(id, "in0", "239.1.1." + group, 5000 + random.nextInt(50), source));
            }
            memberships.reconcile(List.copyOf(rules.values()), EXISTING::contains);
        }
        assertTrue(kernel.joins > 500, () -> "the walk made " + kernel.joins + " joins");
        assertTrue(kernel.sockets.size() > 3, () -> "it spread over " + kernel.sockets.size() + " sockets");
    }

    /**
     * A kernel that records every call, the limits read too, and refuses the joins whose membership falls in the
     * refusing share of the moment ({@link #mood}, changed by the walk): two alike seen the same calls answer alike.
     */
    private static final class Recorder implements GroupMemberships {
        final List<String> log = new ArrayList<>();
        Limits limits = new Limits(2, 2);
        int mood;

        @Override
        public Limits limits() {
            log.add("limits");
            return limits;
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            log.add("join " + interfaceName + "/" + socket + " " + membership);
            return Math.floorMod(membership.group() * 31 + membership.source() + mood, 7) == 0
                ? "setsockopt(...) failed: ENOBUFS (" + mood + ")" : null;
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            log.add("leave " + interfaceName + "/" + socket + " " + membership);
        }

        @Override
        public void forget(final String interfaceName) {
            log.add("forget " + interfaceName);
        }
    }

    @Test
    void followingTheChangesJoinsAndLeavesExactlyAsLookingAtEverythingOverRandomCommitsAndLinkEvents() {
        final long seed = 20261208L;
        final java.util.Random random = new java.util.Random(seed);
        final Recorder deltaKernel = new Recorder();
        final Recorder fullKernel = new Recorder();
        final Memberships delta = new Memberships(deltaKernel);
        final MembershipsReference full = new MembershipsReference(fullKernel);
        final List<String> names = List.of("in0", "in1", "in2", "gone0");
        final List<String> groups = List.of("239.1.1.1", "239.1.1.2", "239.1.1.3", "239.255.0.1", "224.0.1.7",
            "232.1.1.1", "232.1.1.2", "10.1.1.1"); // the last is unicast: no membership
        final List<String> sources = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "200.0.0.1", "250.1.2.3");
        final TreeSet<String> present = new TreeSet<>(List.of("in0", "in1"));
        final TreeMap<String, Rule> rules = new TreeMap<>();
        int joins = 0;
        int refusals = 0;
        for (int step = 0; step < 4_000; step++) {
            final String at = "seed " + seed + ", step " + step;
            final int change = random.nextInt(100);
            if (change < 6) { // a link event, as the supervisor sees it: the interface changed, went or came
                final String name = names.get(random.nextInt(3));
                final int kind = random.nextInt(4);
                final boolean gone = kind == 0 || kind == 1 && present.contains(name);
                if (kind == 0) {
                    present.remove(name); // removed
                } else if (kind == 1) {
                    present.add(name); // added, or created anew
                } // otherwise up or down
                delta.onLinkChanged(name, gone);
                full.onLinkChanged(name, gone);
            } else if (change < 8) { // existence as told changed with no link event for it
                final String name = names.get(random.nextInt(3));
                if (!present.remove(name)) {
                    present.add(name);
                }
            } else if (change < 10) { // the sysctls changed; the kernel refuses other joins
                final GroupMemberships.Limits limits =
                    new GroupMemberships.Limits(1 + random.nextInt(4), 1 + random.nextInt(3));
                deltaKernel.limits = limits;
                fullKernel.limits = limits;
                deltaKernel.mood = step;
                fullKernel.mood = step;
            } else if (change < 11) {
                rules.clear();
            } else {
                final int edits = random.nextInt(10) == 0 ? 1 + random.nextInt(40) : 1 + random.nextInt(3);
                for (int edit = 0; edit < edits; edit++) {
                    if (random.nextInt(100) < 40 && !rules.isEmpty()) {
                        rules.remove(rules.keySet().stream().skip(random.nextInt(rules.size())).findFirst()
                            .orElseThrow());
                    } else { // a new rule, or one replaced (same id, maybe another input)
                        final String id = "r" + random.nextInt(120);
                        final String group = groups.get(random.nextInt(groups.size()));
                        final String source = random.nextInt(3) == 0 || group.startsWith("10.") ? null
                            : sources.get(random.nextInt(sources.size()));
                        rules.put(id, rule(id, names.get(random.nextInt(names.size())), group,
                            5000 + random.nextInt(3), source));
                    }
                }
            }
            final List<Rule> table = new ArrayList<>(rules.values());
            if (random.nextInt(50) == 0) {
                java.util.Collections.shuffle(table, random); // not in id order: counted from nothing
            }
            final int deltaCalls;
            try {
                deltaCalls = delta.reconcile(table, present::contains);
            } catch (final AssertionError drifted) { // its own check of what it holds against the rules
                throw new AssertionError(at + ": " + drifted.getMessage(), drifted);
            }
            final int fullCalls = full.reconcile(table, present::contains);
            assertEquals(fullKernel.log, deltaKernel.log, () -> at + ": the calls differ");
            assertEquals(fullCalls, deltaCalls, () -> at + ": the counts of calls differ");
            assertEquals(full.held(), delta.held(), () -> at + ": held");
            assertEquals(full.refused(), delta.refused(), () -> at + ": refused");
            for (final Rule rule : table) {
                assertEquals(full.refusal(rule), delta.refusal(rule), () -> at + ": refusal of " + rule.id());
            }
            joins += (int) deltaKernel.log.stream().filter(call -> call.startsWith("join")).count();
            refusals += delta.refused().values().stream().mapToInt(java.util.Map::size).sum();
            deltaKernel.log.clear();
            fullKernel.log.clear();
        }
        final int joined = joins;
        final int refused = refusals;
        assertTrue(joined > 1_000, () -> "seed " + seed + ": the walk made " + joined + " joins");
        assertTrue(refused > 100, () -> "seed " + seed + ": the walk saw " + refused + " refusals");
    }

    @Test
    void membershipsSpreadOverSocketsWithinTheLimitsAndStayWhereTheyArePlaced() {
        final Calls calls = new Calls();
        final Memberships memberships = new Memberships(calls);
        final List<Rule> rules = new ArrayList<>(List.of(
            rule("a", "in0", "239.1.1.1", 5000, null),
            rule("b", "in0", "239.1.1.2", 5000, null),
            rule("c", "in0", "239.1.1.3", 5000, null),
            rule("d", "in0", "232.1.1.1", 5000, "10.0.0.1"),
            rule("e", "in0", "232.1.1.1", 5001, "10.0.0.2"),
            rule("f", "in0", "232.1.1.1", 5002, "10.0.0.3")));
        assertEquals(6, memberships.reconcile(rules, EXISTING::contains), "six joins");
        assertEquals(List.of(
            "join in0/0 (10.0.0.1, 232.1.1.1)", "join in0/0 (10.0.0.2, 232.1.1.1)",
            "join in0/1 (10.0.0.3, 232.1.1.1)", // two sources per group on a socket
            "join in0/0 239.1.1.1 (any source)", // two groups per socket
            "join in0/1 239.1.1.2 (any source)", "join in0/2 239.1.1.3 (any source)"), calls.take());
        rules.removeFirst();
        rules.add(rule("g", "in0", "239.1.1.4", 5000, null));
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("join in0/2 239.1.1.4 (any source)", "leave in0/0 239.1.1.1 (any source)"),
            calls.take(), "the others stay where they are; the join comes before the leave");
        assertEquals(0, memberships.reconcile(rules, EXISTING::contains), "nothing to do twice");
    }

    @Test
    void aGroupThatGainsAnAnySourceRuleJoinsItBeforeLeavingItsSources() {
        final Calls calls = new Calls();
        final Memberships memberships = new Memberships(calls);
        final List<Rule> rules = new ArrayList<>(List.of(rule("a", "in0", "239.1.1.1", 5000, "10.0.0.1")));
        memberships.reconcile(rules, EXISTING::contains);
        calls.take();
        rules.add(rule("b", "in0", "239.1.1.1", 5001, null));
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("join in0/1 239.1.1.1 (any source)", "leave in0/0 (10.0.0.1, 239.1.1.1)"),
            calls.take(), "a socket holds a group one way only: the any-source join goes to another");
        rules.remove(1);
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("join in0/0 (10.0.0.1, 239.1.1.1)", "leave in0/1 239.1.1.1 (any source)"),
            calls.take());
        rules.clear();
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("leave in0/0 (10.0.0.1, 239.1.1.1)"), calls.take());
        assertEquals(Map.of(), memberships.held());
    }

    @Test
    void aRefusedJoinIsReportedForItsRulesAndTriedAgainOnlyWhenTheInterfaceChanges() {
        final Calls calls = new Calls();
        final Memberships memberships = new Memberships(calls);
        calls.refuse.add(m("239.1.1.1", null));
        final Rule ssm = rule("a", "in0", "239.1.1.1", 5000, "10.0.0.1");
        final Rule any = rule("b", "in0", "239.1.1.1", 5001, null);
        final Rule other = rule("c", "in0", "239.1.1.2", 5000, null);
        final List<Rule> rules = List.of(ssm, any, other);
        memberships.reconcile(rules, EXISTING::contains);
        calls.take();
        final String reason = "setsockopt(...) failed: ENOBUFS (no buffer space)";
        assertEquals(reason, memberships.refusal(any));
        assertEquals(reason, memberships.refusal(ssm), "the any-source membership is the one that covers it");
        assertNull(memberships.refusal(other));
        assertEquals(0, memberships.reconcile(rules, EXISTING::contains), "not retried on the next change");
        calls.refuse.clear();
        memberships.onLinkChanged("in1", false);
        assertEquals(0, memberships.reconcile(rules, EXISTING::contains), "another interface changed");
        memberships.onLinkChanged("in0", false);
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("join in0/0 239.1.1.1 (any source)"), calls.take());
        assertNull(memberships.refusal(any));
    }

    @Test
    void anInterfaceCreatedAnewIsForgottenAndJoinedAgain() {
        final Calls calls = new Calls();
        final Memberships memberships = new Memberships(calls);
        final List<Rule> rules = List.of(rule("a", "in0", "239.1.1.1", 5000, null));
        memberships.reconcile(rules, EXISTING::contains);
        calls.take();
        memberships.onLinkChanged("in0", false); // down or up: the kernel reports again by itself
        assertEquals(0, memberships.reconcile(rules, EXISTING::contains));
        memberships.onLinkChanged("in0", true);
        memberships.reconcile(rules, name -> false);
        assertEquals(List.of("forget in0"), calls.take(), "gone: nothing to join on");
        memberships.reconcile(rules, EXISTING::contains);
        assertEquals(List.of("join in0/0 239.1.1.1 (any source)"), calls.take());
        assertEquals(Map.of("in0", new TreeMap<>(Map.of(m("239.1.1.1", null), 0))), memberships.held());
    }
}
