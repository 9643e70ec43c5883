package io.mcrelay.linux.packet;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.PassedDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link InputSockets}: for every wanted input interface, one {@code AF_PACKET} receive ring per
 * worker ({@link PacketRxRing}), all in one {@code PACKET_FANOUT_CBPF} group whose program is the flow hash
 * ({@link PacketPrograms#flowHashFanout()}), so each (group, port) flow always lands on the same worker. The
 * supervisor owns these sockets and keeps them across worker restarts; worker {@code i} is handed member {@code i}
 * of every group ({@link #descriptors}).
 *
 * <p>Each group's id is chosen by the kernel ({@code PACKET_FANOUT_FLAG_UNIQUEID}, Linux 4.12), so two relays (or
 * any other fanout user) in one network namespace never collide. No {@code DEFRAG} flag: IPv4 fragments reach the
 * workers as fragments, which they count and drop, rather than reassembled datagrams longer than a ring frame. Every
 * member carries the same receive filter: the coarse IPv4/UDP one until {@link #setDestinations} names the
 * (group, port) pairs in use, then the exact one (up to {@link PacketPrograms#EXACT_ENTRIES_MAX} entries), replaced
 * in place as rules change.
 *
 * <p>An interface that cannot be opened (deleted between the supervisor's decision and the open, or no permission)
 * is logged and left closed; the next {@link #setWanted} or {@link #reopen} naming it tries again. Sockets are opened
 * in the network namespace of the calling thread. Single-threaded (the supervisor's thread).
 */
public final class PacketInputSockets implements InputSockets, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PacketInputSockets.class);

    /**
     * Sizes: one ring of {@code blocks} blocks of {@code blockBytes} per worker and interface, a block handed over when
     * full or after {@code retireMillis}; {@code receiveBufferBytes} per socket (0: the system default).
     */
    public record Config(int workers, int blockBytes, int blocks, int retireMillis, int receiveBufferBytes) {
        public Config {
            if (workers < 1 || workers > 1024) {
                throw new IllegalArgumentException("workers must be 1 to 1024, not " + workers);
            }
            if (receiveBufferBytes < 0) {
                throw new IllegalArgumentException("receive buffer must not be negative: " + receiveBufferBytes);
            }
        }

        /** 1 MiB of ring per worker and interface (16 blocks of 64 KiB), handed over within 2 ms. */
        public static Config defaults(final int workers) {
            return new Config(workers, 1 << 16, 16, 2, 0);
        }
    }

    /** One interface's fanout group: member {@code i} is worker {@code i}'s ring; its generation of opening. */
    private record Group(String interfaceName, int groupId, List<PacketRxRing> members, long generation) {
    }

    private final Config config;
    private final Map<String, Group> groups = new TreeMap<>();
    /** Groups taken out of use, open until {@link #closeReleased}, in the order they were taken out. */
    private final List<Group> released = new ArrayList<>();
    private final Map<String, List<UdpDestination>> destinations = new TreeMap<>();
    private SortedSet<String> wanted = new TreeSet<>();
    private long version;
    private long generations;
    private boolean closed;

    public PacketInputSockets(final Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public void setWanted(final SortedSet<String> interfaceNames) {
        checkOpen();
        wanted = new TreeSet<>(interfaceNames);
        for (final String name : List.copyOf(groups.keySet())) {
            if (!wanted.contains(name)) {
                release(name);
            }
        }
        for (final String name : wanted) {
            if (!groups.containsKey(name)) {
                openGroup(name);
            }
        }
    }

    @Override
    public void reopen(final String interfaceName) {
        checkOpen();
        if (!wanted.contains(interfaceName)) {
            return; // not wanted: nothing to reopen
        }
        release(interfaceName);
        openGroup(interfaceName);
    }

    /**
     * The (group, port) pairs rules receive on {@code interfaceName}: its sockets' filter becomes exact for them (or
     * coarse above the limit, or when the kernel's option memory refuses it), in place. Remembered for an interface
     * whose sockets open later.
     */
    public void setDestinations(final String interfaceName, final Collection<UdpDestination> inUse) {
        checkOpen();
        attach(interfaceName, List.copyOf(new TreeSet<>(inUse)));
    }

    @Override
    public void setFilter(final String interfaceName, final SortedSet<InputSockets.Destination> destinations) {
        checkOpen();
        // Sorted and distinct already, in the same order (address unsigned, then port).
        final List<UdpDestination> exact = new ArrayList<>(destinations.size());
        destinations.forEach(d -> exact.add(new UdpDestination(d.address(), d.port())));
        attach(interfaceName, List.copyOf(exact));
    }

    /**
     * Remembers {@code sorted} (distinct, in order) for {@code interfaceName} and attaches its filter to the open
     * sockets, unless they hold the coarse filter and keep it: more entries than the exact filter takes, before and
     * now (a table of thousands of rules on one input then costs no program and no system call per change).
     */
    private void attach(final String interfaceName, final List<UdpDestination> sorted) {
        final List<UdpDestination> before = destinations.put(interfaceName, sorted);
        final Group group = groups.get(interfaceName);
        if (group == null || before != null && before.size() > PacketPrograms.EXACT_ENTRIES_MAX
            && sorted.size() > PacketPrograms.EXACT_ENTRIES_MAX) {
            return;
        }
        for (final PacketRxRing member : group.members()) {
            member.attachUdpFilter(sorted);
        }
    }

    @Override
    public long generation(final String interfaceName) {
        final Group group = groups.get(interfaceName);
        return group == null ? -1 : group.generation();
    }

    /**
     * A duplicate of worker {@code workerIndex}'s ring descriptor on an open interface, as an {@link OwnedFd} the
     * caller sends over the worker's channel and closes (the ring stays the supervisor's, so a replacement worker
     * adopts it with what arrived meanwhile).
     */
    @Override
    public PassedDescriptor member(final String interfaceName, final int workerIndex) {
        final Group group = groups.get(interfaceName);
        if (group == null || workerIndex < 0 || workerIndex >= group.members().size()) {
            return null;
        }
        final OwnedFd view = new OwnedFd(group.members().get(workerIndex).fd());
        try {
            return view.duplicate();
        } finally {
            view.take(); // the view never owned it: the ring keeps its descriptor
        }
    }

    /** The interfaces whose sockets are open, in name order: the order of {@link #descriptors}. */
    public List<String> openInterfaces() {
        return List.copyOf(groups.keySet());
    }

    /** Worker {@code workerIndex}'s ring descriptor on every open interface, in {@link #openInterfaces} order. */
    public int[] descriptors(final int workerIndex) {
        if (workerIndex < 0 || workerIndex >= config.workers()) {
            throw new IllegalArgumentException("no worker " + workerIndex + " (workers: " + config.workers() + ")");
        }
        return groups.values().stream().mapToInt(group -> group.members().get(workerIndex).fd()).toArray();
    }

    /**
     * Worker {@code workerIndex}'s ring on an open interface. The supervisor never reads it (its worker does, through
     * the descriptor); this is for diagnostics such as {@link PacketRxRing#statistics()}, and for tests.
     */
    public PacketRxRing ring(final String interfaceName, final int workerIndex) {
        final Group group = groups.get(interfaceName);
        if (group == null) {
            throw new IllegalArgumentException("no open sockets on " + interfaceName);
        }
        return group.members().get(workerIndex);
    }

    /** The kernel-chosen fanout group id of an open interface, or -1. */
    public int fanoutGroupId(final String interfaceName) {
        final Group group = groups.get(interfaceName);
        return group == null ? -1 : group.groupId();
    }

    /** Grows whenever a socket opened or closed: the workers' descriptors must then be handed over again. */
    public long version() {
        return version;
    }

    /** The interfaces wanted but not open (their last open failed). */
    public Set<String> failed() {
        final TreeSet<String> failed = new TreeSet<>(wanted);
        failed.removeAll(groups.keySet());
        return failed;
    }

    private void openGroup(final String name) {
        final List<PacketRxRing> members = new ArrayList<>(config.workers());
        try {
            int groupId = 0;
            for (int i = 0; i < config.workers(); i++) {
                // The coarse filter goes on before the socket is bound: no frame of another interface, and nothing
                // but incoming IPv4/UDP, is ever queued for a worker; the exact one (with its fallback when the
                // kernel's option memory refuses it) replaces it before the socket joins the group.
                final PacketRxRing ring = PacketRxRing.open(name, config.blockBytes(), config.blocks(),
                    config.retireMillis(), PacketPrograms.coarseUdpFilter());
                members.add(ring);
                final List<UdpDestination> inUse = destinations.get(name);
                if (inUse != null) {
                    ring.attachUdpFilter(inUse);
                }
                if (config.receiveBufferBytes() > 0) {
                    ring.requestReceiveBuffer(config.receiveBufferBytes(), true);
                }
                if (i == 0) {
                    ring.joinFanout(0, FanoutMode.CBPF, FanoutFlag.UNIQUEID);
                    groupId = ring.fanoutGroup().orElseThrow(() -> new IllegalStateException(
                        "the kernel reports no fanout group for the first socket on " + name)).id();
                    ring.setFanoutProgram(PacketPrograms.flowHashFanout());
                } else {
                    ring.joinFanout(groupId, FanoutMode.CBPF);
                }
            }
            groups.put(name, new Group(name, groupId, List.copyOf(members), ++generations));
            version++;
            LOG.info("input {}: {} packet sockets in fanout group {} (flow hash)", name, members.size(), groupId);
        } catch (final LinuxException e) {
            members.forEach(PacketRxRing::close);
            LOG.warn("input {}: cannot open its packet sockets, retried when it changes: {}", name, e.getMessage());
        }
    }

    /** Takes {@code name}'s group out of use: no longer handed over, open until {@link #closeReleased}. */
    private void release(final String name) {
        final Group group = groups.remove(name);
        if (group != null) {
            released.add(group);
            version++;
            LOG.info("input {}: packet sockets (generation {}) taken back from the workers", name,
                group.generation());
        }
    }

    @Override
    public void closeReleased(final String interfaceName, final long generation) {
        for (int i = 0; i < released.size(); i++) {
            final Group group = released.get(i);
            if (group.interfaceName().equals(interfaceName) && group.generation() == generation) {
                released.remove(i);
                group.members().forEach(PacketRxRing::close);
                LOG.info("input {}: packet sockets closed (generation {})", interfaceName, generation);
                return;
            }
        }
    }

    /** The generations taken out of use and not closed yet, as "name/generation", oldest first (for tests). */
    public List<String> releasedGenerations() {
        return released.stream().map(group -> group.interfaceName() + "/" + group.generation()).toList();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the input sockets are closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            for (final String name : List.copyOf(groups.keySet())) {
                release(name);
            }
            for (final Group group : List.copyOf(released)) {
                closeReleased(group.interfaceName(), group.generation());
            }
            closed = true;
        }
    }
}
