package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * {@link InputSockets} over a {@link SimNetwork}, as {@code io.mcrelay.linux.packet.PacketInputSockets} does it on
 * Linux: for every wanted input interface, one {@link SimInputGroup} ({@link SimNetwork#openInput}) with one member
 * per worker, joined in worker order, each with a ring of the configured size, all under the interface's filter
 * ({@link #setFilter}: the coarse one until the first call, remembered for an interface opened later). The supervisor
 * keeps a handle on every member for as long as the input is open, so a member outlives the worker reading it: a
 * replacement worker is handed the same member ({@link #member}) and reads what arrived meanwhile.
 *
 * <p>Generations count openings across all interfaces (1, 2, …): each {@link #setWanted} that opens an interface and
 * each {@link #reopen} takes the next; a closed interface answers -1. An interface that cannot be opened (its link
 * does not exist in the network) is left closed, and the next {@link #setWanted} or {@link #reopen} naming it tries
 * again. Sockets taken out of use ({@link #setWanted}, {@link #reopen}) keep the supervisor's handles until
 * {@link #closeReleased}, as production keeps its copies until every worker gave its own back. {@link #close()} is
 * the supervisor process's death: its handles close, and the members no worker holds leave their groups with what
 * they hold. A log of opens, closes and reopens is kept for tests. Single-threaded.
 */
public final class SimInputSockets implements InputSockets, AutoCloseable {
    /** One open input: its group, the supervisor's handle on each worker's member, in worker order. */
    private record Open(SimInputGroup group, List<SharedDescriptor> members, long generation) {
    }

    private final SimNetwork network;
    private final int workers;
    private final int memberRingFrames;
    private final TreeMap<String, Open> open = new TreeMap<>();
    /** Inputs taken out of use, by name, still held until {@link #closeReleased}, in the order they were taken. */
    private final List<Map.Entry<String, Open>> released = new ArrayList<>();
    private final TreeMap<String, SimInputFilter> filters = new TreeMap<>();
    private final List<String> log = new ArrayList<>();
    private TreeSet<String> wanted = new TreeSet<>();
    private long generations;
    private boolean closed;

    /** Input sockets of {@code workers} members each, with rings of {@code memberRingFrames} frames. */
    public SimInputSockets(final SimNetwork network, final int workers, final int memberRingFrames) {
        this.network = Objects.requireNonNull(network, "network");
        if (workers < 1 || memberRingFrames < 1) {
            throw new IllegalArgumentException("input sockets need a worker and a ring of a frame at least, not "
                + workers + " workers and rings of " + memberRingFrames);
        }
        this.workers = workers;
        this.memberRingFrames = memberRingFrames;
    }

    @Override
    public void setFilter(final String interfaceName, final SortedSet<Destination> destinations) {
        checkOpen();
        final SimInputFilter filter = SimInputFilter.of(destinations);
        filters.put(interfaceName, filter);
        final Open input = open.get(interfaceName);
        if (input != null) {
            input.group().setFilter(filter);
        }
    }

    @Override
    public void setWanted(final SortedSet<String> interfaceNames) {
        checkOpen();
        wanted = new TreeSet<>(interfaceNames);
        for (final String name : List.copyOf(open.keySet())) {
            if (!wanted.contains(name)) {
                release(name);
                log.add("close " + name);
            }
        }
        for (final String name : wanted) {
            if (!open.containsKey(name) && openInput(name)) {
                log.add("open " + name);
            }
        }
    }

    /** Opens a wanted interface's sockets anew (a new group, a new generation); one not wanted is left alone. */
    @Override
    public void reopen(final String interfaceName) {
        checkOpen();
        if (!wanted.contains(interfaceName)) {
            return;
        }
        release(interfaceName);
        if (openInput(interfaceName)) {
            log.add("reopen " + interfaceName);
        }
    }

    /** Closes the supervisor's handles on a generation taken out of use; see {@link InputSockets#closeReleased}. */
    @Override
    public void closeReleased(final String interfaceName, final long generation) {
        for (int i = 0; i < released.size(); i++) {
            final Map.Entry<String, Open> input = released.get(i);
            if (input.getKey().equals(interfaceName) && input.getValue().generation() == generation) {
                released.remove(i);
                closeHandles(input.getValue());
                return;
            }
        }
    }

    @Override
    public long generation(final String interfaceName) {
        final Open input = open.get(interfaceName);
        return input == null ? -1 : input.generation();
    }

    /** A new handle on worker {@code workerIndex}'s member, which the caller sends and closes; or null. */
    @Override
    public PassedDescriptor member(final String interfaceName, final int workerIndex) {
        final Open input = open.get(interfaceName);
        if (input == null || workerIndex < 0 || workerIndex >= workers) {
            return null;
        }
        return input.members().get(workerIndex).duplicate();
    }

    /** The group of an open interface (for tests), or null. */
    public SimInputGroup group(final String interfaceName) {
        final Open input = open.get(interfaceName);
        return input == null ? null : input.group();
    }

    /** The interfaces whose sockets are open, by name. */
    public SortedSet<String> open() {
        return new TreeSet<>(open.keySet());
    }

    /** Every open, close and reopen, in order. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** The supervisor is gone: every handle it held closes, as its process's descriptors would. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            for (final String name : List.copyOf(open.keySet())) {
                release(name);
            }
            released.forEach(input -> closeHandles(input.getValue()));
            released.clear();
            closed = true;
        }
    }

    private boolean openInput(final String name) {
        if (network.interfaceIndex(name) == 0) {
            return false; // gone meanwhile: tried again at the next setWanted or reopen naming it
        }
        final SimInputGroup group = network.openInput(name);
        group.setFilter(filters.getOrDefault(name, SimInputFilter.COARSE));
        final List<SharedDescriptor> members = new ArrayList<>(workers);
        for (int i = 0; i < workers; i++) {
            members.add(group.join(memberRingFrames));
        }
        open.put(name, new Open(group, List.copyOf(members), ++generations));
        assert group.members() == workers;
        return true;
    }

    /** Takes {@code name}'s sockets out of use: no longer handed over, held until {@link #closeReleased}. */
    private void release(final String name) {
        final Open input = open.remove(name);
        if (input != null) {
            released.add(Map.entry(name, input));
        }
    }

    private static void closeHandles(final Open input) {
        input.members().forEach(SharedDescriptor::close);
        input.group().prune(); // members no worker holds leave now, with their frames
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the input sockets are closed: their supervisor is gone");
        }
    }
}
