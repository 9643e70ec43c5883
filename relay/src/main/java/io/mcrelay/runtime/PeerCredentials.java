package io.mcrelay.runtime;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * {@link ControlPeer.Source} backed by the JDK's {@code SO_PEERCRED} option of Unix-domain channels (the descriptor,
 * which a downcall would need, stays inside the channel). The JDK compares user principals by uid, so the peer is
 * root exactly when its principal equals uid 0's, looked up once. The JDK names the principal through the account
 * database ({@code getpwuid}); stateless after construction.
 */
final class PeerCredentials implements ControlPeer.Source {
    private static final Logger LOG = LoggerFactory.getLogger(PeerCredentials.class);

    private final UserPrincipal root;

    private PeerCredentials(final UserPrincipal root) {
        this.root = root;
    }

    static PeerCredentials create() {
        return new PeerCredentials(lookUpRoot());
    }

    /** uid 0's principal: by its usual name, else by number (the JDK takes a name it cannot find as a uid). */
    private static UserPrincipal lookUpRoot() {
        final UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        for (final String name : new String[] {"root", "0"}) {
            try {
                return users.lookupPrincipalByName(name);
            } catch (final IOException e) {
                LOG.debug("no user principal for {}: {}", name, e.toString());
            }
        }
        LOG.warn("cannot look up uid 0: every control connection is limited as an unprivileged user's");
        return null;
    }

    @Override
    public ControlPeer of(final SocketChannel channel) throws IOException {
        final UnixDomainPrincipal principal;
        try {
            principal = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (final UnsupportedOperationException e) {
            throw new IOException("SO_PEERCRED is not supported on this channel", e);
        }
        final UserPrincipal user = principal.user();
        return new ControlPeer(user.getName(), user.equals(root));
    }
}
