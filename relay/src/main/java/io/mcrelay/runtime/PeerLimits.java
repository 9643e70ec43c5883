package io.mcrelay.runtime;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The control socket's share-out among its peers, so that no local user can lock the others out or make the
 * supervisor hold unbounded memory: a pure ledger of the connections each user holds and of the bytes the server holds
 * for them (unfinished requests and unsent responses), kept by {@link UnixControlServer}.
 *
 * <p>Policy, root (uid 0) aside, whose connections are always admitted and never counted:
 * <ul>
 *   <li>a user holds at most {@link Config#connectionsPerUserMax} connections, and all users together at most
 *       {@link Config#connectionsMax}; the per-user share is below the total, so one user always leaves room for
 *       others;</li>
 *   <li>each connection's first {@link Config#freeBytesPerConnection} held bytes are free (every request and
 *       response of ordinary size passes whatever others hold); beyond them a user is charged at most
 *       {@link Config#heldBytesPerUserMax}, and all users together at most {@link Config#heldBytesMax}.</li>
 * </ul>
 * A refusal changes nothing in the ledger. Not thread-safe; no clock, no I/O.
 */
public final class PeerLimits {
    /**
     * The limits.
     *
     * @param connectionsMax         connections of unprivileged users, together
     * @param connectionsPerUserMax  connections of one unprivileged user; less than {@code connectionsMax}
     * @param heldBytesMax           bytes charged to unprivileged users, together
     * @param heldBytesPerUserMax    bytes charged to one unprivileged user; at most {@code heldBytesMax}
     * @param freeBytesPerConnection bytes each connection holds without charge
     */
    public record Config(int connectionsMax, int connectionsPerUserMax, long heldBytesMax, long heldBytesPerUserMax,
        int freeBytesPerConnection) {
        /**
         * 64 connections, 16 per user (a user can take a quarter); 128 MiB charged, 64 MiB per user (one request of
         * the largest size, 16 MiB, and its answer fit several times over); 64 KiB free per connection. So
         * unprivileged peers make the server hold at most about 132 MiB: 128 MiB charged plus 64 × 64 KiB free.
         */
        public static final Config DEFAULTS = new Config(64, 16, 128L << 20, 64L << 20, 64 << 10);

        public Config {
            if (connectionsMax <= 0 || connectionsPerUserMax <= 0 || heldBytesMax <= 0 || heldBytesPerUserMax <= 0
                || freeBytesPerConnection < 0) {
                throw new IllegalArgumentException("peer limits must be positive: " + this);
            }
            if (connectionsPerUserMax >= connectionsMax) {
                throw new IllegalArgumentException("one user's connections (" + connectionsPerUserMax
                    + ") must leave room for others' under the total (" + connectionsMax + ")");
            }
            if (heldBytesPerUserMax > heldBytesMax) {
                throw new IllegalArgumentException("one user's bytes (" + heldBytesPerUserMax
                    + ") cannot exceed the total (" + heldBytesMax + ")");
            }
        }
    }

    /** The answer to a connection or a growth in held bytes. */
    public enum Verdict {
        /** Admitted, and counted. */
        ALLOWED,
        /** Refused: the user is at its own limit. */
        OVER_USER_LIMIT,
        /** Refused: unprivileged users together are at the limit. */
        OVER_TOTAL_LIMIT
    }

    /** One user's share. */
    private static final class Usage {
        int connections;
        long chargedBytes;
    }

    private final Config config;
    // By user name: lookups only, never iterated into an output.
    private final Map<String, Usage> users = new HashMap<>();
    private int connections;
    private long chargedBytes;

    public PeerLimits(final Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public Config config() {
        return config;
    }

    /** Admits a new connection of {@code peer} and counts it, or says which limit refuses it. */
    public Verdict admit(final ControlPeer peer) {
        if (peer.root()) {
            return Verdict.ALLOWED;
        }
        final Usage usage = users.get(peer.user());
        if (usage != null && usage.connections >= config.connectionsPerUserMax()) {
            return Verdict.OVER_USER_LIMIT;
        }
        if (connections >= config.connectionsMax()) {
            return Verdict.OVER_TOTAL_LIMIT;
        }
        users.computeIfAbsent(peer.user(), user -> new Usage()).connections++;
        connections++;
        assert invariantsHold();
        return Verdict.ALLOWED;
    }

    /**
     * One connection of {@code peer} now holds {@code heldBytes} instead of {@code previousBytes} (both as last
     * {@code ALLOWED}): a fall is always allowed; a rise is refused, and not counted, if its charge would pass a limit.
     */
    public Verdict hold(final ControlPeer peer, final long previousBytes, final long heldBytes) {
        if (previousBytes < 0 || heldBytes < 0) {
            throw new IllegalArgumentException("held bytes are never negative: " + previousBytes + ", " + heldBytes);
        }
        if (peer.root()) {
            return Verdict.ALLOWED;
        }
        final Usage usage = users.get(peer.user());
        if (usage == null) {
            throw new IllegalStateException("user " + peer.user() + " holds no connection");
        }
        final long delta = charge(heldBytes) - charge(previousBytes);
        if (delta > 0) {
            if (usage.chargedBytes + delta > config.heldBytesPerUserMax()) {
                return Verdict.OVER_USER_LIMIT;
            }
            if (chargedBytes + delta > config.heldBytesMax()) {
                return Verdict.OVER_TOTAL_LIMIT;
            }
        }
        usage.chargedBytes += delta;
        chargedBytes += delta;
        assert invariantsHold();
        return Verdict.ALLOWED;
    }

    /** A connection of {@code peer} that held {@code heldBytes} (as last allowed) is closed. */
    public void release(final ControlPeer peer, final long heldBytes) {
        if (peer.root()) {
            return;
        }
        final Usage usage = users.get(peer.user());
        if (usage == null || usage.connections == 0) {
            throw new IllegalStateException("user " + peer.user() + " holds no connection");
        }
        final long charged = charge(heldBytes);
        if (charged > usage.chargedBytes) {
            throw new IllegalStateException("user " + peer.user() + " was charged " + usage.chargedBytes
                + " bytes, not " + charged);
        }
        usage.connections--;
        usage.chargedBytes -= charged;
        connections--;
        chargedBytes -= charged;
        if (usage.connections == 0) {
            assert usage.chargedBytes == 0 : "a user without connections holds nothing";
            users.remove(peer.user());
        }
        assert invariantsHold();
    }

    /** Connections of {@code user} counted now (0 for root, whose are not counted). */
    public int connectionsOf(final String user) {
        final Usage usage = users.get(user);
        return usage == null ? 0 : usage.connections;
    }

    /** Bytes charged to {@code user} now. */
    public long chargedBytesOf(final String user) {
        final Usage usage = users.get(user);
        return usage == null ? 0 : usage.chargedBytes;
    }

    /** Connections of unprivileged users, together. */
    public int connections() {
        return connections;
    }

    /** Bytes charged to unprivileged users, together. */
    public long chargedBytes() {
        return chargedBytes;
    }

    private long charge(final long heldBytes) {
        return Math.max(0, heldBytes - config.freeBytesPerConnection());
    }

    private boolean invariantsHold() {
        return connections >= 0 && connections <= config.connectionsMax() && chargedBytes >= 0
            && chargedBytes <= config.heldBytesMax();
    }
}
