package io.mcrelay.fault;

/**
 * The fault catalogue (DESIGN "Simulator and faults"): every kind of trouble the simulator injects and the
 * real-kernel fault entry point can inject. The order is part of the swarm rule (seed {@code i} always enables kind
 * {@code i mod K}), so append new kinds at the end; never reorder or remove one, or old seeds change meaning.
 *
 * <p>The simulator's fault schedule and the {@code Faulty*} seam decorators fire these; a fault counts as fired only
 * when it changed an outcome.
 */
public enum FaultKind {
    WORKER_CRASH_BEFORE_APPLY("a worker dies after receiving a command, before applying it"),
    WORKER_CRASH_AFTER_APPLY("a worker dies after applying a command, before acking it"),
    WORKER_CRASH_AFTER_ACK("a worker dies right after acking"),
    WORKER_HANG("a worker stops running its duty cycle without exiting"),
    SUPERVISOR_CRASH("the supervisor dies and restarts from its journal"),
    CHANNEL_LOSS("a worker-channel frame is lost"),
    CHANNEL_DUPLICATION("a worker-channel frame is delivered twice"),
    CHANNEL_DELAY("a worker-channel frame is delivered late"),
    CHANNEL_REORDER("worker-channel frames are delivered out of order"),
    SOCKET_BUFFER_FULL_DROP("a full socket buffer drops a packet"),
    SOCKET_BUFFER_FULL_EAGAIN("a send completes with EAGAIN/ENOBUFS"),
    LINK_DOWN_UP("a link goes down and comes back"),
    INTERFACE_RECREATED("an interface is deleted and re-created with a new index"),
    INTERFACE_LATE("an interface a rule names appears only later"),
    SLOW_OUTPUT("an output drains slower than its input arrives"),
    MONOTONIC_CLOCK_JUMP("the monotonic clock jumps forward"),
    WALL_CLOCK_JUMP("the wall clock jumps forward or back"),
    JOIN_REFUSED("the kernel refuses to join a group membership");

    private final String description;

    FaultKind(final String description) {
        this.description = description;
    }

    /** One sentence saying what happens, for summaries and logs. */
    public String description() {
        return description;
    }

    /** The word on a command line: {@code channel-loss} for {@link #CHANNEL_LOSS}. */
    public static String word(final FaultKind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The kind named {@code word} ({@link #word}), or an exception naming the words there are. */
    public static FaultKind ofWord(final String word) {
        for (final FaultKind kind : values()) {
            if (word(kind).equals(word)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("no fault kind is called '" + word + "'");
    }

    /** The kind that seed {@code seed} always enables under the swarm rule. */
    public static FaultKind forSeed(final long seed) {
        final FaultKind[] kinds = values();
        return kinds[(int) Math.floorMod(seed, (long) kinds.length)];
    }
}
