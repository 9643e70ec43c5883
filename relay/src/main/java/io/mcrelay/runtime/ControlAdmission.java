package io.mcrelay.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import org.slf4j.Logger;

import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.protocol.Frames;

/**
 * {@link UnixControlServer}'s gate: who each accepted connection comes from ({@link ControlPeer.Source}), whether
 * {@link PeerLimits} admit it and the bytes held for it, the {@code refused} frame that tells a client why it is cut
 * off, and the rate-limited WARN lines when a limit bites ({@link LimitWarnings}). Not thread-safe: the server's
 * thread only.
 */
final class ControlAdmission {
    private final Path path;
    private final ControlPeer.Source peers;
    private final PeerLimits limits;
    private final LimitWarnings warnings;

    ControlAdmission(final Path path, final ControlPeer.Source peers, final PeerLimits limits, final Logger log,
        final long logIntervalNs) {
        this.path = path;
        this.peers = peers;
        this.limits = limits;
        this.warnings = new LimitWarnings(log, logIntervalNs);
    }

    PeerLimits limits() {
        return limits;
    }

    /**
     * The peer of a freshly accepted {@code channel} once the limits admit it (and count it); null if they do not,
     * the channel then told why in one frame (if its socket takes it at once) and closed.
     */
    ControlPeer admit(final SocketChannel channel, final long nowNs) {
        final ControlPeer peer = identify(channel, nowNs);
        final PeerLimits.Verdict verdict = limits.admit(peer);
        if (verdict == PeerLimits.Verdict.ALLOWED) {
            return peer;
        }
        final PeerLimits.Config config = limits.config();
        final boolean user = verdict == PeerLimits.Verdict.OVER_USER_LIMIT;
        final String reason = user
            ? "user " + peer.user() + " holds " + config.connectionsPerUserMax()
                + " connections to the control socket, the most one user may (root excepted)"
            : "users other than root hold " + config.connectionsMax()
                + " connections to the control socket, the most allowed";
        try {
            channel.configureBlocking(false);
            channel.write(ByteBuffer.wrap(refusal("limit", reason)));
        } catch (final IOException e) {
            // The peer is gone already, or its buffer is full: the close says enough.
        }
        try {
            channel.close();
        } catch (final IOException e) {
            // Closing a connection we refuse: nothing useful to do on failure.
        }
        warn(user ? LimitWarnings.Limit.CONNECTIONS_PER_USER : LimitWarnings.Limit.CONNECTIONS_TOTAL, nowNs,
            () -> reason + "; closed a new one" + (user ? "" : " of user " + peer.user()));
        return null;
    }

    private ControlPeer identify(final SocketChannel channel, final long nowNs) {
        try {
            return peers.of(channel);
        } catch (final IOException | RuntimeException e) {
            warn(LimitWarnings.Limit.UNKNOWN_PEER, nowNs, () -> "cannot tell who connected (" + e
                + "); counted as user " + ControlPeer.UNKNOWN.user());
            return ControlPeer.UNKNOWN;
        }
    }

    /**
     * Accounts that connection {@code id} of {@code peer} holds {@code heldBytes} instead of {@code previousBytes}:
     * null if its user's share allows it, else why not (logged; the ledger keeps {@code previousBytes}).
     */
    String hold(final long id, final ControlPeer peer, final long previousBytes, final long heldBytes,
        final long nowNs) {
        final PeerLimits.Verdict verdict = limits.hold(peer, previousBytes, heldBytes);
        if (verdict == PeerLimits.Verdict.ALLOWED) {
            return null;
        }
        final PeerLimits.Config config = limits.config();
        final String reason = verdict == PeerLimits.Verdict.OVER_USER_LIMIT
            ? "user " + peer.user() + " would hold more than its " + config.heldBytesPerUserMax()
                + " bytes of unfinished requests and unsent responses"
            : "users other than root would hold more than " + config.heldBytesMax()
                + " bytes of unfinished requests and unsent responses";
        warn(LimitWarnings.Limit.HELD_BYTES, nowNs, () -> "connection " + id + " closed: " + reason);
        return reason;
    }

    /** Gives a closed connection's share back to its user. */
    void release(final ControlPeer peer, final long heldBytes) {
        limits.release(peer, heldBytes);
    }

    /** A WARN line about the control socket for {@code limit}, unless one was logged within the interval. */
    void warn(final LimitWarnings.Limit limit, final long nowNs, final Supplier<String> message) {
        warnings.bit(limit, nowNs, () -> "control socket " + path + ": " + message.get());
    }

    /** A framed {@code refused} response, request id 0 as for any request the server could not read. */
    static byte[] refusal(final String code, final String reason) {
        return Frames.frame(ControlCodec.encode(new ControlResponse.Refused(0, code,
            reason + "; the daemon closes this connection", List.of())), Frames.CONTROL_BYTES_MAX);
    }
}
