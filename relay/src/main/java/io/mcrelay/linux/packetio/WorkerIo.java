package io.mcrelay.linux.packetio;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.RingGeometry;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * A worker process's kernel side, built from the descriptors the supervisor passed: the {@link PacketIo} and
 * the one place the worker's loop waits ({@link #await}).
 *
 * <p>The backend is {@link PacketBackend#decide decided} from {@link Config#backend()} ({@code auto}: io_uring
 * when usable; the supervisor passes the backend it decided). Either way each descriptor is a {@code TPACKET_V3}
 * ring the supervisor opened ({@link PacketRxRing#open}), adopted ({@link PacketRxRing#adopt}) with the geometry of
 * {@link Config} as {@link PacketIo#attachInput} adopts one passed while the worker runs, and read in place. With
 * {@link PacketBackend.Kind#IO_URING} the I/O is an {@link IoUringPacketIo} whose ring also watches the channel and
 * times the wait: one io_uring for every wait, readiness, send and timeout. With {@link PacketBackend.Kind#EPOLL} it
 * is an {@link EpollPacketIo}, and the wait is a {@code poll(2)} over its epoll sets and the channel. The input
 * interface names come from the sockets themselves ({@code getsockname}, then {@code if_indextoname}), in this
 * process's network namespace.
 */
public final class WorkerIo implements AutoCloseable {
    /**
     * What the worker must know besides its descriptors, passed as command-line arguments
     * ({@link #toArgs()}, {@link #parse}): the backend, the rings' geometry and the heartbeat interval.
     */
    public record Config(PacketBackend.Preference backend, int blockBytes, int blocks, long heartbeatIntervalMs) {
        static final String BACKEND = "--backend=";
        static final String RING = "--ring=";
        static final String HEARTBEAT = "--heartbeat-ms=";
        /**
         * What a worker started without options uses: the backend {@code auto} (io_uring when usable), rings of the
         * default geometry ({@link RingGeometry#DEFAULT_BYTES}), heartbeats every 250 ms.
         */
        public static final Config DEFAULT = new Config(PacketBackend.Preference.AUTO,
            RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES).blockBytes(),
            RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES).blocks(), 250);

        public Config {
            Objects.requireNonNull(backend, "backend");
            if (blockBytes < 1 || blocks < 1 || heartbeatIntervalMs < 1) {
                throw new IllegalArgumentException("ring geometry and heartbeat interval must be positive: "
                    + blocks + " x " + blockBytes + ", " + heartbeatIntervalMs + " ms");
            }
        }

        /**
         * The arguments that carry these options, e.g. {@code --backend=io_uring --ring=65536x8 --heartbeat-ms=250}.
         */
        public List<String> toArgs() {
            return List.of(BACKEND + backend.name().toLowerCase(java.util.Locale.ROOT),
                RING + blockBytes + "x" + blocks, HEARTBEAT + heartbeatIntervalMs);
        }

        /**
         * Reads the options in {@code args} (any order; each absent one keeps its {@link #DEFAULT}).
         *
         * @throws IllegalArgumentException naming an argument that is unknown or malformed
         */
        public static Config parse(final List<String> args) {
            PacketBackend.Preference backend = DEFAULT.backend();
            int blockBytes = DEFAULT.blockBytes();
            int blocks = DEFAULT.blocks();
            long heartbeatMs = DEFAULT.heartbeatIntervalMs();
            for (final String arg : args) {
                try {
                    if (arg.startsWith(BACKEND)) {
                        backend = PacketBackend.Preference.parse(arg.substring(BACKEND.length()));
                    } else if (arg.startsWith(RING)) {
                        final String[] geometry = arg.substring(RING.length()).split("x", -1);
                        if (geometry.length != 2) {
                            throw new IllegalArgumentException("expected BLOCK_BYTESxBLOCKS");
                        }
                        blockBytes = Integer.parseInt(geometry[0]);
                        blocks = Integer.parseInt(geometry[1]);
                    } else if (arg.startsWith(HEARTBEAT)) {
                        heartbeatMs = Long.parseLong(arg.substring(HEARTBEAT.length()));
                    } else {
                        throw new IllegalArgumentException("unknown option");
                    }
                } catch (final IllegalArgumentException e) {
                    throw new IllegalArgumentException("worker argument " + arg + ": " + e.getMessage(), e);
                }
            }
            return new Config(backend, blockBytes, blocks, heartbeatMs);
        }
    }

    private final PacketBackend.Kind backend;
    private final IoUringPacketIo uring;
    private final EpollPacketIo epoll;
    private final int watchFd;
    private final List<String> inputNames;

    private WorkerIo(final PacketBackend.Kind backend, final IoUringPacketIo uring, final EpollPacketIo epoll,
        final int watchFd, final List<String> inputNames) {
        this.backend = backend;
        this.uring = uring;
        this.epoll = epoll;
        this.watchFd = watchFd;
        this.inputNames = List.copyOf(inputNames);
    }

    /**
     * Builds the I/O over {@code descriptors}, each attached as {@link PacketIo#attachInput} would while the worker
     * runs, and watches {@code watchFd} (not owned: the channel) in its waits. Takes ownership of the descriptors: if
     * it throws, those before the one that failed are closed with the I/O, that one is closed, and those after it
     * are still the caller's.
     */
    public static WorkerIo open(final int[] descriptors, final Config options, final int watchFd) {
        final PacketBackend.Kind backend = PacketBackend.decide(options.backend(), PacketBackend::probeIoUring).kind();
        final List<String> names = new ArrayList<>();
        final PacketIo io;
        IoUringPacketIo uring = null;
        // The staging area holds what a poll can read beyond its limit: the rest of the one block it started.
        final RingIoConfig config = new RingIoConfig(RingIoConfig.DEFAULT.sendSlots(),
            RingIoConfig.DEFAULT.slotBytes(), Math.max(1 << 20, options.blockBytes()), 0, options.blockBytes(),
            options.blocks());
        if (backend == PacketBackend.Kind.EPOLL) {
            io = EpollPacketIo.open(List.of(), config);
        } else {
            uring = IoUringPacketIo.open(List.of(), config);
            io = uring;
        }
        try {
            for (final int fd : descriptors) {
                final String name;
                try {
                    name = Syscalls.ifName(PacketRxRing.boundIfIndex(fd, "passed descriptor " + fd));
                } catch (final RuntimeException e) {
                    Syscalls.close(fd);
                    throw e;
                }
                io.attachInput(name, new OwnedFd(fd));
                names.add(name);
            }
            if (uring != null) {
                uring.watchReadable(watchFd);
            }
        } catch (final RuntimeException e) {
            io.close();
            throw e;
        }
        return new WorkerIo(backend, uring, uring == null ? (EpollPacketIo) io : null, watchFd, names);
    }

    /** The packet I/O, for the worker's agent. */
    public PacketIo packetIo() {
        return uring != null ? uring : epoll;
    }

    /** The backend in use. */
    public PacketBackend.Kind backend() {
        return backend;
    }

    /** The input interfaces, in descriptor order, by the names their sockets are bound to. */
    public List<String> inputNames() {
        return inputNames;
    }

    /**
     * Blocks until something is ready (frames, when {@code frames} is true; a send's outcome; the channel readable
     * or closed) or {@code timeoutNs} passed; may return early. No allocation with io_uring. A worker that will not
     * read frames yet (no ruleset) passes {@code frames} false: the io_uring readiness is taken once and does not
     * hold the wait open anyway, the epoll set would.
     */
    public void await(final long timeoutNs, final boolean frames) {
        if (uring != null) {
            uring.await(timeoutNs);
        } else {
            epoll.await(watchFd, timeoutNs, frames);
        }
    }

    /** How many times a wait blocked in the kernel (io_uring only; -1 with epoll). */
    public long waits() {
        return uring != null ? uring.waits() : -1;
    }

    @Override
    public void close() {
        packetIo().close();
    }
}
