package io.mcrelay.runtime;

import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.lists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The ledger against a model: random sequences of connections opened, bytes held and connections closed by four
 * users and root, where each open connection remembers what it was last allowed. After every step no user holds more
 * connections or bytes than its share, users together no more than the total, the ledger's counts equal the sum over
 * the open connections, and once every connection is closed nothing is counted.
 */
class PeerLimitsProperties {
    private static final PeerLimits.Config LIMITS = new PeerLimits.Config(6, 3, 4_000, 2_500, 100);
    private static final List<ControlPeer> PEERS = List.of(new ControlPeer("a", false), new ControlPeer("b", false),
        new ControlPeer("c", false), new ControlPeer("d", false), new ControlPeer("root", true));

    /** An open connection of the model. */
    private static final class Open {
        final ControlPeer peer;
        long heldBytes;

        Open(final ControlPeer peer) {
            this.peer = peer;
        }
    }

    @Test
    void noUserEverHoldsMoreThanItsShareAndTheLedgerMatchesTheOpenConnections() {
        qt().withExamples(300)
            .forAll(lists(ints(0, Integer.MAX_VALUE - 1), 1, 400))
            .checkAssert(steps -> {
                final PeerLimits limits = new PeerLimits(LIMITS);
                final List<Open> open = new ArrayList<>();
                for (final int step : steps) {
                    final int kind = step % 3;
                    if (kind == 0 || open.isEmpty()) {
                        final ControlPeer peer = PEERS.get((step / 3) % PEERS.size());
                        if (limits.admit(peer) == PeerLimits.Verdict.ALLOWED) {
                            open.add(new Open(peer));
                        }
                    } else if (kind == 1) {
                        final Open connection = open.get((step / 3) % open.size());
                        final long wanted = (step / 7) % 3_000;
                        if (limits.hold(connection.peer, connection.heldBytes, wanted)
                            == PeerLimits.Verdict.ALLOWED) {
                            connection.heldBytes = wanted;
                        } else {
                            assertTrue(wanted > connection.heldBytes, "only a rise is ever refused");
                        }
                    } else {
                        final Open connection = open.remove((step / 3) % open.size());
                        limits.release(connection.peer, connection.heldBytes);
                    }
                    check(limits, open);
                }
                for (final Open connection : open) {
                    limits.release(connection.peer, connection.heldBytes);
                }
                assertEquals(0, limits.connections());
                assertEquals(0, limits.chargedBytes());
            });
    }

    private static void check(final PeerLimits limits, final List<Open> open) {
        long chargedAll = 0;
        int connectionsAll = 0;
        for (final ControlPeer peer : PEERS) {
            final List<Open> its = open.stream().filter(o -> o.peer.equals(peer)).toList();
            final long charged = its.stream().mapToLong(o -> Math.max(0, o.heldBytes - 100)).sum();
            if (peer.root()) {
                assertEquals(0, limits.connectionsOf(peer.user()));
                continue;
            }
            assertEquals(its.size(), limits.connectionsOf(peer.user()));
            assertEquals(charged, limits.chargedBytesOf(peer.user()));
            assertTrue(its.size() <= LIMITS.connectionsPerUserMax());
            assertTrue(charged <= LIMITS.heldBytesPerUserMax());
            chargedAll += charged;
            connectionsAll += its.size();
        }
        assertEquals(connectionsAll, limits.connections());
        assertEquals(chargedAll, limits.chargedBytes());
        assertTrue(connectionsAll <= LIMITS.connectionsMax());
        assertTrue(chargedAll <= LIMITS.heldBytesMax());
    }
}
