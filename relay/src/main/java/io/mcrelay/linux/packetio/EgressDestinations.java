package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import org.agrona.collections.Long2LongHashMap;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The destinations of the production {@link PacketIo} backends and the sockets they are sent through: one
 * unconnected UDP socket per (interface, TTL) ({@link MulticastSockets#openEgress}), shared by every destination
 * (interface, address, port, TTL) out of that interface with that TTL, each of which names its address in every
 * message it sends ({@code sendmmsg} with {@code msg_name}, {@link DestinationSends}). A table of 10,000 outputs on
 * one interface thus needs one socket, not 10,000 (opening and configuring a socket is six system calls), and the
 * sends of one duty cycle to all of them go in one {@code sendmmsg}. A destination is opened on the first
 * {@link #open} and shared by every later open of the same destination, which returns the same handle; its socket
 * is opened with the first destination that needs it.
 *
 * <p>Opening never throws for the environment: a socket whose interface is missing is not opened, remembers the
 * errno and is opened again on the next {@link #open} of one of its destinations (a worker opens its destinations
 * again whenever {@link #version()} moves); sends to its destinations complete with that errno. A socket stays bound
 * to the interface index it was opened on: when sends through it fail as if the link were gone ({@code ENETUNREACH},
 * {@code ENETDOWN}, {@code ENODEV}, {@code ENXIO}), the socket is asked which device it is bound to
 * ({@code getsockopt(SO_BINDTODEVICE)}, which fails with {@code ENXIO} once that index is gone) on the first failure
 * of a run and on every {@value #RECHECK_EVERY}th after it (a system call, but no allocation, and not per packet); if
 * the interface vanished or was re-created with a new index, the socket is closed once no send through it is in
 * flight and {@link #version()} moves, so that the worker opens its destinations again on the new interface. A link
 * that is merely down keeps its socket, which works again once the link is up.
 *
 * <p>A socket is closed only when no open destination uses it and no send through it is in flight: a queued send
 * never meets a closed (or reused) descriptor. Every socket has {@code IP_RECVERR}; the backend watches its error
 * queue through a {@link SocketWatch}, which learns of each socket opened and is asked before one is closed: a watch
 * with a request on the socket still in the kernel takes the descriptor over and closes it once that request has
 * ended, so that no kernel request outlives its descriptor's number. A report on a socket's error queue names the
 * address and port of the datagram that met the error; {@link #handleOf} finds the destination it was sent to.
 * Opening and closing allocate; sending, completing and finding a report's destination do not. Single-threaded.
 */
final class EgressDestinations implements AutoCloseable {
    static final int DESTINATIONS_MAX = 1 << 20;
    /** Sockets at most: an index fits the 16 bits {@link #addressKey} gives it. */
    static final int SOCKETS_MAX = 1 << 16;
    private static final int ENODEV = 19;
    private static final int ENETUNREACH = 101;
    private static final short AF_INET = 2;
    /** While sends keep failing, the interface index is checked again after this many failures. */
    static final int RECHECK_EVERY = 256;
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
        ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private record Key(String interfaceName, int address, int port, int ttl) {
    }

    private record SocketKey(String interfaceName, int ttl) {
    }

    /** What a backend hears of the sockets' lives, to watch their error queues. */
    interface SocketWatch {
        /** A watch that watches nothing: every socket is closed at once. */
        SocketWatch NONE = new SocketWatch() {
            @Override
            public void opened(final int socket, final int fd) {
            }

            @Override
            public boolean closing(final int socket, final int fd) {
                return true;
            }
        };

        /** Socket {@code socket} (an index, {@link #socket}) was opened as descriptor {@code fd}. */
        void opened(int socket, int fd);

        /**
         * Socket {@code socket}'s descriptor {@code fd} is done with (the index has no descriptor from now on): true
         * when the caller is to close it now, false when the watch took it over and closes it itself.
         */
        boolean closing(int socket, int fd);
    }

    /** {@code IFNAMSIZ} from {@code linux/if.h}. */
    private static final int IFNAMSIZ = 16;

    private final int sendBufferBytes;
    private final MemorySegment capture;
    private final MemorySegment boundName;
    private final MemorySegment boundNameLength;
    /** The first 8 bytes of a {@code struct sockaddr_in} (family, port, address), made to be read as one long. */
    private final MemorySegment sockaddrScratch;
    private SocketWatch watch = SocketWatch.NONE;
    private long version;

    // Destinations by handle. Lookup only, never iterated: its order reaches nothing observable.
    private final Map<Key, Integer> byKey = new HashMap<>();
    /** Open destinations by {@link #addressKey}, for the error queues' reports. */
    private final Long2LongHashMap byAddress = new Long2LongHashMap(-1);
    private Key[] keys = new Key[16];
    private int[] socketOf = new int[16];
    private long[] sockaddrHeads = new long[16];
    private int[] inFlight = new int[16];
    private boolean[] released = new boolean[16];
    private int[] freeHandles = new int[16];
    private int freeCount;
    private int nextHandle;

    // Sockets by index. Lookup only, never iterated.
    private final Map<SocketKey, Integer> bySocketKey = new HashMap<>();
    private SocketKey[] socketKeys = new SocketKey[4];
    private int[] fds = new int[4];
    private int[] errnos = new int[4];
    /** Destinations using the socket: open, or released with sends still in flight. */
    private int[] users = new int[4];
    private int[] socketInFlight = new int[4];
    private int[] failures = new int[4];
    private int[] freeSockets = new int[4];
    private int freeSocketCount;
    private int nextSocket;
    private int openSockets;

    /** Destinations whose sockets get {@code sendBufferBytes} (0: the default); lookup memory from {@code arena}. */
    EgressDestinations(final Arena arena, final int sendBufferBytes) {
        capture = arena.allocate(Syscalls.CAPTURE);
        boundName = arena.allocate(IFNAMSIZ);
        boundNameLength = arena.allocate(ValueLayout.JAVA_INT);
        sockaddrScratch = arena.allocate(8, 8);
        if (sendBufferBytes < 0) {
            throw new IllegalArgumentException("send buffer size must not be negative: " + sendBufferBytes);
        }
        this.sendBufferBytes = sendBufferBytes;
    }

    /** Tells {@code socketWatch} of every socket opened and closed from now on (set before the first open). */
    void watch(final SocketWatch socketWatch) {
        if (nextHandle > 0) {
            throw new IllegalStateException("a socket watch is set before the first destination opens");
        }
        watch = Objects.requireNonNull(socketWatch, "socketWatch");
    }

    /** Opens (or finds) the destination; see the class comment. */
    int open(final String interfaceName, final byte[] groupAddress, final int port, final int ttl) {
        if (interfaceName == null || interfaceName.isEmpty()) {
            throw new IllegalArgumentException("a destination needs an interface");
        }
        if (groupAddress == null || groupAddress.length != 4) {
            throw new IllegalArgumentException("an IPv4 destination address is 4 bytes");
        }
        if (port < 1 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("ttl out of range: " + ttl);
        }
        final int address = (groupAddress[0] & 0xFF) << 24 | (groupAddress[1] & 0xFF) << 16
            | (groupAddress[2] & 0xFF) << 8 | groupAddress[3] & 0xFF;
        final Key key = new Key(interfaceName, address, port, ttl);
        final Integer existing = byKey.get(key);
        final int handle;
        if (existing == null) {
            final int socket = socketFor(new SocketKey(interfaceName, ttl)); // 0: the kernel's defaults
            handle = allocateHandle();
            keys[handle] = key;
            socketOf[handle] = socket;
            inFlight[handle] = 0;
            released[handle] = false;
            sockaddrScratch.set(ValueLayout.JAVA_SHORT, 0, AF_INET);
            sockaddrScratch.set(NET_SHORT, 2, (short) port);
            sockaddrScratch.set(NET_INT, 4, address);
            sockaddrHeads[handle] = sockaddrScratch.get(ValueLayout.JAVA_LONG, 0);
            users[socket]++;
            byKey.put(key, handle);
            byAddress.put(addressKey(socket, address, port), handle);
        } else {
            handle = existing;
        }
        final int socket = socketOf[handle];
        if (fds[socket] < 0 && socketInFlight[socket] == 0) {
            openSocket(socket);
        }
        assert byKey.get(keys[handle]) == handle;
        return handle;
    }

    /** The socket for {@code key}: the one open (or failed) already, or a new index without a descriptor yet. */
    private int socketFor(final SocketKey key) {
        final Integer existing = bySocketKey.get(key);
        if (existing != null) {
            return existing;
        }
        final int socket = allocateSocket();
        socketKeys[socket] = key;
        fds[socket] = -1;
        errnos[socket] = 0;
        users[socket] = 0;
        socketInFlight[socket] = 0;
        failures[socket] = 0;
        bySocketKey.put(key, socket);
        openSockets++;
        return socket;
    }

    private void openSocket(final int socket) {
        final SocketKey key = socketKeys[socket];
        try {
            final int fd = MulticastSockets.openEgress(key.interfaceName(), key.ttl(), sendBufferBytes);
            fds[socket] = fd;
            errnos[socket] = 0;
            failures[socket] = 0;
            watch.opened(socket, fd);
        } catch (final LinuxException e) {
            fds[socket] = -1;
            errnos[socket] = e.errno(); // e.g. ENODEV: the interface does not exist (yet)
        }
    }

    /** The key under which {@link #handleOf} finds a destination: socket, address and port in one long. */
    private static long addressKey(final int socket, final int address, final int port) {
        return (long) socket << 48 | (address & 0xFFFF_FFFFL) << 16 | port;
    }

    /**
     * The open destination that sends through {@code socket} to {@code address}:{@code port} (what an error-queue
     * report names), or -1 when none does now (it was released). Allocates nothing.
     */
    int handleOf(final int socket, final int address, final int port) {
        return (int) byAddress.get(addressKey(socket, address, port));
    }

    /** Releases a handle; it is forgotten once no send to it is in flight, its socket once no destination uses it. */
    void close(final int handle) {
        check(handle);
        released[handle] = true;
        byKey.remove(keys[handle]);
        byAddress.remove(addressKey(socketOf[handle], keys[handle].address(), keys[handle].port()));
        finishIfIdle(handle);
    }

    /** Throws if {@code handle} is not an open destination (a programmer error, as in the simulated I/O). */
    void check(final int handle) {
        if (handle < 0 || handle >= nextHandle || keys[handle] == null || released[handle]) {
            throw new IllegalArgumentException("destination " + handle + " is not open");
        }
    }

    /** Whether {@code handle} is open: handed out and not released (a released one may still have sends in flight). */
    boolean isOpen(final int handle) {
        return handle >= 0 && handle < nextHandle && keys[handle] != null && !released[handle];
    }

    /** The index of the socket destination {@code handle} sends through. */
    int socket(final int handle) {
        return socketOf[handle];
    }

    /** The socket's descriptor, or -1 when it could not be opened (see {@link #socketErrno}). */
    int socketFd(final int socket) {
        return fds[socket];
    }

    /** Why the socket has no descriptor: a positive errno. */
    int socketErrno(final int socket) {
        return errnos[socket] == 0 ? ENODEV : errnos[socket];
    }

    /** The descriptor destination {@code handle} sends through, or -1 when there is none (see {@link #errno}). */
    int fd(final int handle) {
        return fds[socketOf[handle]];
    }

    /** Why the destination has no socket: a positive errno. */
    int errno(final int handle) {
        return socketErrno(socketOf[handle]);
    }

    /**
     * The first 8 bytes of the destination's {@code struct sockaddr_in} (family, port and address in the byte order
     * the kernel reads), as one native long; the last 8 ({@code sin_zero}) are zeros.
     */
    long sockaddrHead(final int handle) {
        return sockaddrHeads[handle];
    }

    /** A send to {@code handle} was queued. */
    void sendQueued(final int handle) {
        inFlight[handle]++;
        socketInFlight[socketOf[handle]]++;
    }

    /** A send to {@code handle} completed with {@code result}. */
    void sendCompleted(final int handle, final int result) {
        final int socket = socketOf[handle];
        assert inFlight[handle] > 0 && socketInFlight[socket] > 0 : "a completion without a send";
        inFlight[handle]--;
        socketInFlight[socket]--;
        if (result >= 0) {
            failures[socket] = 0;
        } else if (fds[socket] >= 0 && (result == -ENETUNREACH || result == -PacketIo.ENETDOWN || result == -ENODEV
            || result == -PacketIo.ENXIO) && failures[socket]++ % RECHECK_EVERY == 0 && interfaceReplaced(socket)) {
            // Bound to an interface index that no longer exists: this socket can never send again.
            errnos[socket] = ENODEV;
        }
        if (errnos[socket] != 0 && socketInFlight[socket] == 0 && fds[socket] >= 0) {
            closeSocket(socket);
            version++; // now that it is closed, opening a destination again opens a new socket
        }
        finishIfIdle(handle);
    }

    /**
     * Whether the device the socket is bound to is gone (its index no longer names a device, or names another one):
     * asked of the socket itself, so the answer is that of the socket's namespace, whatever thread asks.
     */
    private boolean interfaceReplaced(final int socket) {
        final String name = socketKeys[socket].interfaceName();
        boundNameLength.set(ValueLayout.JAVA_INT, 0, (int) boundName.byteSize());
        final int result;
        try {
            result = (int) SocketCalls.getsockoptRaw().invokeExact(capture, fds[socket], Syscalls.SOL_SOCKET,
                MulticastSockets.SO_BINDTODEVICE, boundName.address(), boundNameLength.address());
        } catch (final Throwable t) {
            throw new IllegalStateException("getsockopt could not be called", t);
        }
        if (result != 0) {
            return true; // ENXIO: the bound index names no device any more
        }
        final int length = boundNameLength.get(ValueLayout.JAVA_INT, 0) - 1; // the kernel counts the NUL
        if (length != name.length()) {
            return true;
        }
        for (int i = 0; i < length; i++) {
            if (boundName.get(ValueLayout.JAVA_BYTE, i) != (byte) name.charAt(i)) {
                return true;
            }
        }
        return false;
    }

    /** Lets the socket's descriptor go: from here on it has none; the watch may close the descriptor later. */
    private void closeSocket(final int socket) {
        final int fd = fds[socket];
        fds[socket] = -1;
        if (watch.closing(socket, fd)) {
            Syscalls.close(fd);
        }
    }

    /** Forgets a released destination once no send to it is in flight, and its socket once no destination uses it. */
    private void finishIfIdle(final int handle) {
        if (inFlight[handle] > 0 || !released[handle]) {
            return;
        }
        final int socket = socketOf[handle];
        keys[handle] = null;
        released[handle] = false;
        if (freeCount == freeHandles.length) {
            freeHandles = Arrays.copyOf(freeHandles, freeCount * 2);
        }
        freeHandles[freeCount++] = handle;
        if (--users[socket] == 0) {
            assert socketInFlight[socket] == 0 : "sends through a socket no destination uses";
            if (fds[socket] >= 0) {
                closeSocket(socket);
            }
            bySocketKey.remove(socketKeys[socket]);
            socketKeys[socket] = null;
            openSockets--;
            if (freeSocketCount == freeSockets.length) {
                freeSockets = Arrays.copyOf(freeSockets, freeSocketCount * 2);
            }
            freeSockets[freeSocketCount++] = socket;
        }
    }

    /** Moves when a socket was lost to a vanished interface. */
    long version() {
        return version;
    }

    /** Open destinations (released ones with sends in flight not counted). */
    int openCount() {
        return byKey.size();
    }

    /** Sockets in use (with or without a descriptor): those some destination, open or still sending, uses. */
    int socketCount() {
        return openSockets;
    }

    /** One more than the highest socket index ever handed out: per-socket state is sized to it. */
    int socketCapacity() {
        return nextSocket;
    }

    private int allocateHandle() {
        if (freeCount > 0) {
            return freeHandles[--freeCount];
        }
        if (nextHandle == DESTINATIONS_MAX) {
            throw new IllegalStateException("more than " + DESTINATIONS_MAX + " destinations open");
        }
        if (nextHandle == keys.length) {
            final int grown = keys.length * 2;
            keys = Arrays.copyOf(keys, grown);
            socketOf = Arrays.copyOf(socketOf, grown);
            sockaddrHeads = Arrays.copyOf(sockaddrHeads, grown);
            inFlight = Arrays.copyOf(inFlight, grown);
            released = Arrays.copyOf(released, grown);
        }
        return nextHandle++;
    }

    private int allocateSocket() {
        if (freeSocketCount > 0) {
            return freeSockets[--freeSocketCount];
        }
        if (nextSocket == SOCKETS_MAX) {
            throw new IllegalStateException("more than " + SOCKETS_MAX + " egress sockets (interface and TTL pairs)");
        }
        if (nextSocket == socketKeys.length) {
            final int grown = socketKeys.length * 2;
            socketKeys = Arrays.copyOf(socketKeys, grown);
            fds = Arrays.copyOf(fds, grown);
            errnos = Arrays.copyOf(errnos, grown);
            users = Arrays.copyOf(users, grown);
            socketInFlight = Arrays.copyOf(socketInFlight, grown);
            failures = Arrays.copyOf(failures, grown);
        }
        return nextSocket++;
    }

    /**
     * Closes every socket, in flight or not, without asking the watch (the backend has stopped its kernel I/O first
     * and closes what its watch took over).
     */
    @Override
    public void close() {
        for (int socket = 0; socket < nextSocket; socket++) {
            if (socketKeys[socket] != null && fds[socket] >= 0) {
                Syscalls.close(fds[socket]);
                fds[socket] = -1;
            }
        }
        byKey.clear();
        byAddress.clear();
    }
}
