package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.GroupMemberships.Membership;

/**
 * What every {@link GroupMemberships} guarantees, the simulated one and the kernel's alike (the kernel's rules,
 * {@code net/ipv4/igmp.c}): a join is seen on the interface and a leave of the last holder undoes it; one socket holds
 * a group from any source or from sources, never both (a source join on a group the socket holds from any source
 * switches it to that source: the any-source membership is gone; leaving from any source drops the group whatever
 * its sources); a socket holds at most {@code groupsPerSocket} groups and
 * {@code sourcesPerGroup} sources per group; a join on a missing interface is refused; a refused join returns its
 * reason naming the errno and changes nothing; the same group on two sockets stays joined until both left; the last
 * source left is the group left; {@link GroupMemberships#forget} drops every membership of the interface.
 *
 * <p>Subclasses supply the memberships with limits of {@link #GROUPS_PER_SOCKET} groups per socket and
 * {@link #SOURCES_PER_GROUP} sources per group (the kernel's sysctls set so in a test namespace), an existing
 * interface {@link #IF}, and a view of what the interface has joined.
 */
public abstract class GroupMembershipsContract {
    /** An interface that exists. */
    protected static final String IF = "in0";
    /** The limits the harness sets. */
    protected static final int GROUPS_PER_SOCKET = 3;
    protected static final int SOURCES_PER_GROUP = 2;

    private static final int G1 = 0xEF01_0101; // 239.1.1.1
    private static final int G2 = 0xEF01_0102;
    private static final int G3 = 0xEF01_0103;
    private static final int G4 = 0xEF01_0104;
    private static final int SSM = 0xE801_0101; // 232.1.1.1
    private static final int S1 = 0x0A61_0001; // 10.97.0.1
    private static final int S2 = 0x0A61_0002;
    private static final int S3 = 0x0A61_0003;

    /** The memberships under test and a view of the interface. */
    public interface Harness extends AutoCloseable {
        GroupMemberships memberships();

        /**
         * What {@code interfaceName} has joined, as the interface (not a socket) sees it: each group joined, with the
         * sources some socket includes it from (empty when only sockets that take it from any source hold it).
         */
        SortedMap<Integer, SortedSet<Integer>> joined(String interfaceName);

        @Override
        void close();
    }

    protected abstract Harness createHarness();

    private static SortedMap<Integer, SortedSet<Integer>> view(final Object... groupThenSources) {
        final TreeMap<Integer, SortedSet<Integer>> out = new TreeMap<>(Integer::compareUnsigned);
        int i = 0;
        while (i < groupThenSources.length) {
            final int group = (Integer) groupThenSources[i++];
            final TreeSet<Integer> sources = new TreeSet<>(Integer::compareUnsigned);
            while (i < groupThenSources.length && groupThenSources[i] instanceof int[] source) {
                sources.add(source[0]);
                i++;
            }
            out.put(group, sources);
        }
        return out;
    }

    private static int[] src(final int source) {
        return new int[] {source};
    }

    @Test
    void theLimitsAreTheHarnesss() {
        try (Harness harness = createHarness()) {
            assertEquals(new GroupMemberships.Limits(GROUPS_PER_SOCKET, SOURCES_PER_GROUP),
                harness.memberships().limits());
        }
    }

    @Test
    void aJoinIsSeenOnTheInterfaceAndTheLeaveUndoesIt() {
        try (Harness harness = createHarness()) {
            final GroupMemberships memberships = harness.memberships();
            assertNull(memberships.join(IF, 0, new Membership(G1, 0)));
            assertNull(memberships.join(IF, 0, new Membership(SSM, S1)));
            assertEquals(view(G1, SSM, src(S1)), harness.joined(IF));
            memberships.leave(IF, 0, new Membership(G1, 0));
            assertEquals(view(SSM, src(S1)), harness.joined(IF));
            memberships.leave(IF, 0, new Membership(SSM, S1));
            assertEquals(view(), harness.joined(IF), "the last source left is the group left");
            memberships.leave(IF, 0, new Membership(SSM, S1)); // not held: nothing
            memberships.leave(IF, 7, new Membership(G1, 0));
            assertEquals(view(), harness.joined(IF));
        }
    }

    @Test
    void oneSocketHoldsAGroupFromAnySourceOrFromSourcesNeverBoth() {
        try (Harness harness = createHarness()) {
            final GroupMemberships memberships = harness.memberships();
            assertNull(memberships.join(IF, 1, new Membership(G2, S1)));
            assertRefused(memberships.join(IF, 1, new Membership(G2, 0)), "EADDRINUSE");
            assertEquals(view(G2, src(S1)), harness.joined(IF), "a refused join changes nothing");
            // The kernel allows a mode switch of an empty filter: the socket now takes G1 from S1 only.
            assertNull(memberships.join(IF, 0, new Membership(G1, 0)));
            assertNull(memberships.join(IF, 0, new Membership(G1, S1)));
            assertEquals(view(G1, src(S1), G2, src(S1)), harness.joined(IF), "switched to its source");
            // Leaving from any source drops the socket's membership of the group, whatever its sources.
            memberships.leave(IF, 0, new Membership(G1, 0));
            assertEquals(view(G2, src(S1)), harness.joined(IF));
            // On another socket, both: the interface takes the group from any source.
            assertNull(memberships.join(IF, 2, new Membership(G2, 0)));
            assertEquals(view(G2).keySet(), harness.joined(IF).tailMap(G2).keySet());
        }
    }

    @Test
    void aSocketHoldsAtMostTheLimitOfGroupsAndOfSourcesPerGroup() {
        try (Harness harness = createHarness()) {
            final GroupMemberships memberships = harness.memberships();
            assertNull(memberships.join(IF, 0, new Membership(G1, 0)));
            assertNull(memberships.join(IF, 0, new Membership(G2, 0)));
            assertNull(memberships.join(IF, 0, new Membership(G3, 0)));
            assertRefused(memberships.join(IF, 0, new Membership(G4, 0)), "ENOBUFS");
            assertRefused(memberships.join(IF, 0, new Membership(SSM, S1)), "ENOBUFS");
            assertNull(memberships.join(IF, 1, new Membership(G4, 0)), "another socket takes more");
            assertNull(memberships.join(IF, 1, new Membership(SSM, S1)));
            assertNull(memberships.join(IF, 1, new Membership(SSM, S2)));
            assertRefused(memberships.join(IF, 1, new Membership(SSM, S3)), "ENOBUFS");
            assertNull(memberships.join(IF, 2, new Membership(SSM, S3)));
            assertEquals(view(G1, G2, G3, G4, SSM, src(S1), src(S2), src(S3)), harness.joined(IF));
        }
    }

    @Test
    void aGroupOnTwoSocketsStaysJoinedUntilBothLeft() {
        try (Harness harness = createHarness()) {
            final GroupMemberships memberships = harness.memberships();
            assertNull(memberships.join(IF, 0, new Membership(SSM, S1)));
            assertNull(memberships.join(IF, 1, new Membership(SSM, S1)));
            memberships.leave(IF, 0, new Membership(SSM, S1));
            assertEquals(view(SSM, src(S1)), harness.joined(IF));
            memberships.leave(IF, 1, new Membership(SSM, S1));
            assertEquals(view(), harness.joined(IF));
        }
    }

    @Test
    void aJoinOnAMissingInterfaceIsRefused() {
        try (Harness harness = createHarness()) {
            assertRefused(harness.memberships().join("mcr-none0", 0, new Membership(G1, 0)), "ENODEV");
        }
    }

    @Test
    void forgetDropsEveryMembershipOfTheInterface() {
        try (Harness harness = createHarness()) {
            final GroupMemberships memberships = harness.memberships();
            assertNull(memberships.join(IF, 0, new Membership(G1, 0)));
            assertNull(memberships.join(IF, 1, new Membership(SSM, S1)));
            memberships.forget(IF);
            assertEquals(view(), harness.joined(IF));
            assertNull(memberships.join(IF, 0, new Membership(G2, 0)), "the numbers are free again");
            assertEquals(view(G2), harness.joined(IF));
        }
    }

    private static void assertRefused(final String refusal, final String errno) {
        assertNotNull(refusal, "the join was not refused");
        assertTrue(refusal.contains(errno), "the refusal should name " + errno + ": " + refusal);
    }
}
