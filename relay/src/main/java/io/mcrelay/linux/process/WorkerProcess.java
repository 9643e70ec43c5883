package io.mcrelay.linux.process;

import java.nio.file.Path;
import java.util.Optional;

import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.UnixSockets;

/**
 * The start of a worker process, as {@link ProcessWorkerLauncher} spawns it: arms the parent-death signal, checks its
 * parent is still the supervisor, connects to the supervisor's socket, proves itself with the one-time token
 * ({@link WorkerHandshake}) and receives its descriptors. The privilege drop ({@code setpriv}) and the CPU pinning
 * ({@code taskset}) happened before the JVM started.
 *
 * <p>Arguments, in this order: the socket path, the worker index, the supervisor's pid; the token comes from
 * {@link WorkerHandshake#TOKEN_ENV}.
 */
public final class WorkerProcess {
    /** Exit status: bad arguments or environment. */
    public static final int EXIT_USAGE = 2;
    /** Exit status: the supervisor refused this worker (closed the connection after the hello). */
    public static final int EXIT_REFUSED = 3;
    /** Exit status: the supervisor was already gone when the worker started. */
    public static final int EXIT_ORPHANED = 4;
    /** Each direction of the channel holds about this much; the supervisor sets the same. */
    public static final int CHANNEL_CAPACITY_BYTES = 4 << 20;
    /** The largest frame either end accepts: a {@code Sync} of the largest table the limits allow. */
    public static final int CHANNEL_FRAME_BYTES_MAX = io.mcrelay.protocol.Frames.WORKER_BYTES_MAX;

    /** A worker that proved itself: its slot, its channel to the supervisor and the descriptors it was given. */
    public record Started(int workerIndex, StreamWorkerChannel channel, int[] descriptors) {
    }

    /** The supervisor closed the connection instead of welcoming this worker. */
    public static final class RefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedException(final String message) {
            super(message);
        }
    }

    /** The supervisor died before this worker could arm its parent-death signal. */
    public static final class OrphanedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OrphanedException(final String message) {
            super(message);
        }
    }

    private WorkerProcess() {
    }

    /** Starts from the command line and environment the launcher gave this process. */
    public static Started start(final String[] args) {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: <socket path> <worker index> <supervisor pid> [more]");
        }
        final byte[] token = WorkerHandshake.fromHex(System.getenv(WorkerHandshake.TOKEN_ENV));
        return start(Path.of(args[0]), Integer.parseInt(args[1]), Long.parseLong(args[2]), token);
    }

    /**
     * Arms {@code PR_SET_PDEATHSIG} (SIGKILL), then checks that the parent is still {@code supervisorPid}: had the
     * supervisor died before the signal was armed, it would never fire, and this process would be adopted by init.
     * Then connects, sends the hello and waits (blocking) for the welcome and the descriptors.
     */
    public static Started start(final Path socket, final int workerIndex, final long supervisorPid,
        final byte[] token) {
        Processes.setParentDeathSignal(Processes.SIGKILL);
        final Optional<Long> parent = ProcessHandle.current().parent().map(ProcessHandle::pid);
        if (parent.isEmpty() || parent.get() != supervisorPid) {
            throw new OrphanedException("the supervisor (pid " + supervisorPid + ") is gone; parent is now "
                + parent.map(String::valueOf).orElse("unknown"));
        }
        final int fd = UnixSockets.connect(socket, UnixSockets.Kind.STREAM);
        final StreamWorkerChannel channel;
        try {
            channel = new StreamWorkerChannel(fd, CHANNEL_CAPACITY_BYTES, CHANNEL_FRAME_BYTES_MAX);
        } catch (final RuntimeException e) {
            UnixSockets.close(fd);
            throw e;
        }
        try {
            final byte[] hello = WorkerHandshake.hello(token);
            if (channel.send(new org.agrona.concurrent.UnsafeBuffer(hello), 0, hello.length)
                != io.mcrelay.seam.WorkerChannel.SendResult.SENT) {
                throw new RefusedException("the supervisor's socket " + socket + " took no hello");
            }
            final byte[] buffer = new byte[WorkerHandshake.WELCOME_BYTES];
            final FdPassing.Received welcome = FdPassing.receive(fd, buffer);
            if (welcome.bytes() == 0) {
                throw new RefusedException("the supervisor closed the connection after the hello: refused");
            }
            if (welcome.fd() >= 0) {
                UnixSockets.close(welcome.fd());
            }
            final int count = WorkerHandshake.welcomeCount(buffer, welcome.bytes());
            if (count < 0) {
                throw new RefusedException("the supervisor answered the hello with something other than a welcome");
            }
            final int[] descriptors = new int[count];
            for (int i = 0; i < count; i++) {
                final FdPassing.Received passed = FdPassing.receive(fd, new byte[1]);
                if (passed.fd() < 0) {
                    throw new RefusedException("descriptor " + i + " of " + count + " did not arrive");
                }
                descriptors[i] = passed.fd();
            }
            return new Started(workerIndex, channel, descriptors);
        } catch (final RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * A minimal loop for test probes (the real one is {@code io.mcrelay.daemon.WorkerRuntime}): reads and drops every
     * frame (it answers nothing) and returns when the supervisor's end closes (EOF), waiting in {@code poll(2)} in between.
     */
    public static void serveUntilEof(final StreamWorkerChannel channel) {
        final int[] fds = {channel.fd()};
        final short[] revents = new short[1];
        while (!channel.isClosed()) {
            channel.poll((buffer, offset, length) -> { }, 64);
            Processes.poll(fds, 1, revents, 1000);
        }
    }
}
