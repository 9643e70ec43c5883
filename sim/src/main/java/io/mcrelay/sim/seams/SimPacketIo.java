package io.mcrelay.sim.seams;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * A worker's {@link PacketIo} on a {@link SimNetwork}, with the io_uring data path's semantics: frames are read from
 * the member sockets of {@link SimInputGroup input groups} handed to the I/O ({@link #attachInput}), each from its
 * own ring, in attach order, lent only for the callback; {@link #send} copies the payload into a bounded submission
 * queue; {@link #submit()} hands queued sends to the network, which takes them at its next {@link SimNetwork#step()};
 * each send then completes, in submission order, with its byte count or a negative errno. The I/O receives nothing
 * it was not handed: a link with no input open delivers to nobody, as in production.
 *
 * <p>The submission ring is an array of payload slots allocated once and reused (a slot grows only for a longer
 * payload than it held before), so receiving, sending, submitting and completing allocate nothing in steady state.
 * A send's slot stays taken from {@link #send} until its completion is polled: a worker that stops polling
 * completions sees {@link #SEND_QUEUE_FULL}, as with a backed-up completion queue.
 *
 * <p>Opening a destination is idempotent: every {@link #openDestination} of the same (interface, group, port, ttl)
 * returns the same handle until one {@link #closeDestination} releases it (opens are not counted); a released handle
 * may be reused by a later open. Sends resolve the output link by name when the network takes them, so a send after
 * a link was re-created goes out of the new link.
 *
 * <p><b>Attached inputs.</b> {@link #attachInput} takes a {@link SharedDescriptor} on a member of a group of this
 * network; frames from it carry the group's link index. {@link #releaseInput} returns true once the member's ring is
 * empty, closing the handle (the member leaves its group when its last handle closes: the supervisor holds one).
 *
 * <p><b>Counts and errors.</b> {@link #inputCounts()} reads each attached member's counts as production reads
 * {@code PACKET_STATISTICS}: what came since the last reading, whoever read it (a member adopted from a predecessor
 * brings what it counted after the predecessor's last reading), and resets them; the I/O adds the readings up by
 * interface name ({@code packets} every frame offered to the member, taken into its ring or not, {@code ringFull} those
 * its full ring refused, {@code stagingFull} always 0: the ring is read frame by frame, nothing is staged). A release
 * reads the counts one last time before it closes the member; {@link #close()} does not (a process that dies reads
 * nothing): {@link #countsAsRead()} are then the I/O's last word. {@link #pollSendErrors} reports nothing: the
 * simulated network sends no ICMP and keeps no error queue, and every local failure is already its send's completion.
 *
 * <p>Single-threaded: created by {@link SimNetwork#attach()} and driven by the simulator's one thread.
 */
public final class SimPacketIo implements PacketIo {
    /** Submission queue size by default, as an io_uring of 256 entries. */
    public static final int DEFAULT_SUBMISSION_ENTRIES = 256;
    /** Destinations one I/O may hold open. */
    public static final int DESTINATIONS_MAX = 1 << 20;
    /** A slot's first size: an Ethernet frame of 1500-byte MTU fits. */
    static final int INITIAL_SLOT_BYTES = 2048;

    private static final byte[] EMPTY = new byte[0];
    private static final boolean ASSERTIONS;

    static {
        boolean enabled = false;
        assert enabled = true : "always true: detects -ea";
        ASSERTIONS = enabled;
    }

    /** An open destination; in-flight sends hold it, so closing it does not disturb them. */
    private static final class Destination {
        final DestinationKey key;
        final SimNetwork.Endpoint endpoint;
        final int ttl;
        final int handle;

        Destination(final DestinationKey key, final SimNetwork.Endpoint endpoint, final int ttl, final int handle) {
            this.key = key;
            this.endpoint = endpoint;
            this.ttl = ttl;
            this.handle = handle;
        }
    }

    /**
     * What makes a destination, as given to {@link #openDestination}: the group as its address bytes, so that the
     * lookup of one already open (every output of every rule at each table rebuild) formats no text and builds no
     * endpoint. The hash is computed once; the key owns its bytes once it is in the map.
     */
    private static final class DestinationKey {
        final String interfaceName;
        final byte[] group;
        final int port;
        final int ttl;
        final int hash;

        DestinationKey(final String interfaceName, final byte[] group, final int port, final int ttl) {
            this.interfaceName = interfaceName;
            this.group = group;
            this.port = port;
            this.ttl = ttl;
            // Arrays.hashCode of 239.60.a.b is a * 31 + b plus a constant: a few hundred values for thousands of
            // groups. The address is folded into 32-bit words instead (one to one for IPv4), and mixed.
            int words = 0;
            for (int i = 0; i < group.length; i++) {
                words ^= (group[i] & 0xFF) << ((3 - (i & 3)) << 3);
            }
            this.hash = mix(mix(interfaceName.hashCode() ^ words) ^ (port << 8 | ttl));
        }

        /** MurmurHash3's finaliser: one to one, every bit of the input moves every bit of the output. */
        private static int mix(final int value) {
            int h = value;
            h ^= h >>> 16;
            h *= 0x85EBCA6B;
            h ^= h >>> 13;
            h *= 0xC2B2AE35;
            return h ^ h >>> 16;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(final Object other) {
            return other instanceof DestinationKey key && hash == key.hash && port == key.port && ttl == key.ttl
                && interfaceName.equals(key.interfaceName) && java.util.Arrays.equals(group, key.group);
        }
    }

    private final SimNetwork network;
    private final UnsafeBuffer lentFrame = new UnsafeBuffer(EMPTY);

    // Submission ring, in three consecutive regions from sqHead:
    //   [sqHead, sqCompleted)   taken by the network, completion waiting for pollCompletions
    //   [sqCompleted, sqSubmitted)  submitted, waiting for the network's next step
    //   [sqSubmitted, sqTail)   queued by send, not yet submitted: invisible to the world
    // The counters only grow; a slot's index is the counter modulo the ring size.
    private final byte[][] sqSlots;
    private final int[] sqLengths;
    private final long[] sqUserData;
    private final int[] sqResults;
    private final Destination[] sqDestinations;
    private long sqHead;
    private long sqCompleted;
    private long sqSubmitted;
    private long sqTail;

    // Lookup only, never iterated: its order cannot reach an output.
    private final Map<DestinationKey, Destination> destinationsByKey = new HashMap<>();
    // The IPv4 destinations of destinationsByKey again, by interface and then by group, port and ttl in one long:
    // the lookup of one already open (every output of every rule at each table rebuild) compares no bytes. Lookup only.
    private final HashMap<String, Long2ObjectHashMap<Destination>> ipv4ByInterface = new HashMap<>();
    private Destination[] destinationsByHandle = new Destination[16];
    private final ArrayDeque<Integer> freeHandles = new ArrayDeque<>();
    private int nextHandle;
    private boolean closed;

    // Input counts by interface name: the names sorted, each count at its name's index.
    private String[] inputNames = new String[0];
    private long[] inputPackets = new long[0];
    private long[] inputRingFull = new long[0];
    private final long[] reading = new long[2];
    /** Frames lent to a {@link #pollFrames} handler, ever. */
    private long framesDelivered;

    /** An input attached while running: its name, the handle the I/O owns and the member socket it refers to. */
    private record Attached(String interfaceName, SharedDescriptor handle, SimInputGroup.Member member) {
    }

    // In attach order: the order in which pollFrames reads them.
    private final ArrayList<Attached> attached = new ArrayList<>();
    /** Moves at every attach and completed release: part of {@link #interfacesVersion()}. */
    private long inputsVersion;

    SimPacketIo(final SimNetwork network, final int submissionEntries) {
        if (submissionEntries <= 0) {
            throw new IllegalArgumentException("the submission queue size must be positive: " + submissionEntries);
        }
        this.network = network;
        sqSlots = new byte[submissionEntries][];
        sqLengths = new int[submissionEntries];
        sqUserData = new long[submissionEntries];
        sqResults = new int[submissionEntries];
        sqDestinations = new Destination[submissionEntries];
        // Slots are allocated on first use and then reused: a worker that lives briefly (the simulator restarts
        // many) costs only what it used, and after one pass over the ring nothing is allocated any more.
    }

    @Override
    public int interfaceIndex(final String interfaceName) {
        ensureOpen();
        return network.interfaceIndex(interfaceName);
    }

    @Override
    public int openDestination(final String interfaceName, final byte[] groupAddress, final int port, final int ttl) {
        ensureOpen();
        if (interfaceName == null || interfaceName.isEmpty()) {
            throw new IllegalArgumentException("a destination needs an interface");
        }
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("ttl out of range: " + ttl);
        }
        if (groupAddress.length == 4) {
            final Long2ObjectHashMap<Destination> byGroup = ipv4ByInterface.get(interfaceName);
            final Destination open = byGroup == null ? null : byGroup.get(ipv4Key(groupAddress, port, ttl));
            if (open != null) {
                assert destinationsByKey.get(new DestinationKey(interfaceName, groupAddress, port, ttl)) == open;
                return open.handle;
            }
        }
        Destination destination = destinationsByKey.get(new DestinationKey(interfaceName, groupAddress, port, ttl));
        if (destination == null) {
            final DestinationKey key = new DestinationKey(interfaceName, groupAddress.clone(), port, ttl);
            final SimNetwork.Endpoint endpoint =
                new SimNetwork.Endpoint(interfaceName, SimNetwork.groupText(groupAddress), port);
            final int handle = allocateHandle();
            destination = new Destination(key, endpoint, ttl, handle);
            destinationsByKey.put(key, destination);
            destinationsByHandle[handle] = destination;
            if (groupAddress.length == 4) {
                ipv4ByInterface.computeIfAbsent(interfaceName, name -> new Long2ObjectHashMap<>())
                    .put(ipv4Key(groupAddress, port, ttl), destination);
            }
        }
        assert destinationsByHandle[destination.handle] == destination;
        assert destinationsByKey.size() <= nextHandle : "every open destination holds a distinct handle";
        return destination.handle;
    }

    /** An IPv4 group, a port and a ttl in one long: 32 bits, 16 bits, 8 bits. */
    private static long ipv4Key(final byte[] group, final int port, final int ttl) {
        final long address = (group[0] & 0xFFL) << 24 | (group[1] & 0xFF) << 16 | (group[2] & 0xFF) << 8
            | (group[3] & 0xFF);
        return address << 24 | (long) port << 8 | ttl;
    }

    @Override
    public void closeDestination(final int destination) {
        ensureOpen();
        final Destination open = lookup(destination);
        final Destination removed = destinationsByKey.remove(open.key);
        assert removed == open : "the handle table and the key map agree";
        if (open.key.group.length == 4) {
            final Destination indexed =
                ipv4ByInterface.get(open.key.interfaceName).remove(ipv4Key(open.key.group, open.key.port, open.ttl));
            assert indexed == open : "the IPv4 index and the key map agree";
        }
        destinationsByHandle[destination] = null;
        freeHandles.push(destination);
    }

    @Override
    public long interfacesVersion() {
        // Both only grow, so the sum moves whenever either does.
        return network.linksVersion() + inputsVersion;
    }

    /**
     * Reads member socket {@code socket} of an {@link SimInputGroup} of this network from now on; see the class
     * comment and {@link PacketIo#attachInput}.
     */
    @Override
    public int attachInput(final String interfaceName, final PassedDescriptor socket) {
        try {
            Objects.requireNonNull(interfaceName, "interfaceName");
            ensureOpen();
            if (attachedIndex(interfaceName) >= 0) {
                throw new IllegalStateException("an input on " + interfaceName + " is attached already");
            }
            if (!(socket instanceof SharedDescriptor handle) || !handle.isOpen()
                || !(handle.referent() instanceof SimInputGroup.Member member)) {
                throw new IllegalArgumentException("the socket for input " + interfaceName
                    + " is not an open simulated packet socket: " + socket);
            }
            if (!member.group.linkName.equals(interfaceName)) {
                throw new IllegalArgumentException("the socket for input " + interfaceName + " is bound to "
                    + member.group.linkName);
            }
            if (!member.group.belongsTo(network)) {
                throw new IllegalArgumentException("the socket for input " + interfaceName
                    + " is of another simulated network");
            }
            inputIndex(interfaceName); // its counts' place, made now rather than at its first frame
            attached.add(new Attached(interfaceName, handle, member));
            inputsVersion++;
            return member.group.ifIndex;
        } catch (final RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            throw e;
        }
    }

    /** True once the member's ring is empty: the handle is closed then; see {@link PacketIo#releaseInput}. */
    @Override
    public boolean releaseInput(final String interfaceName) {
        final int index = attachedIndex(interfaceName);
        if (closed || index < 0) {
            return true;
        }
        final Attached input = attached.get(index);
        if (input.member().depth() > 0) {
            return false;
        }
        readCounts(input); // the last reading, just before the close
        attached.remove(index);
        input.handle().close();
        input.member().group.prune();
        inputsVersion++;
        return true;
    }

    /**
     * Reads every attached member's counts (which resets them) into the cumulative counts and returns those: every
     * input attached now or before, sorted by name; see the class comment.
     */
    @Override
    public List<InputCounts> inputCounts() {
        if (!closed) {
            for (final Attached input : attached) {
                readCounts(input);
            }
        }
        return countsAsRead();
    }

    /** The cumulative counts as last read, without reading the members (what a dead worker's process last knew). */
    public List<InputCounts> countsAsRead() {
        final List<InputCounts> counts = new ArrayList<>(inputNames.length);
        for (int i = 0; i < inputNames.length; i++) {
            counts.add(new InputCounts(inputNames[i], inputPackets[i], inputRingFull[i], 0));
        }
        return List.copyOf(counts);
    }

    /** Frames lent to a {@link #pollFrames} handler since the I/O opened. */
    public long framesDelivered() {
        return framesDelivered;
    }

    private void readCounts(final Attached input) {
        input.member().readStatistics(reading);
        final int counts = inputIndex(input.interfaceName());
        inputPackets[counts] += reading[0];
        inputRingFull[counts] += reading[1];
        assert inputRingFull[counts] <= inputPackets[counts];
    }

    private int attachedIndex(final String interfaceName) {
        for (int i = 0; i < attached.size(); i++) {
            if (attached.get(i).interfaceName().equals(interfaceName)) {
                return i;
            }
        }
        return -1;
    }

    /** Reports nothing, ever: see the class comment. */
    @Override
    public int pollSendErrors(final SendErrorHandler handler, final int limit) {
        return 0;
    }

    @Override
    public int sendCapacity() {
        return closed ? 0 : (int) (sqSlots.length - (sqTail - sqHead));
    }

    @Override
    public int send(final int destination, final DirectBuffer payload, final int offset, final int length,
        final long userData) {
        ensureOpen();
        final Destination target = lookup(destination);
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        if (sqTail - sqHead == sqSlots.length) {
            return SEND_QUEUE_FULL;
        }
        final int slot = (int) (sqTail % sqSlots.length);
        // A payload too long for UDP is not copied: the network completes it with -EMSGSIZE, as the kernel would.
        if (length <= SimNetwork.UDP_PAYLOAD_BYTES_MAX) {
            if (sqSlots[slot] == null || sqSlots[slot].length < length) {
                sqSlots[slot] = new byte[Math.max(length, INITIAL_SLOT_BYTES)];
            }
            payload.getBytes(offset, sqSlots[slot], 0, length);
        }
        sqLengths[slot] = length;
        sqUserData[slot] = userData;
        sqDestinations[slot] = target;
        sqTail++;
        assert sqTail - sqHead <= sqSlots.length;
        return 0;
    }

    @Override
    public int submit() {
        ensureOpen();
        final int submitted = (int) (sqTail - sqSubmitted);
        sqSubmitted = sqTail;
        assert sqHead <= sqCompleted && sqCompleted <= sqSubmitted;
        return submitted;
    }

    @Override
    public int pollFrames(final FrameHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        for (int i = 0; i < attached.size() && delivered < limit; i++) {
            delivered += pollMember(attached.get(i).member(), handler, limit - delivered);
        }
        assert delivered <= limit;
        return delivered;
    }

    private int pollMember(final SimInputGroup.Member member, final FrameHandler handler, final int limit) {
        int delivered = 0;
        while (delivered < limit && member.depth() > 0) {
            final int length = member.peekLength();
            lentFrame.wrap(member.peekFrame(), 0, length);
            delivered++;
            framesDelivered++;
            try {
                handler.onFrame(member.group.ifIndex, lentFrame, 0, length);
            } finally {
                // The frame was lent for the call only: a handler that kept the buffer now reads nothing, and with
                // assertions on, the slot's bytes are scribbled, as a reused ring slot's would be. Freed only after
                // the call, so nothing overwrites the slot while it is lent; freed even if the handler threw.
                lentFrame.wrap(EMPTY);
                member.remove(ASSERTIONS);
            }
        }
        return delivered;
    }

    @Override
    public int pollCompletions(final CompletionHandler handler, final int limit) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        while (delivered < limit && sqHead < sqCompleted) {
            final int slot = (int) (sqHead % sqSlots.length);
            final long userData = sqUserData[slot];
            final int result = sqResults[slot];
            sqDestinations[slot] = null;
            // Freed before the call so that a handler may send again at once.
            sqHead++;
            delivered++;
            handler.onSendComplete(userData, result);
        }
        assert sqHead <= sqCompleted && delivered <= limit;
        return delivered;
    }

    /**
     * Closes the I/O as a process's death closes its descriptors: it leaves the network, which counts its submitted
     * sends as dropped; its members' handles close without a last reading of their counts. A member another handle
     * keeps (the supervisor's) keeps its frames and counts for the next reader; one that leaves its group loses them
     * (counted there).
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            network.detach(this, (int) (sqSubmitted - sqCompleted));
            for (final Attached input : attached) {
                input.handle().close();
                input.member().group.prune();
            }
            attached.clear();
            Arrays.fill(sqDestinations, null);
            sqHead = sqCompleted = sqSubmitted = sqTail;
        }
    }

    /** Frames waiting in the rings of the inputs attached now. */
    public int rxDepth() {
        int depth = 0;
        for (final Attached input : attached) {
            depth += input.member().depth();
        }
        return depth;
    }

    /** Sends queued and not yet completed to the worker (queued, submitted or waiting to be polled). */
    public int sendsOutstanding() {
        return (int) (sqTail - sqHead);
    }

    /** Destinations open now. */
    public int openDestinations() {
        return destinationsByKey.size();
    }

    /** Called by the network's step: hands every submitted send to it; returns how many. */
    int transmitSubmitted() {
        assert !closed;
        int taken = 0;
        while (sqCompleted < sqSubmitted) {
            final int slot = (int) (sqCompleted % sqSlots.length);
            final Destination destination = sqDestinations[slot];
            sqResults[slot] = network.transmit(destination.endpoint, destination.ttl, sqSlots[slot], sqLengths[slot]);
            sqCompleted++;
            taken++;
        }
        assert taken <= sqSlots.length && sqCompleted == sqSubmitted;
        return taken;
    }

    /** The index of {@code interfaceName}'s counts, made the first time the name is seen. */
    private int inputIndex(final String interfaceName) {
        final int found = Arrays.binarySearch(inputNames, interfaceName);
        if (found >= 0) {
            return found;
        }
        final int at = -found - 1;
        inputNames = insert(inputNames, at, interfaceName);
        inputPackets = insert(inputPackets, at);
        inputRingFull = insert(inputRingFull, at);
        assert inputNames.length == inputPackets.length && inputNames.length == inputRingFull.length;
        return at;
    }

    private static String[] insert(final String[] names, final int at, final String name) {
        final String[] grown = new String[names.length + 1];
        System.arraycopy(names, 0, grown, 0, at);
        grown[at] = name;
        System.arraycopy(names, at, grown, at + 1, names.length - at);
        return grown;
    }

    private static long[] insert(final long[] counts, final int at) {
        final long[] grown = new long[counts.length + 1];
        System.arraycopy(counts, 0, grown, 0, at);
        System.arraycopy(counts, at, grown, at + 1, counts.length - at);
        return grown;
    }

    private int allocateHandle() {
        if (!freeHandles.isEmpty()) {
            return freeHandles.pop();
        }
        if (nextHandle == DESTINATIONS_MAX) {
            throw new IllegalStateException("more than " + DESTINATIONS_MAX + " destinations open");
        }
        if (nextHandle == destinationsByHandle.length) {
            destinationsByHandle = Arrays.copyOf(destinationsByHandle, destinationsByHandle.length * 2);
        }
        return nextHandle++;
    }

    private Destination lookup(final int handle) {
        final Destination destination =
            handle >= 0 && handle < destinationsByHandle.length ? destinationsByHandle[handle] : null;
        if (destination == null) {
            throw new IllegalArgumentException("destination " + handle + " is not open");
        }
        return destination;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("packet I/O is closed");
        }
    }
}
