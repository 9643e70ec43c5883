package io.mcrelay.core.worker;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The inputs a worker receives on, as the supervisor hands them over ({@code AttachInput} with the packet socket) and
 * takes them back ({@code ReleaseInput}): by interface name, each with its generation. A handover without its socket
 * (a duplicated frame) or of a generation held or pending already is ignored, its socket closed; one of a newer
 * generation than the one held waits until that one is released (drained through the packet I/O, then closed). Not
 * thread-safe: the worker's thread owns it.
 */
final class HeldInputs {
    /**
     * An input received on: the generation handed over, the interface index its socket is bound to, and its digest in
     * the ruleset hash.
     */
    private record Held(long generation, int ifIndex, long digest) {
        Held(final String name, final long generation, final int ifIndex) {
            this(generation, ifIndex, RulesetHash.inputDigest(name, ifIndex));
        }
    }

    /** A handover that waits until the older generation of its interface is released. */
    private record Pending(long generation, PassedDescriptor socket) {
    }

    private final PacketIo io;
    // By interface name: iterated in name order, never in hash order.
    private final TreeMap<String, Held> held = new TreeMap<>();
    private final TreeMap<String, Long> releasing = new TreeMap<>();
    private final TreeMap<String, Pending> pending = new TreeMap<>();
    /** The sum of the digests of the inputs held and not being released. */
    private long hash = RulesetHash.EMPTY;

    HeldInputs(final PacketIo io) {
        this.io = Objects.requireNonNull(io, "io");
    }

    /** A handover of {@code attach.interfaceName()} with its packet socket (or {@code null} when none came). */
    void attach(final WorkerMessage.AttachInput attach, final PassedDescriptor socket) {
        if (socket == null) {
            return;
        }
        final String name = attach.interfaceName();
        final Held now = held.get(name);
        final Pending waiting = pending.get(name);
        if (now != null && now.generation() >= attach.generation()
            || waiting != null && waiting.generation() >= attach.generation()) {
            socket.close(); // stale or duplicate
            return;
        }
        if (waiting != null) {
            waiting.socket().close(); // superseded before it could be attached
        }
        if (now != null) {
            releasing.putIfAbsent(name, now.generation());
            pending.put(name, new Pending(attach.generation(), socket));
            rehash();
            return;
        }
        attachNow(name, attach.generation(), socket);
    }

    private void attachNow(final String name, final long generation, final PassedDescriptor socket) {
        try {
            held.put(name, new Held(name, generation, io.attachInput(name, socket)));
            rehash();
        } catch (final IllegalArgumentException e) {
            // Not a socket of that interface (re-created meanwhile): the I/O closed it; the next generation comes.
        }
    }

    /** The supervisor takes {@code release.interfaceName()} back; a release of another generation is stale. */
    void release(final WorkerMessage.ReleaseInput release) {
        final Held now = held.get(release.interfaceName());
        if (now != null && now.generation() == release.generation()) {
            releasing.putIfAbsent(release.interfaceName(), now.generation());
            rehash();
        }
    }

    /** True while a release is under way. */
    boolean releasing() {
        return !releasing.isEmpty();
    }

    /** Drives the releases under way; returns how many ended (drained and closed) in this call. */
    int continueReleases() {
        int ended = 0;
        for (final String name : List.copyOf(releasing.keySet())) {
            if (io.releaseInput(name)) {
                releasing.remove(name);
                held.remove(name);
                ended++;
                final Pending next = pending.remove(name);
                if (next != null) {
                    attachNow(name, next.generation(), next.socket());
                }
            }
        }
        return ended;
    }

    /**
     * The sum of {@link RulesetHash#inputDigest} over the inputs held, those being released left out: the inputs'
     * part of the worker's ruleset hash.
     */
    long hash() {
        return hash;
    }

    private void rehash() {
        long sum = RulesetHash.EMPTY;
        for (final var input : held.entrySet()) {
            if (!releasing.containsKey(input.getKey())) {
                sum += input.getValue().digest();
            }
        }
        hash = sum;
    }

    /** The inputs held, by name, with their generations. */
    SortedMap<String, Long> generations() {
        final TreeMap<String, Long> generations = new TreeMap<>();
        held.forEach((name, input) -> generations.put(name, input.generation()));
        return generations;
    }

    /** Closes the sockets of handovers still waiting (the worker is leaving). */
    void closePending() {
        pending.values().forEach(waiting -> waiting.socket().close());
        pending.clear();
    }
}
