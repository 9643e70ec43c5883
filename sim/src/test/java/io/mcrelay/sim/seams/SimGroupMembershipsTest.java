package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;

import org.junit.jupiter.api.Test;

import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMemberships.Membership;
import io.mcrelay.seam.GroupMembershipsContract;

/**
 * The simulated memberships keep the kernel's contract, and what only a simulation has: memberships of a deleted
 * device stop counting, the refusal fault, the refusals kept for the checker.
 */
class SimGroupMembershipsTest extends GroupMembershipsContract {
    private static final Membership G1 = new Membership(0xEF01_0101, 0);

    private static final class Harness implements GroupMembershipsContract.Harness {
        final SimNetwork network = new SimNetwork();
        final SimGroupMemberships memberships;

        Harness() {
            network.createLinkUp(IF);
            memberships = new SimGroupMemberships(network,
                new GroupMemberships.Limits(GROUPS_PER_SOCKET, SOURCES_PER_GROUP));
        }

        @Override
        public GroupMemberships memberships() {
            return memberships;
        }

        @Override
        public SortedMap<Integer, SortedSet<Integer>> joined(final String interfaceName) {
            return memberships.joined(interfaceName);
        }

        @Override
        public void close() {
            memberships.close();
        }
    }

    @Override
    protected GroupMembershipsContract.Harness createHarness() {
        return new Harness();
    }

    @Test
    void aDeletedDevicesMembershipsStopCountingAndAreReplacedOnTheNewOne() {
        try (Harness harness = new Harness()) {
            assertNull(harness.memberships.join(IF, 0, G1));
            harness.network.deleteLink(IF);
            harness.network.createLinkUp(IF);
            assertEquals(Map.of(), harness.memberships.joined(IF), "the kernel dropped them with the old device");
            harness.memberships.leave(IF, 0, G1); // the kernel finds no such membership on the new index
            assertNull(harness.memberships.join(IF, 0, G1));
            assertEquals(Map.of(G1, List.of(0)), harness.memberships.holders(IF));
        }
    }

    @Test
    void theRefusalFaultRefusesEveryJoinAndTheRefusalIsKeptUntilJoined() {
        try (Harness harness = new Harness()) {
            harness.memberships.refuseJoins(true);
            final String refusal = harness.memberships.join(IF, 0, G1);
            assertTrue(refusal.startsWith("setsockopt(IP_ADD_MEMBERSHIP, 239.1.1.1 (any source) on in0) failed: ENOBUFS"),
                refusal);
            assertEquals(Map.of(G1, refusal), harness.memberships.refusals(IF));
            harness.memberships.refuseJoins(false);
            assertNull(harness.memberships.join(IF, 0, G1));
            assertEquals(Map.of(), harness.memberships.refusals(IF));
            assertEquals(1, harness.memberships.joins());
            assertEquals(1, harness.memberships.refused());
        }
    }
}
