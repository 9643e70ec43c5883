package io.mcrelay.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.Frames;

/**
 * The control socket's share-out among peers, as a pure ledger: connections per user and in all, root never
 * limited nor counted, a refusal changing nothing, bytes charged beyond each connection's free allowance, and
 * limits that cannot let one user take everything.
 */
class PeerLimitsTest {
    private static final ControlPeer ALICE = new ControlPeer("alice", false);
    private static final ControlPeer BOB = new ControlPeer("bob", false);
    private static final ControlPeer CAROL = new ControlPeer("carol", false);
    private static final ControlPeer ROOT = new ControlPeer("root", true);

    /** 5 connections, 2 per user; 10,000 bytes charged, 6,000 per user; 100 bytes free per connection. */
    private static final PeerLimits.Config SMALL = new PeerLimits.Config(5, 2, 10_000, 6_000, 100);

    @Test
    void aUserGetsItsShareOfConnectionsAndNoMoreWhileOthersStillGetTheirs() {
        final PeerLimits limits = new PeerLimits(SMALL);
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(ALICE));
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(ALICE));
        assertEquals(PeerLimits.Verdict.OVER_USER_LIMIT, limits.admit(ALICE));
        assertEquals(2, limits.connectionsOf("alice"), "a refusal counts nothing");
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(BOB));
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(BOB));
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(CAROL));
        assertEquals(5, limits.connections());
        assertEquals(PeerLimits.Verdict.OVER_TOTAL_LIMIT, limits.admit(CAROL), "the total is reached");
        assertEquals(PeerLimits.Verdict.OVER_USER_LIMIT, limits.admit(BOB), "its own limit is said first");
        limits.release(ALICE, 0);
        assertEquals(1, limits.connectionsOf("alice"));
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(CAROL), "a freed place is taken again");
        assertEquals(2, limits.connectionsOf("carol"));
    }

    @Test
    void rootIsAlwaysAdmittedAndNeverCounted() {
        final PeerLimits limits = new PeerLimits(SMALL);
        for (int i = 0; i < 5; i++) {
            limits.admit(new ControlPeer("user" + i, false));
        }
        assertEquals(PeerLimits.Verdict.OVER_TOTAL_LIMIT, limits.admit(ALICE));
        for (int i = 0; i < 1_000; i++) {
            assertEquals(PeerLimits.Verdict.ALLOWED, limits.admit(ROOT));
        }
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(ROOT, 0, Long.MAX_VALUE / 2), "root's bytes too");
        assertEquals(5, limits.connections());
        assertEquals(0, limits.connectionsOf("root"));
        assertEquals(0, limits.chargedBytes());
        limits.release(ROOT, Long.MAX_VALUE / 2);
        assertEquals(5, limits.connections());
    }

    @Test
    void bytesAreChargedBeyondEachConnectionsFreeAllowanceUpToTheUsersAndTheTotalShare() {
        final PeerLimits limits = new PeerLimits(SMALL);
        limits.admit(ALICE);
        limits.admit(ALICE);
        limits.admit(BOB);
        limits.admit(CAROL);
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(ALICE, 0, 100), "within the free allowance");
        assertEquals(0, limits.chargedBytesOf("alice"));
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(ALICE, 100, 4_100));
        assertEquals(4_000, limits.chargedBytesOf("alice"));
        assertEquals(PeerLimits.Verdict.OVER_USER_LIMIT, limits.hold(ALICE, 0, 2_101), "4,000 + 2,001 > 6,000");
        assertEquals(4_000, limits.chargedBytesOf("alice"), "a refusal charges nothing");
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(ALICE, 0, 2_100), "exactly the user's share");
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(BOB, 0, 4_100));
        assertEquals(10_000, limits.chargedBytes());
        assertEquals(PeerLimits.Verdict.OVER_TOTAL_LIMIT, limits.hold(CAROL, 0, 101), "the total is spent");
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(CAROL, 0, 100), "the free allowance always passes");
        assertEquals(PeerLimits.Verdict.ALLOWED, limits.hold(ALICE, 4_100, 50), "a fall is always allowed");
        assertEquals(2_000, limits.chargedBytesOf("alice"));
        limits.release(BOB, 4_100);
        assertEquals(2_000, limits.chargedBytes());
        assertEquals(0, limits.connectionsOf("bob"));
        assertThrows(IllegalStateException.class, () -> limits.release(BOB, 0), "bob holds nothing any more");
        assertThrows(IllegalStateException.class, () -> limits.hold(BOB, 0, 1));
    }

    @Test
    void limitsThatLetOneUserTakeEverythingAreRefused() {
        final IllegalArgumentException connections = assertThrows(IllegalArgumentException.class,
            () -> new PeerLimits.Config(16, 16, 1_000, 500, 0));
        assertEquals("one user's connections (16) must leave room for others' under the total (16)",
            connections.getMessage());
        final IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class,
            () -> new PeerLimits.Config(16, 4, 1_000, 1_001, 0));
        assertEquals("one user's bytes (1001) cannot exceed the total (1000)", bytes.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PeerLimits.Config(0, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PeerLimits.Config(2, 1, 1, 1, -1));
    }

    @Test
    void theDefaultsLeaveThreeQuartersOfTheConnectionsToOthersAndFitTheLargestRequestAndItsAnswer() {
        final PeerLimits.Config defaults = PeerLimits.Config.DEFAULTS;
        assertEquals(64, defaults.connectionsMax());
        assertEquals(16, defaults.connectionsPerUserMax());
        assertTrue(defaults.heldBytesPerUserMax() >= 2L * (Frames.CONTROL_BYTES_MAX + Frames.HEADER_BYTES),
            "a user may hold a request of the largest size and an answer of the largest size");
        assertTrue(defaults.heldBytesPerUserMax() < defaults.heldBytesMax());
    }
}
