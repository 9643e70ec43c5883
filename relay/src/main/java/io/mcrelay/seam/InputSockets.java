package io.mcrelay.seam;

import java.util.SortedSet;

/**
 * The supervisor's packet sockets: one fanout group per input interface, opened when the first rule names an
 * existing interface, kept open across worker restarts and handed to every worker. Production: {@code AF_PACKET}
 * sockets passed to the workers with {@code SCM_RIGHTS}; simulation: a record of what was asked.
 *
 * <p>Contract: {@link #setWanted} is idempotent: it opens the sockets of interfaces newly wanted and closes those
 * no longer wanted, leaving the others untouched (their flows never miss a packet); {@link #reopen} replaces the
 * sockets of one wanted interface (it was re-created with a new index, so the old sockets are bound to nothing).
 */
public interface InputSockets {
    /** The input interfaces that exist and that at least one rule receives on. */
    void setWanted(SortedSet<String> interfaceNames);

    /** Opens the sockets of a wanted interface anew. */
    void reopen(String interfaceName);
}
