package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import io.mcrelay.linux.packet.MulticastSockets;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The destinations of the production {@link PacketIo} backends: one connected UDP socket per (interface, group,
 * port, TTL) ({@link MulticastSockets#openEgress}, {@link MulticastSockets#connect}), opened on the first
 * {@link #open} and shared by every later open of the same destination, which returns the same handle.
 *
 * <p>Opening never throws for the environment: a destination whose interface is missing gets no socket, remembers
 * the errno and is opened again on the next {@link #open} (a worker opens its destinations again whenever
 * {@link #version()} moves); sends to it complete with that errno. A socket stays bound to the interface index it
 * was opened on: when sends fail as if the link were gone ({@code ENETUNREACH}, {@code ENETDOWN}, {@code ENODEV},
 * {@code ENXIO}), the socket is asked which device it is bound to ({@code getsockopt(SO_BINDTODEVICE)}, which
 * fails with {@code ENXIO} once that index is gone) on the first failure of a run and on every
 * {@value #RECHECK_EVERY}th after it (a system call, but no allocation, and not per packet); if the interface
 * vanished or was re-created with a new index, the socket is closed once no send to it is in flight and
 * {@link #version()} moves, so that the worker opens the destination again on the new interface. A link that is
 * merely down keeps its socket, which works again once the link is up.
 *
 * <p>A socket is closed only when its handle was released and no send to it is in flight: a queued send never
 * meets a closed (or reused) descriptor. Every socket has {@code IP_RECVERR} ({@link MulticastSockets#openEgress});
 * the backend watches its error queue through a {@link SocketWatch}, which learns of each socket opened and is asked
 * before one is closed: a watch with a request on the socket still in the kernel takes the descriptor over and closes
 * it once that request has ended, so that no kernel request outlives its descriptor's number. Opening and closing
 * allocate; sending and completing do not. Single-threaded.
 */
final class EgressDestinations implements AutoCloseable {
    /** Linux's default multicast TTL ({@code IP_MULTICAST_TTL}), used when a destination asks for 0. */
    static final int DEFAULT_TTL = 1;
    static final int DESTINATIONS_MAX = 1 << 20;
    private static final int ENODEV = 19;
    private static final int ENETUNREACH = 101;
    /** While sends keep failing, the interface index is checked again after this many failures. */
    static final int RECHECK_EVERY = 256;

    private record Key(String interfaceName, int address, int port, int ttl) {
    }

    /** What a backend hears of the sockets' lives, to watch their error queues. */
    interface SocketWatch {
        /** A watch that watches nothing: every socket is closed at once. */
        SocketWatch NONE = new SocketWatch() {
            @Override
            public void opened(final int handle, final int fd) {
            }

            @Override
            public boolean closing(final int handle, final int fd) {
                return true;
            }
        };

        /** Destination {@code handle} has a new connected socket, {@code fd}. */
        void opened(int handle, int fd);

        /**
         * Destination {@code handle}'s socket {@code fd} is done with (the destination keeps no socket from now on):
         * true when the caller is to close it now, false when the watch took it over and closes it itself.
         */
        boolean closing(int handle, int fd);
    }

    private static final MethodHandle GETSOCKOPT = SocketCalls.GETSOCKOPT_RAW;
    /** {@code IFNAMSIZ} from {@code linux/if.h}. */
    private static final int IFNAMSIZ = 16;

    private final int sendBufferBytes;
    private final MemorySegment capture;
    private final MemorySegment boundName;
    private final MemorySegment boundNameLength;
    // Lookup only, never iterated: its order reaches nothing observable.
    private final Map<Key, Integer> byKey = new HashMap<>();
    private Key[] keys = new Key[16];
    private int[] fds = new int[16];
    private int[] errnos = new int[16];
    private int[] inFlight = new int[16];
    private int[] failures = new int[16];
    private boolean[] released = new boolean[16];
    private int[] freeHandles = new int[16];
    private int freeCount;
    private int nextHandle;
    private long version;
    private SocketWatch watch = SocketWatch.NONE;

    /** Destinations whose sockets get {@code sendBufferBytes} (0: the default); lookup memory from {@code arena}. */
    EgressDestinations(final Arena arena, final int sendBufferBytes) {
        capture = arena.allocate(Syscalls.CAPTURE);
        boundName = arena.allocate(IFNAMSIZ);
        boundNameLength = arena.allocate(ValueLayout.JAVA_INT);
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
            handle = allocateHandle();
            keys[handle] = key;
            fds[handle] = -1;
            errnos[handle] = 0;
            inFlight[handle] = 0;
            released[handle] = false;
            failures[handle] = 0;
            byKey.put(key, handle);
        } else {
            handle = existing;
        }
        if (fds[handle] < 0 && inFlight[handle] == 0) {
            connectSocket(handle, groupAddress);
        }
        assert byKey.get(keys[handle]) == handle;
        return handle;
    }

    private void connectSocket(final int handle, final byte[] groupAddress) {
        final Key key = keys[handle];
        int fd = -1;
        try {
            fd = MulticastSockets.openEgress(key.interfaceName(), key.ttl() == 0 ? DEFAULT_TTL : key.ttl(),
                sendBufferBytes);
            MulticastSockets.connect(fd, (Inet4Address) InetAddress.getByAddress(groupAddress), key.port());
            fds[handle] = fd;
            errnos[handle] = 0;
            failures[handle] = 0;
            watch.opened(handle, fd);
        } catch (final LinuxException e) {
            if (fd >= 0) {
                Syscalls.close(fd);
            }
            fds[handle] = -1;
            errnos[handle] = e.errno(); // e.g. ENODEV: the interface does not exist (yet)
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 address", e);
        }
    }

    /** Releases a handle; its socket closes once no send to it is in flight. */
    void close(final int handle) {
        check(handle);
        released[handle] = true;
        byKey.remove(keys[handle]);
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

    /** The connected socket, or -1 when it could not be opened (see {@link #errno}). */
    int fd(final int handle) {
        return fds[handle];
    }

    /** Why the destination has no socket: a positive errno. */
    int errno(final int handle) {
        return errnos[handle] == 0 ? ENODEV : errnos[handle];
    }

    /** A send to {@code handle} was queued. */
    void sendQueued(final int handle) {
        inFlight[handle]++;
    }

    /** A send to {@code handle} completed with {@code result}. */
    void sendCompleted(final int handle, final int result) {
        assert inFlight[handle] > 0 : "a completion without a send";
        inFlight[handle]--;
        if (result >= 0) {
            failures[handle] = 0;
        } else if (fds[handle] >= 0 && (result == -ENETUNREACH || result == -PacketIo.ENETDOWN || result == -ENODEV
            || result == -PacketIo.ENXIO) && failures[handle]++ % RECHECK_EVERY == 0 && interfaceReplaced(handle)) {
            // Bound to an interface index that no longer exists: this socket can never send again.
            errnos[handle] = ENODEV;
            version++;
            closeSocketWhenIdle(handle);
        }
        finishIfIdle(handle);
    }

    /**
     * Whether the device the destination's socket is bound to is gone (its index no longer names a device, or names
     * another one): asked of the socket itself, so the answer is that of the socket's namespace, whatever thread
     * asks.
     */
    private boolean interfaceReplaced(final int handle) {
        final String name = keys[handle].interfaceName();
        boundNameLength.set(ValueLayout.JAVA_INT, 0, (int) boundName.byteSize());
        final int result;
        try {
            result = (int) GETSOCKOPT.invokeExact(capture, fds[handle], Syscalls.SOL_SOCKET,
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

    private void closeSocketWhenIdle(final int handle) {
        if (inFlight[handle] == 0 && fds[handle] >= 0) {
            closeSocket(handle);
        }
    }

    /** Lets the destination's socket go: from here on it has none; the watch may close the descriptor later. */
    private void closeSocket(final int handle) {
        final int fd = fds[handle];
        fds[handle] = -1;
        if (watch.closing(handle, fd)) {
            Syscalls.close(fd);
        }
    }

    private void finishIfIdle(final int handle) {
        if (inFlight[handle] > 0) {
            return;
        }
        if (errnos[handle] != 0) {
            closeSocketWhenIdle(handle);
        }
        if (released[handle]) {
            if (fds[handle] >= 0) {
                closeSocket(handle);
            }
            keys[handle] = null;
            released[handle] = false;
            if (freeCount == freeHandles.length) {
                freeHandles = Arrays.copyOf(freeHandles, freeCount * 2);
            }
            freeHandles[freeCount++] = handle;
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
            fds = Arrays.copyOf(fds, grown);
            errnos = Arrays.copyOf(errnos, grown);
            inFlight = Arrays.copyOf(inFlight, grown);
            failures = Arrays.copyOf(failures, grown);
            released = Arrays.copyOf(released, grown);
        }
        return nextHandle++;
    }

    /**
     * Closes every socket, in flight or not, without asking the watch (the backend has stopped its kernel I/O first
     * and closes what its watch took over).
     */
    @Override
    public void close() {
        for (int handle = 0; handle < nextHandle; handle++) {
            if (keys[handle] != null && fds[handle] >= 0) {
                Syscalls.close(fds[handle]);
                fds[handle] = -1;
            }
        }
        byKey.clear();
    }
}
