package io.mcrelay.runtime;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * Who is at the other end of an accepted control connection, as the kernel recorded it when the peer connected
 * ({@code SO_PEERCRED}): the user its uid belongs to, and whether that uid is 0.
 *
 * @param user the user's name in the account database, or the uid in decimal when it has none; one uid always
 *             gives the same name, so counting by name counts by uid
 * @param root whether the uid is 0, whose connections are never limited
 */
public record ControlPeer(String user, boolean root) {
    /** The peer of a connection whose credentials could not be read: counted as one unprivileged user. */
    public static final ControlPeer UNKNOWN = new ControlPeer("(unknown)", false);

    public ControlPeer {
        Objects.requireNonNull(user, "user");
        if (user.isEmpty()) {
            throw new IllegalArgumentException("a peer's user name is not empty");
        }
    }

    /** Tells who is at the other end of a freshly accepted connection. */
    @FunctionalInterface
    public interface Source {
        /**
         * The peer of {@code channel}, a connected Unix stream socket.
         *
         * @throws IOException if the kernel would not say
         */
        ControlPeer of(SocketChannel channel) throws IOException;
    }

    /** The kernel's answer ({@code SO_PEERCRED}), the source the daemon uses. */
    public static Source kernel() {
        return PeerCredentials.create();
    }

    @Override
    public String toString() {
        return root ? user + " (uid 0)" : user;
    }
}
