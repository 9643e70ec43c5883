package io.mcrelay.fault;

import java.util.Objects;

import io.mcrelay.seam.GroupMemberships;

/**
 * Group memberships whose joins are answered as made and never made ({@link Break#JOINS}): the supervisor believes the
 * kernel holds them; the kernel holds none. Leaves are ignored likewise; {@link #forget} and the limits go through.
 */
public final class JoinIgnoringMemberships implements GroupMemberships {
    private final GroupMemberships inner;
    private long ignored;

    public JoinIgnoringMemberships(final GroupMemberships inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public Limits limits() {
        return inner.limits();
    }

    @Override
    public String join(final String interfaceName, final int socket, final Membership membership) {
        ignored++;
        return null;
    }

    @Override
    public void leave(final String interfaceName, final int socket, final Membership membership) {
        // never joined
    }

    @Override
    public void forget(final String interfaceName) {
        inner.forget(interfaceName);
    }

    /** Joins answered without being made. */
    public long ignored() {
        return ignored;
    }
}
