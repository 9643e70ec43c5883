package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.support.FlowHash;

/**
 * What every {@link InputSockets} guarantees, the simulated one and the Linux one alike: {@code setWanted} opens and
 * closes exactly the inputs that changed (an input left wanted keeps its sockets, so its generation stays);
 * generations are 1 or more, grow with every opening and are -1 while closed; {@code reopen} opens anew;
 * {@code member} hands a new handle on worker {@code i}'s member of an open input, for {@code 0 <= i < workers}, and
 * nothing otherwise; a frame on an open input reaches exactly one member, the one the flow hash names
 * ({@link FlowHash}, members in worker order), so a flow always reaches the same worker; and the filter, set before or
 * after opening, decides which (group, port) pairs reach the members at all.
 *
 * <p>Subclasses supply the sockets with two existing input links, {@code in0} and {@code in1}, how to put UDP
 * datagrams on a link's wire, and how to read a member through the handle {@code member} gives (for Linux, the
 * receive ring behind the passed descriptor). Frames may arrive some time after they are sent: reading polls, with a
 * settle between polls, up to a hang guard.
 */
public abstract class InputSocketsContract {
    /** An input link that exists, and another. */
    protected static final String IN0 = "in0";
    protected static final String IN1 = "in1";
    /** Polls of the members, each after a {@link Harness#settle()}, before a read gives up waiting: a hang guard. */
    private static final int READ_POLLS_MAX = 500;

    /** A UDP datagram to put on a link: {@code text} to {@code group} (IPv4, network order):{@code port}. */
    public record Datagram(int group, int port, String text) {
    }

    /** The sockets under test and the world around them. */
    public interface Harness extends AutoCloseable {
        /** The input sockets under test, with {@link #workers()} members per open input; nothing opened yet. */
        InputSockets sockets();

        /** The members per input: the supervisor's worker count. */
        int workers();

        /** Puts {@code datagrams} on the wire of input link {@code link}, in order, as a source on its segment. */
        void send(String link, List<Datagram> datagrams);

        /**
         * Takes the frames waiting now in the member {@code member} refers to (a handle {@link InputSockets#member}
         * gave; the caller still owns and closes it): the UDP payloads of the IPv4/UDP ones, as text, in order.
         */
        List<String> read(PassedDescriptor member);

        /** Lets frames move between polls (a short sleep on a real kernel; nothing to do in a simulation). */
        void settle();

        /** Deletes link {@code link} and creates it again, up: the same name, a new interface index. */
        void recreate(String link);

        @Override
        void close();
    }

    protected abstract Harness createHarness();

    private static SortedSet<String> names(final String... names) {
        return new TreeSet<>(Set.of(names));
    }

    private static SortedSet<InputSockets.Destination> destinations(final InputSockets.Destination... destinations) {
        return Collections.unmodifiableSortedSet(new TreeSet<>(List.of(destinations)));
    }

    /** 239.7.{@code n}.1 in network order. */
    protected static int group(final int n) {
        return 0xEF070001 | (n & 0xFF) << 8;
    }

    /**
     * Reads every member of {@code link} (through handles from {@code member}, closed after) until {@code expected}
     * frames arrived in all, then once more after a settle, so that frames that should not have come show up: the
     * payloads per member, in worker order.
     */
    private static List<List<String>> readMembers(final Harness harness, final String link, final int expected) {
        final List<List<String>> seen = new ArrayList<>();
        for (int i = 0; i < harness.workers(); i++) {
            seen.add(new ArrayList<>());
        }
        int total = 0;
        for (int poll = 0; poll <= READ_POLLS_MAX; poll++) {
            harness.settle();
            total += readOnce(harness, link, seen);
            if (total >= expected) {
                break;
            }
        }
        harness.settle();
        readOnce(harness, link, seen);
        return seen;
    }

    private static int readOnce(final Harness harness, final String link, final List<List<String>> into) {
        int read = 0;
        for (int i = 0; i < harness.workers(); i++) {
            final PassedDescriptor member = harness.sockets().member(link, i);
            assertNotNull(member, "worker " + i + "'s member of " + link);
            try {
                final List<String> payloads = harness.read(member);
                into.get(i).addAll(payloads);
                read += payloads.size();
            } finally {
                member.close();
            }
        }
        return read;
    }

    private static List<String> all(final List<List<String>> perMember) {
        final List<String> all = new ArrayList<>();
        perMember.forEach(all::addAll);
        Collections.sort(all);
        return all;
    }

    @Test
    void setWantedIsIdempotentAndLeavesTheInputsItKeepsUntouched() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            assertEquals(-1, sockets.generation(IN0), "nothing is open before it is wanted");
            sockets.setWanted(names(IN0));
            final long in0 = sockets.generation(IN0);
            assertTrue(in0 >= 1, "a generation is 1 or more: " + in0);
            sockets.setWanted(names(IN0));
            assertEquals(in0, sockets.generation(IN0), "wanted again: the same sockets");
            sockets.setWanted(names(IN0, IN1));
            assertEquals(in0, sockets.generation(IN0), "another input opened beside it: the same sockets");
            final long in1 = sockets.generation(IN1);
            assertTrue(in1 > in0, "a later opening has a greater generation: " + in1 + " after " + in0);
            sockets.setWanted(names(IN1));
            assertEquals(-1, sockets.generation(IN0), "no longer wanted: closed");
            assertEquals(in1, sockets.generation(IN1));
            assertEquals(-1, sockets.generation("nothing0"), "never wanted");
        }
    }

    @Test
    void generationsGrowWithEveryOpeningAndReopenOpensAnew() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            sockets.setWanted(names(IN0));
            final long first = sockets.generation(IN0);
            harness.recreate(IN0);
            sockets.reopen(IN0);
            final long second = sockets.generation(IN0);
            assertTrue(second > first, "reopened: " + second + " after " + first);
            sockets.setWanted(names());
            assertEquals(-1, sockets.generation(IN0));
            sockets.setWanted(names(IN0));
            assertTrue(sockets.generation(IN0) > second, "opened again: " + sockets.generation(IN0));
            sockets.setWanted(names(IN0));
            sockets.reopen(IN1); // not wanted: nothing to reopen
            assertEquals(-1, sockets.generation(IN1));
        }
    }

    /**
     * Sockets taken out of use leave use at once (no generation, no member to hand) and close at {@code closeReleased},
     * which the supervisor calls once every worker gave its member back; closing a generation in use, an unknown one
     * or one closed already does nothing.
     */
    @Test
    void aReleasedGenerationStaysReadableUntilClosedReleased() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            sockets.setWanted(names(IN0));
            final long generation = sockets.generation(IN0);
            sockets.closeReleased(IN0, generation); // in use: not released, nothing closes
            assertEquals(generation, sockets.generation(IN0));
            sockets.setWanted(names());
            assertEquals(-1, sockets.generation(IN0), "taken out of use at once");
            assertEquals(null, sockets.member(IN0, 0));
            sockets.closeReleased(IN0, generation);
            sockets.closeReleased(IN0, generation); // closed already
            sockets.closeReleased(IN0, generation + 100); // never opened
            sockets.setWanted(names(IN0));
            assertTrue(sockets.generation(IN0) > generation, "opened anew after the close");
        }
    }

    @Test
    void aMemberIsHandedForAnOpenInputAndAWorkerIndexOnly() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            assertNull(sockets.member(IN0, 0), "not open yet");
            sockets.setWanted(names(IN0));
            for (int i = 0; i < harness.workers(); i++) {
                final PassedDescriptor member = sockets.member(IN0, i);
                assertNotNull(member, "worker " + i);
                assertTrue(member.isOpen());
                member.close();
            }
            assertNull(sockets.member(IN0, -1));
            assertNull(sockets.member(IN0, harness.workers()));
            assertNull(sockets.member(IN1, 0), "not wanted");
            sockets.setWanted(names());
            assertNull(sockets.member(IN0, 0), "closed");
        }
    }

    /**
     * Sixteen flows, three datagrams each: every datagram reaches exactly one member, every datagram of a flow the
     * same one, the one the flow hash names; with more than one worker the flows spread.
     */
    @Test
    void aFrameReachesExactlyOneMemberTheOneItsFlowHashNames() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            sockets.setWanted(names(IN0));
            final List<Datagram> datagrams = new ArrayList<>();
            final List<String> sent = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int flow = 0; flow < 16; flow++) {
                    final String text = "f" + flow + "/" + round;
                    datagrams.add(new Datagram(group(flow), 5000 + flow, text));
                    sent.add(text);
                }
            }
            harness.send(IN0, datagrams);
            final List<List<String>> seen = readMembers(harness, IN0, sent.size());
            Collections.sort(sent);
            assertEquals(sent, all(seen), "each datagram once, on one member");
            final TreeMap<Integer, Integer> flowsPerMember = new TreeMap<>();
            for (int flow = 0; flow < 16; flow++) {
                final int expected = FlowHash.member(FlowHash.of(group(flow), 5000 + flow), harness.workers());
                for (int i = 0; i < harness.workers(); i++) {
                    final String prefix = "f" + flow + "/";
                    final long count = seen.get(i).stream().filter(text -> text.startsWith(prefix)).count();
                    assertEquals(i == expected ? 3 : 0, count, "flow " + flow + " on member " + i);
                }
                flowsPerMember.merge(expected, 1, Integer::sum);
            }
            assertTrue(harness.workers() == 1 || flowsPerMember.size() > 1, "the flows spread: " + flowsPerMember);
        }
    }

    @Test
    void aFilterSetBeforeOpeningDecidesWhatReachesTheMembers() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            sockets.setFilter(IN0, destinations(new InputSockets.Destination(group(1), 5001)));
            sockets.setWanted(names(IN0));
            harness.send(IN0, List.of(new Datagram(group(1), 5001, "in use"),
                new Datagram(group(1), 5002, "another port"), new Datagram(group(2), 5001, "another group")));
            assertEquals(List.of("in use"), all(readMembers(harness, IN0, 1)));
        }
    }

    @Test
    void aFilterSetAfterOpeningChangesWhatReachesTheMembersInPlace() {
        try (Harness harness = createHarness()) {
            final InputSockets sockets = harness.sockets();
            sockets.setWanted(names(IN0));
            final long generation = sockets.generation(IN0);
            sockets.setFilter(IN0, destinations(new InputSockets.Destination(group(3), 5003),
                new InputSockets.Destination(group(4), 5004)));
            assertEquals(generation, sockets.generation(IN0), "a filter change keeps the sockets");
            harness.send(IN0, List.of(new Datagram(group(3), 5003, "a"), new Datagram(group(4), 5004, "b"),
                new Datagram(group(5), 5005, "not yet")));
            assertEquals(List.of("a", "b"), all(readMembers(harness, IN0, 2)));

            sockets.setFilter(IN0, destinations(new InputSockets.Destination(group(5), 5005)));
            harness.send(IN0, List.of(new Datagram(group(3), 5003, "no longer"),
                new Datagram(group(5), 5005, "now")));
            assertEquals(List.of("now"), all(readMembers(harness, IN0, 1)));

            sockets.setFilter(IN0, destinations());
            harness.send(IN0, List.of(new Datagram(group(5), 5005, "none")));
            assertEquals(List.of(), all(readMembers(harness, IN0, 0)), "no destination: nothing passes");
        }
    }
}
