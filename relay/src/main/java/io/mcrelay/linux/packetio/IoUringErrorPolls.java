package io.mcrelay.linux.packetio;

import java.util.Arrays;

import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The error-queue side of {@link IoUringPacketIo}: one {@code POLL_ADD} for {@code POLLERR} on every egress socket
 * (multishot where the kernel has it, else one-shot and armed again once the queue was read), so that the I/O learns
 * which sockets hold reports from completions it reaps anyway, and reads only those: no system call while no error is
 * pending.
 *
 * <p>Each socket gets a <em>watch</em>: a slot with the descriptor, the socket's index ({@link EgressDestinations}), a generation and where
 * the watch is in its life. The poll's user data names the slot and its generation ({@link #userData}), so a completion
 * of an earlier life of a reused slot is told apart and ignored. When {@link EgressDestinations} lets a socket go
 * ({@link #closing}) while its poll may still be in the kernel (prepared, or armed), the watch takes the descriptor
 * over, queues a {@code POLL_REMOVE} and closes the descriptor only at the poll's last completion: the ring never holds
 * a poll on a closed descriptor, nor on a number that a new socket reuses. A socket whose poll is not in the kernel is
 * closed at once.
 *
 * <p>Entries are prepared only within the budget {@link #prepare} is given, so that sends always find room in the
 * submission queue; what does not fit waits for the next submit. The slots and queues grow when destinations open
 * (allocation then only); arming, completing and reading allocate nothing. Single-threaded, owned by its I/O.
 */
final class IoUringErrorPolls implements EgressDestinations.SocketWatch {
    private static final int SLOT_BITS = 24;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
    /** A slot's life: free; watching a destination's socket; its socket let go, its poll being removed. */
    private static final byte FREE = 0;
    private static final byte ACTIVE = 1;
    private static final byte CLOSING = 2;

    private final long pollKind;
    private final long removeKind;
    private final LinuxPacketIo io;

    private int[] fds = new int[16];
    private int[] sockets = new int[16];
    private int[] generations = new int[16];
    private byte[] states = new byte[16];
    /** The poll is prepared or in the kernel: it will complete at least once more. */
    private boolean[] armed = new boolean[16];
    /** Readiness came and the queue has not been read to its end since. */
    private boolean[] pending = new boolean[16];
    private final SlotQueue toArm = new SlotQueue();
    private final SlotQueue toRemove = new SlotQueue();
    private final SlotQueue toRead = new SlotQueue();
    private int[] freeSlots = new int[16];
    private int freeCount;
    private int slotCount;
    /** The slot watching each socket index's descriptor, or -1. */
    private int[] slotOfSocket = new int[16];

    /**
     * Watches for {@code io}, whose ring carries this class's polls with user data of kind {@code pollKind} and their
     * removals with {@code removeKind} (top byte; the rest is {@link #userData}'s).
     */
    IoUringErrorPolls(final LinuxPacketIo io, final long pollKind, final long removeKind) {
        this.io = io;
        this.pollKind = pollKind;
        this.removeKind = removeKind;
        Arrays.fill(slotOfSocket, -1);
    }

    /** The low 56 bits of a watch's user data: its generation above its slot. */
    static long userData(final int slot, final int generation) {
        return (generation & 0xFFFF_FFFFL) << SLOT_BITS | slot;
    }

    @Override
    public void opened(final int socket, final int fd) {
        if (socket >= slotOfSocket.length) {
            final int before = slotOfSocket.length;
            slotOfSocket = Arrays.copyOf(slotOfSocket, Math.max(socket + 1, before * 2));
            Arrays.fill(slotOfSocket, before, slotOfSocket.length, -1);
        }
        assert slotOfSocket[socket] < 0 : "socket " + socket + " opened a second descriptor without closing one";
        final int slot = allocateSlot();
        fds[slot] = fd;
        sockets[slot] = socket;
        generations[slot]++;
        states[slot] = ACTIVE;
        armed[slot] = false;
        pending[slot] = false;
        slotOfSocket[socket] = slot;
        toArm.add(slot);
    }

    @Override
    public boolean closing(final int socket, final int fd) {
        final int slot = socket < slotOfSocket.length ? slotOfSocket[socket] : -1;
        if (slot < 0) {
            return true;
        }
        assert fds[slot] == fd && states[slot] == ACTIVE : "the watch of socket " + socket + " is its descriptor's";
        slotOfSocket[socket] = -1;
        pending[slot] = false; // unread reports go with the socket
        if (!armed[slot]) {
            free(slot);
            return true;
        }
        states[slot] = CLOSING;
        toRemove.add(slot);
        return false;
    }

    /**
     * Prepares the removals and polls that wait, at most {@code budget} entries, polls multishot when
     * {@code multishot}; returns how many were prepared (each is one more unsubmitted entry).
     */
    int prepare(final IoUring ring, final boolean multishot, final int budget) {
        int prepared = 0;
        while (prepared < budget && toRemove.size() > 0) {
            final int slot = toRemove.peek();
            if (states[slot] == CLOSING && armed[slot]) {
                final long watch = userData(slot, generations[slot]);
                if (!ring.preparePollRemove(pollKind | watch, removeKind | watch)) {
                    break;
                }
                prepared++;
            }
            toRemove.poll();
        }
        while (prepared < budget && toArm.size() > 0) {
            final int slot = toArm.peek();
            if (states[slot] == ACTIVE && !armed[slot] && !pending[slot]) {
                if (!ring.preparePoll(fds[slot], IoUring.POLLERR, multishot,
                    pollKind | userData(slot, generations[slot]))) {
                    break;
                }
                armed[slot] = true;
                prepared++;
            }
            toArm.poll();
        }
        assert prepared <= budget;
        return prepared;
    }

    /** A poll's completion ({@code watch}: its user data without the kind). */
    void onPollCompletion(final long watch, final int result, final int flags) {
        final int slot = (int) (watch & SLOT_MASK);
        final int generation = (int) (watch >>> SLOT_BITS);
        if (slot >= slotCount || states[slot] == FREE || generations[slot] != generation) {
            throw new IllegalStateException("an error-queue poll completed for no watch: slot " + slot
                + ", generation " + generation);
        }
        final boolean ended = (flags & IoUring.IORING_CQE_F_MORE) == 0;
        if (ended) {
            armed[slot] = false;
        }
        if (states[slot] == CLOSING) {
            if (ended) {
                Syscalls.close(fds[slot]); // the poll let go of the socket: its number may be reused now
                free(slot);
            }
            return;
        }
        if (result > 0) {
            if (!pending[slot]) {
                pending[slot] = true;
                toRead.add(slot);
            }
        } else if (ended) {
            toArm.add(slot); // refused (a kernel without multishot polls) or ended by the kernel: arm it again
        }
    }

    /**
     * Reads the queues of the sockets that became ready, up to {@code limit} reports in all; a queue read to its end
     * has its poll armed again if it had ended.
     */
    int poll(final PacketIo.SendErrorHandler handler, final int limit) {
        int reported = 0;
        while (reported < limit && toRead.size() > 0) {
            final int slot = toRead.peek();
            if (states[slot] == ACTIVE && pending[slot]) {
                reported += io.drainErrors(sockets[slot], handler, limit - reported);
                if (!io.errorsDrained) {
                    break; // at the limit: the rest waits for the next call
                }
                if (states[slot] == ACTIVE && pending[slot]) { // the handler did not close it meanwhile
                    pending[slot] = false;
                    if (!armed[slot]) {
                        toArm.add(slot);
                    }
                }
            }
            toRead.poll();
        }
        assert reported <= limit;
        return reported;
    }

    /** Sockets whose poll may be in the kernel. */
    int armedCount() {
        int count = 0;
        for (int slot = 0; slot < slotCount; slot++) {
            count += states[slot] != FREE && armed[slot] ? 1 : 0;
        }
        return count;
    }

    /** Closes the descriptors taken over from closing destinations; the ring is closed first. */
    void close() {
        for (int slot = 0; slot < slotCount; slot++) {
            if (states[slot] == CLOSING) {
                Syscalls.close(fds[slot]);
                free(slot);
            }
        }
    }

    private int allocateSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (slotCount > SLOT_MASK) {
            throw new IllegalStateException("more than " + SLOT_MASK + " error-queue watches");
        }
        if (slotCount == fds.length) {
            final int grown = fds.length * 2;
            fds = Arrays.copyOf(fds, grown);
            sockets = Arrays.copyOf(sockets, grown);
            generations = Arrays.copyOf(generations, grown);
            states = Arrays.copyOf(states, grown);
            armed = Arrays.copyOf(armed, grown);
            pending = Arrays.copyOf(pending, grown);
            freeSlots = Arrays.copyOf(freeSlots, grown);
        }
        toArm.reserve(slotCount + 1);
        toRemove.reserve(slotCount + 1);
        toRead.reserve(slotCount + 1);
        return slotCount++;
    }

    private void free(final int slot) {
        states[slot] = FREE;
        armed[slot] = false;
        pending[slot] = false;
        fds[slot] = -1;
        freeSlots[freeCount++] = slot;
    }

    /**
     * A FIFO of slots, each at most once: an entry whose slot changed meanwhile is skipped by its reader, and adding
     * a slot already queued does nothing. Grows only in {@link #reserve}.
     */
    private static final class SlotQueue {
        private int[] entries = new int[16];
        private boolean[] queued = new boolean[16];
        private int head;
        private int size;

        void reserve(final int slots) {
            if (slots > queued.length) {
                final int[] grown = new int[Math.max(slots, entries.length * 2)];
                for (int i = 0; i < size; i++) {
                    grown[i] = entries[(head + i) % entries.length];
                }
                entries = grown;
                head = 0;
                queued = Arrays.copyOf(queued, grown.length);
            }
        }

        void add(final int slot) {
            if (!queued[slot]) {
                assert size < entries.length : "a slot queue holds each slot once";
                queued[slot] = true;
                entries[(head + size) % entries.length] = slot;
                size++;
            }
        }

        int size() {
            return size;
        }

        int peek() {
            return entries[head];
        }

        void poll() {
            queued[entries[head]] = false;
            head = (head + 1) % entries.length;
            size--;
        }
    }
}
