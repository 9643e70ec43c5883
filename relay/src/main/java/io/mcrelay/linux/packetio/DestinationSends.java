package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.Syscalls;

/**
 * How the production backends send: the queued sends through each egress socket ({@link EgressDestinations}: one
 * per interface and TTL, shared by its destinations), in the order they were queued, handed to one
 * {@code sendmmsg(MSG_DONTWAIT)} per socket at a submit (repeated after a partial send), each message naming its
 * destination ({@code msg_name}), and held while the socket's buffer is full, as a blocking socket would wait,
 * instead of being dropped at the first {@code EAGAIN}. A duty cycle's sends to any number of outputs out of one
 * interface thus cost one system call.
 *
 * <p><b>In order.</b> {@code sendmmsg} sends a socket's messages in order and stops at the first it cannot send, so
 * no send overtakes another through the same socket, and so to the same destination, whatever the socket buffer
 * does meanwhile. (Linked io_uring {@code SEND}s would give the same order, but cost a third more CPU per packet
 * here: each link is issued from task work after the one before completes.)
 *
 * <p><b>Held.</b> When a socket's buffer is full ({@code EAGAIN}), its unsent messages stay queued, in order, and
 * the socket is <em>blocked</em>: the backend watches it for writability ({@link Backend#watchWritable}) and calls
 * {@link #writable} when it may be tried again; new sends through it queue behind the held ones. The buffer is the
 * interface's (what fills it is the device's queue), so every destination out of that interface with that TTL waits
 * alike. While some open socket is not blocked, a blocked socket holds at most {@code heldMax} sends, and all
 * blocked ones together at most {@code heldTotalMax}: a send beyond that completes with {@code -EAGAIN} at once
 * (counted {@code buffer_full}), so that an output interface slower than the input for long loses its own packets
 * instead of taking every send slot from the others. When every open socket is blocked there is no other to
 * protect, and they may hold every slot. Held sends keep their slots, so the worker's send capacity shrinks and
 * frames wait in the receive ring, where the kernel counts what overflows: with every output blocked the relay slows
 * to their pace as a blocking relay would. After {@code ENOBUFS} (the device queue is full) the rest of that
 * socket's batch completes with {@code -ENOBUFS} without further calls; any other refused message completes with its
 * errno and the rest are tried.
 *
 * <p>Every completion is made within the {@link #flush} that sent it. Message headers, names and vectors are
 * allocated once; per-socket state grows when a socket opens (control path); the lists are linked through the slots:
 * nothing allocates per packet. Layouts from {@code bits/socket.h} ({@code struct mmsghdr}, 64 bytes:
 * {@code msg_name}@0, {@code msg_namelen}@8, {@code msg_iov}@16, {@code msg_iovlen}@24, {@code msg_len}@56),
 * {@code linux/uio.h} ({@code struct iovec}, 16) and {@code linux/in.h} ({@code struct sockaddr_in}, 16).
 * Single-threaded.
 */
final class DestinationSends {
    /** What the backend does for this class. */
    interface Backend {
        /** Completes {@code slot} for good with {@code result} (bytes sent or {@code -errno}). */
        void complete(int slot, int result);

        /**
         * Socket {@code socket} (an index of {@link EgressDestinations}) is blocked on descriptor {@code fd}: call
         * {@link #writable} once it may be tried again (at the latest when its buffer has room).
         */
        void watchWritable(int socket, int fd);
    }

    private static final int NONE = -1;
    private static final int MSGHDR_NAMELEN = 8;
    private static final int MSGHDR_IOV = 16;
    private static final int MSGHDR_IOVLEN = 24;
    private static final int MMSGHDR_LEN = 56;
    private static final int MMSGHDR_BYTES = 64;
    private static final int IOVEC_BYTES = 16;
    private static final int SOCKADDR_IN_BYTES = 16;
    private static final long SYS_SENDMMSG = "aarch64".equals(System.getProperty("os.arch")) ? 269 : 307;

    private final SendSlots slots;
    private final EgressDestinations destinations;
    private final int heldMax;
    private final int heldTotalMax;
    private final MemorySegment messages;
    private final MemorySegment iovecs;
    /** One {@code struct sockaddr_in} per message: the destination of the send in it. */
    private final MemorySegment names;
    /** The slots of the batch being sent, in order. */
    private final int[] batch;
    /** Per slot: the next slot in its socket's list. */
    private final int[] next;
    // Per socket: its waiting sends (head, tail, count), blocked until writable, listed among the pending.
    private int[] head = new int[0];
    private int[] tail = new int[0];
    private int[] waiting = new int[0];
    private boolean[] blocked = new boolean[0];
    private boolean[] listed = new boolean[0];
    /** Sockets with waiting sends, in the order they got their first (a FIFO ring). */
    private int[] pending = new int[0];
    private int pendingHead;
    private int pendingCount;
    /** The waiting sends of every blocked socket. */
    private int heldNow;
    /** Sockets blocked now. */
    private int blockedCount;
    private long held;
    private long heldDrops;

    /**
     * Sends for {@code slots} to {@code destinations}, with its message headers from {@code arena}; while some open
     * socket is not blocked, holds at most {@code heldMax} sends per blocked socket and {@code heldTotalMax} over all
     * of them.
     */
    DestinationSends(final Arena arena, final SendSlots slots, final EgressDestinations destinations,
        final int heldMax, final int heldTotalMax) {
        if (heldMax < 1 || heldTotalMax < heldMax) {
            throw new IllegalArgumentException("held sends must be at least 1 per socket and as many in all, not "
                + heldMax + " and " + heldTotalMax);
        }
        this.slots = slots;
        this.destinations = destinations;
        this.heldMax = heldMax;
        this.heldTotalMax = heldTotalMax;
        final int capacity = slots.capacity();
        messages = arena.allocate((long) capacity * MMSGHDR_BYTES, 8);
        iovecs = arena.allocate((long) capacity * IOVEC_BYTES, 8);
        names = arena.allocate((long) capacity * SOCKADDR_IN_BYTES, 8); // zero-filled: sin_zero stays so
        for (int i = 0; i < capacity; i++) {
            final long message = (long) i * MMSGHDR_BYTES;
            // A name (set per send) and one iovec per message, no control data.
            messages.set(ValueLayout.JAVA_LONG, message, names.address() + (long) i * SOCKADDR_IN_BYTES);
            messages.set(ValueLayout.JAVA_INT, message + MSGHDR_NAMELEN, SOCKADDR_IN_BYTES);
            messages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOV, iovecs.address() + (long) i * IOVEC_BYTES);
            messages.set(ValueLayout.JAVA_LONG, message + MSGHDR_IOVLEN, 1);
        }
        batch = new int[capacity];
        next = new int[capacity];
    }

    /** Makes room for socket {@code socket}'s state (control path). */
    void socketOpened(final int socket) {
        if (socket < head.length) {
            return;
        }
        final int capacity = Math.max(16, Integer.highestOneBit(socket) * 2);
        final int old = head.length;
        head = Arrays.copyOf(head, capacity);
        tail = Arrays.copyOf(tail, capacity);
        Arrays.fill(head, old, capacity, NONE);
        Arrays.fill(tail, old, capacity, NONE);
        waiting = Arrays.copyOf(waiting, capacity);
        blocked = Arrays.copyOf(blocked, capacity);
        listed = Arrays.copyOf(listed, capacity);
        final int[] grown = new int[capacity];
        for (int i = 0; i < pendingCount; i++) {
            grown[i] = pending[(pendingHead + i) % pending.length];
        }
        pending = grown;
        pendingHead = 0;
    }

    /**
     * Takes a queued send: it waits behind its socket's earlier sends until the next {@link #flush}. When the socket
     * is blocked and holds as many as it may, it completes with {@code -EAGAIN} at once instead.
     */
    void queue(final int slot, final Backend backend) {
        final int d = destinations.socket(slots.destination(slot));
        if (blocked[d]) {
            if (capped() && (waiting[d] >= heldMax || heldNow >= heldTotalMax)) {
                heldDrops++;
                backend.complete(slot, -Errno.EAGAIN);
                return;
            }
            heldNow++;
        }
        next[slot] = NONE;
        if (tail[d] == NONE) {
            head[d] = slot;
        } else {
            next[tail[d]] = slot;
        }
        tail[d] = slot;
        waiting[d]++;
        if (!listed[d]) {
            listed[d] = true;
            pending[(pendingHead + pendingCount++) % pending.length] = d;
        }
    }

    /**
     * Sends the waiting sends of every socket that is not blocked; returns how many messages were handed to the
     * kernel (sent, refused or held again).
     */
    int flush(final Backend backend) {
        int handed = 0;
        for (int n = pendingCount; n > 0; n--) {
            final int d = pending[pendingHead];
            pendingHead = (pendingHead + 1) % pending.length;
            pendingCount--;
            if (blocked[d]) {
                pending[(pendingHead + pendingCount++) % pending.length] = d; // still waits for room
                continue;
            }
            listed[d] = false;
            handed += send(d, backend);
        }
        return handed;
    }

    /** Sends socket {@code d}'s waiting sends; returns how many messages went to the kernel. */
    private int send(final int d, final Backend backend) {
        int count = 0;
        for (int slot = head[d]; slot != NONE; slot = next[slot]) {
            batch[count] = slot;
            final long iovec = (long) count * IOVEC_BYTES;
            iovecs.set(ValueLayout.JAVA_LONG, iovec, slots.address(slot));
            iovecs.set(ValueLayout.JAVA_LONG, iovec + 8, slots.length(slot));
            names.set(ValueLayout.JAVA_LONG, (long) count * SOCKADDR_IN_BYTES,
                destinations.sockaddrHead(slots.destination(slot)));
            count++;
        }
        assert count == waiting[d];
        head[d] = NONE;
        tail[d] = NONE;
        waiting[d] = 0;
        final int fd = destinations.socketFd(d);
        if (fd < 0) { // the socket was lost with its interface while they waited
            for (int i = 0; i < count; i++) {
                backend.complete(batch[i], -destinations.socketErrno(d));
            }
            return 0;
        }
        int start = 0;
        while (start < count) {
            final int sent = (int) Syscalls.syscall(SYS_SENDMMSG, fd, messages.address() + (long) start * MMSGHDR_BYTES,
                count - start, Syscalls.MSG_DONTWAIT, 0);
            if (sent > 0) {
                for (int i = start; i < start + sent; i++) {
                    backend.complete(batch[i], messages.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR_BYTES
                        + MMSGHDR_LEN));
                }
                start += sent;
            } else if (sent == -Errno.EAGAIN) {
                hold(d, start, count, fd, backend);
                return start;
            } else {
                backend.complete(batch[start++], sent);
                if (sent == -Errno.ENOBUFS) {
                    while (start < count) {
                        backend.complete(batch[start++], sent);
                    }
                }
            }
        }
        return count;
    }

    /**
     * Keeps {@code batch[from, count)} waiting, in order, as far as the socket and all may hold (the rest completes
     * with {@code -EAGAIN}), and blocks the socket until it is writable.
     */
    private void hold(final int d, final int from, final int count, final int fd, final Backend backend) {
        // Bounded while some other open socket is not blocked (this one is about to be).
        final boolean capped = blockedCount + 1 < destinations.socketCount();
        final int keep = capped ? Math.min(count - from, Math.min(heldMax, Math.max(0, heldTotalMax - heldNow)))
            : count - from;
        for (int i = from + keep; i < count; i++) {
            heldDrops++;
            backend.complete(batch[i], -Errno.EAGAIN);
        }
        if (keep == 0) {
            return; // nothing may be held now: tried again at the next flush
        }
        final int end = from + keep;
        for (int i = from; i < end; i++) {
            next[batch[i]] = i + 1 < end ? batch[i + 1] : NONE;
        }
        head[d] = batch[from];
        tail[d] = batch[end - 1];
        waiting[d] = keep;
        held += keep;
        heldNow += keep;
        blocked[d] = true;
        blockedCount++;
        listed[d] = true;
        pending[(pendingHead + pendingCount++) % pending.length] = d;
        backend.watchWritable(d, fd);
    }

    /** Socket {@code d} may be tried again: its held sends go at the next {@link #flush}. */
    void writable(final int d) {
        if (blocked[d]) {
            blocked[d] = false;
            blockedCount--;
            heldNow -= waiting[d];
        }
    }

    /** Whether the bounds apply: some open socket is not blocked (sends through it need slots). */
    private boolean capped() {
        return blockedCount < destinations.socketCount();
    }

    /** Sends that met a full socket buffer and were held to go again, since the I/O opened. */
    long held() {
        return held;
    }

    /** Sends refused with {@code EAGAIN} because their socket, or all, held as many as they may. */
    long heldDrops() {
        return heldDrops;
    }
}
