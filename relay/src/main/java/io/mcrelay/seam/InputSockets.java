package io.mcrelay.seam;

import java.util.SortedSet;

/**
 * The supervisor's packet sockets: one fanout group per input interface, opened when the first rule names an
 * existing interface, kept open across worker restarts and handed to every worker. Production: {@code AF_PACKET}
 * sockets passed to the workers with {@code SCM_RIGHTS}; simulation: a record of what was asked.
 *
 * <p>Contract: {@link #setWanted} is idempotent: it opens the sockets of interfaces newly wanted and takes out of use
 * those no longer wanted, leaving the others untouched (their flows never miss a packet); {@link #reopen} replaces
 * the sockets of one wanted interface (it was re-created with a new index, so the old sockets are bound to nothing).
 * The supervisor hands each worker its member of every open input over the worker's channel, by generation
 * ({@link #generation}, {@link #member}), and takes it back when the generation goes. Sockets taken out of use stay
 * open until {@link #closeReleased}: the supervisor's copies close after every worker gave its own back, so the last
 * close (and the kernel's release of a packet socket, which waits for an RCU grace period) never falls on a
 * worker's packet thread.
 */
public interface InputSockets {
    /** A (destination address, UDP port) pair an input's sockets let through; IPv4, network order. */
    record Destination(int address, int port) implements Comparable<Destination> {
        @Override
        public int compareTo(final Destination other) {
            final int byAddress = Integer.compareUnsigned(address, other.address);
            return byAddress != 0 ? byAddress : Integer.compare(port, other.port);
        }
    }

    /**
     * The exact filter of {@code interfaceName}'s sockets: only frames to these (group, port) pairs reach the workers.
     * Set before the sockets open (they open with it) and whenever the rules on the interface change, before any worker
     * acks the change; remembered for an interface whose sockets open later. Implementations without filters ignore
     * it.
     */
    default void setFilter(final String interfaceName, final java.util.SortedSet<Destination> destinations) {
    }

    /**
     * Closes generation {@code generation} of {@code interfaceName}'s sockets, taken out of use earlier by
     * {@link #setWanted} or {@link #reopen}; nothing when there is no such generation (closed already, or never
     * opened). Implementations that hold no sockets ignore it.
     */
    default void closeReleased(final String interfaceName, final long generation) {
    }

    /** The input interfaces that exist and that at least one rule receives on. */
    void setWanted(SortedSet<String> interfaceNames);

    /** Opens the sockets of a wanted interface anew. */
    void reopen(String interfaceName);

    /**
     * The generation of {@code interfaceName}'s open sockets: 1 or more, growing each time they are opened (anew), or
     * -1 when they are not open. Implementations that hand no sockets to workers (their workers receive without)
     * answer -1 always.
     */
    default long generation(final String interfaceName) {
        return -1;
    }

    /**
     * A new handle on worker {@code workerIndex}'s member of {@code interfaceName}'s open sockets, for the caller to
     * send to that worker ({@code AttachInput}) and then close; {@code null} when they are not open.
     */
    default PassedDescriptor member(final String interfaceName, final int workerIndex) {
        return null;
    }
}
