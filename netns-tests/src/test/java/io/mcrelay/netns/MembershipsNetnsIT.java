package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.linux.sys.UdpReceiver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Group memberships on the real daemon: {@code add} joins the rule's group on its input interface ({@code ip maddr}),
 * source-specific rules join with their source ({@code /proc/net/mcfilter}), an any-source and a source-specific rule
 * of one group both forward (the any-source membership covers both), the last rule of a group leaves it; an input
 * interface deleted and created again is joined again and forwards; 100 groups
 * on one interface at {@code igmp_max_memberships} 20 are all joined; a join the kernel refuses shows as
 * {@code join_failed} with its reason in {@code list} and is retried when the interface changes; a new any-source rule
 * in 232.0.0.0/8 is refused.
 */
class MembershipsNetnsIT {
    private static final String PREFIX = "mcrmb";
    /** The source namespace's address on {@code in0p}: the sender of every test datagram. */
    private static final String SENDER = "10.78.0.2";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    private static RuleDocument rule(final String id, final String group, final int port, final String source) {
        return new RuleDocument(id, null, "in0", group, port, source,
            List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT, TrafficRelay.PORT_OUT, "out0", null)),
            null);
    }

    /** The IPv4 groups {@code ip maddr show dev in0} lists in the relay namespace. */
    private static Set<String> joined(final TrafficRelay relay) {
        final Set<String> groups = new TreeSet<>();
        for (final String line : relay.net.relay.execOrThrow("ip", "maddr", "show", "dev", "in0").stdout()
            .split("\n")) {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[0].equals("inet")) {
                groups.add(fields[1]);
            }
        }
        return groups;
    }

    private static List<RuleDocument> list(final TrafficRelay relay) throws Exception {
        final ControlResponse answer = relay.client.exchange(new ControlRequest.ListRules(relay.client
            .nextRequestId()));
        return assertInstanceOf(ControlResponse.Rules.class, answer, answer::toString).rules();
    }

    private static void added(final TrafficRelay relay, final RuleDocument rule) throws Exception {
        final ControlResponse answer = relay.add(rule);
        assertInstanceOf(ControlResponse.RuleAdded.class, answer, () -> answer + "\n" + DaemonKit.read(relay.log));
    }

    private static void removed(final TrafficRelay relay, final String id) throws Exception {
        final ControlResponse answer = relay.remove(id);
        assertInstanceOf(ControlResponse.RuleRemoved.class, answer, answer::toString);
    }

    /** Sends {@code text} from the source to {@code group}:{@code port} until the sink receives it. */
    private static void forwards(final TrafficRelay relay, final String group, final int port, final String text)
        throws Exception {
        final byte[] buffer = new byte[UdpReceiver.DATAGRAM_BYTES_MAX];
        Waits.until("\"" + text + "\" sent to " + group + ":" + port + " to come through", () -> {
            WorkerForwardingNetnsIT.sendUdp(relay.net.source, "in0p", group, port, List.of(text));
            Thread.sleep(100);
            int length;
            while ((length = relay.receiver.receive(0, buffer)) >= 0) {
                if (new String(buffer, 0, length, java.nio.charset.StandardCharsets.UTF_8).equals(text)) {
                    return true;
                }
            }
            return false;
        }, () -> DaemonKit.read(relay.log));
    }

    @Test
    void rulesJoinTheirGroupsWithTheirSourcesAndTheLastRuleOfAGroupLeavesIt() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "memberships", 1);
            McFilter filters = McFilter.anchor(relay.net.relay)) {
            assertFalse(joined(relay).contains("239.7.7.7"), joined(relay).toString());
            added(relay, rule("any", "239.7.7.7", 7000, null));
            assertTrue(joined(relay).contains("239.7.7.7"), "after add: " + joined(relay));

            added(relay, rule("ssm", "232.7.7.7", 7000, SENDER));
            assertTrue(joined(relay).contains("232.7.7.7"), joined(relay).toString());
            assertEquals(Set.of("0xe8070707 0x0a4e0002"), filters.rows("in0"), "the source-specific join");

            // The same group from one source, beside the any-source rule: the any-source membership covers it.
            added(relay, rule("mixed", "239.7.7.7", 7001, SENDER));
            assertEquals(Set.of("0xe8070707 0x0a4e0002"), filters.rows("in0"));
            forwards(relay, "239.7.7.7", 7000, "to the any-source rule");
            forwards(relay, "239.7.7.7", 7001, "to the source-specific rule");
            forwards(relay, "232.7.7.7", 7000, "to the rule in the source-specific range");

            removed(relay, "any");
            assertTrue(joined(relay).contains("239.7.7.7"), "the source-specific rule still needs it");
            assertEquals(Set.of("0xe8070707 0x0a4e0002", "0xef070707 0x0a4e0002"), filters.rows("in0"),
                "now joined from its source only");
            forwards(relay, "239.7.7.7", 7001, "still to the source-specific rule");
            removed(relay, "mixed");
            assertFalse(joined(relay).contains("239.7.7.7"), "after the last rule of the group: " + joined(relay));
            removed(relay, "ssm");
            assertFalse(joined(relay).contains("232.7.7.7"), joined(relay).toString());
            assertEquals(Set.of(), filters.rows("in0"));

            final ControlResponse refused = relay.add(rule("any-in-ssm", "232.7.7.8", 7000, null));
            final ControlResponse.Refused why = assertInstanceOf(ControlResponse.Refused.class, refused,
                refused::toString);
            assertEquals("invalid", why.code());
            assertTrue(why.message().contains("RFC 4607"), why.message());
            assertEquals(List.of(), list(relay), "a refused rule changes nothing");
        }
    }

    @Test
    void aHundredGroupsOnOneInterfaceAreAllJoinedAtTwentyPerSocket() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "hundred", 1)) {
            relay.net.relay.execOrThrow("sysctl", "-q", "-w", "net.ipv4.igmp_max_memberships=20");
            final long startNs = System.nanoTime();
            final List<String> groups = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                groups.add("239.20." + (i / 250) + "." + (i % 250 + 1));
                added(relay, rule("g" + i, groups.getLast(), 7000, null));
            }
            System.out.println("[memberships] 100 adds answered in " + (System.nanoTime() - startNs) / 1_000_000
                + " ms");
            final Set<String> joined = joined(relay);
            final List<String> missing = groups.stream().filter(g -> !joined.contains(g)).toList();
            assertEquals(List.of(), missing, "not joined");
            final List<RuleDocument> rules = list(relay);
            assertEquals(100, rules.size());
            assertEquals(List.of(), rules.stream().filter(r -> !"active".equals(r.state()) || r.stateReason() != null)
                .toList(), "every rule active, none refused");
            for (int i = 1; i <= 100; i++) {
                removed(relay, "g" + i);
            }
            final Set<String> after = joined(relay);
            assertEquals(List.of(), groups.stream().filter(after::contains).toList(), "still joined after removal");
        }
    }

    @Test
    void aRefusedJoinIsShownAsJoinFailedAndRetriedWhenTheInterfaceChanges() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "refused", 1)) {
            // No membership at all per socket: the kernel refuses every join (ENOBUFS).
            relay.net.relay.execOrThrow("sysctl", "-q", "-w", "net.ipv4.igmp_max_memberships=0");
            added(relay, rule("r1", "239.7.7.9", 7000, null));
            final RuleDocument failed = list(relay).getFirst();
            assertEquals("join_failed", failed.state(), failed::toString);
            assertTrue(failed.stateReason().contains("IP_ADD_MEMBERSHIP") && failed.stateReason().contains("ENOBUFS"),
                failed.stateReason());
            assertTrue(DaemonKit.read(relay.log).contains("the kernel refused to join 239.7.7.9"),
                "logged at WARN:\n" + DaemonKit.read(relay.log));
            assertFalse(joined(relay).contains("239.7.7.9"));

            relay.net.relay.execOrThrow("sysctl", "-q", "-w", "net.ipv4.igmp_max_memberships=20");
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "down");
            relay.net.relay.execOrThrow("ip", "link", "set", "in0", "up");
            final RuleDocument retried = Waits.until("the join to be retried after the link changed",
                () -> list(relay).getFirst(), r -> "active".equals(r.state()), () -> DaemonKit.read(relay.log));
            assertEquals(null, retried.stateReason());
            assertTrue(joined(relay).contains("239.7.7.9"), joined(relay).toString());
        }
    }

    @Test
    void anInterfaceCreatedAgainIsJoinedAgain() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.open(PREFIX, "recreated", 1);
            McFilter filters = McFilter.anchor(relay.net.relay)) {
            added(relay, rule("any", "239.7.7.7", 7000, null));
            added(relay, rule("ssm", "232.7.7.7", 7000, SENDER));
            assertTrue(joined(relay).containsAll(Set.of("239.7.7.7", "232.7.7.7")), joined(relay).toString());
            relay.net.relay.execOrThrow("ip", "link", "del", "in0"); // its peer in0p goes with it
            Waits.until("the rules to wait for in0",
                () -> list(relay).stream().allMatch(r -> "waiting".equals(r.state())), () -> DaemonKit.read(relay.log));
            Netns.vethPair(relay.net.source, "in0p", relay.net.relay, "in0");
            Netns.addAddress(relay.net.source, "in0p", SENDER + "/24");
            Netns.addAddress(relay.net.relay, "in0", "10.78.0.1/24");
            Waits.until("both groups joined on the new in0", () -> joined(relay).containsAll(Set.of("239.7.7.7",
                "232.7.7.7")) && filters.rows("in0").equals(Set.of("0xe8070707 0x0a4e0002")),
                () -> joined(relay) + " " + filters.rows("in0") + "\n" + DaemonKit.read(relay.log));
            forwards(relay, "239.7.7.7", 7000, "through the new in0");
            forwards(relay, "232.7.7.7", 7000, "from its source through the new in0");
        }
    }
}
