package io.mcrelay.linux.process;

import java.nio.file.Path;
import java.util.Optional;

import io.mcrelay.linux.sys.CpuScheduling;
import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.UnixSockets;

/**
 * The start of a worker process, as {@link ProcessWorkerLauncher} spawns it: arms the parent-death signal, checks its
 * parent is still the supervisor, connects to the supervisor's socket, proves itself with the one-time token
 * ({@link WorkerHandshake}) and receives its descriptors. The privilege drop ({@code setpriv}) happened before the JVM
 * started; the CPU pinning happens here, on the thread that will run the loop ({@link #CPU_PROPERTY}), so that the
 * JVM's own threads (its compilers, its collector) are not pinned with it: on a machine with few CPUs they would
 * otherwise queue behind the loop, and the loop behind them, when a change or a burst comes.
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

    /**
     * The system property the launcher sets on a worker's command line: the CPU its loop runs on. Absent, the loop is
     * not pinned.
     */
    public static final String CPU_PROPERTY = "mcrelay.worker.cpu";
    /**
     * The time slice the loop's thread asks for (see {@link CpuScheduling#requestSlice}): 100 µs, the shortest the
     * kernel allows, so that a frame or a command arriving while another thread has the CPU is seen within a fraction
     * of a millisecond instead of the default slice's 0.75-3 ms. Measured (benchmarks/RESULTS.md): an acked add's p99
     * over 2 workers on 2 CPUs.
     */
    public static final long LOOP_SLICE_NS = 100_000;

    /**
     * A worker that proved itself: its slot, its channel to the supervisor, the descriptors it was given, and how its
     * loop's thread runs (for its start line: the CPU it is pinned to and the slice it got, or why not).
     */
    public record Started(int workerIndex, StreamWorkerChannel channel, int[] descriptors, String scheduling) {
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
        final String scheduling = scheduleCallingThread(System.getProperty(CPU_PROPERTY));
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
            return new Started(workerIndex, channel, descriptors, scheduling);
        } catch (final RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Pins the calling thread to the CPU {@code cpuProperty} names (when given) and asks for the loop's short slice;
     * returns what it got, for the worker's start line. A CPU the kernel refuses ends the start (as a bad argument:
     * the launcher picks CPUs the supervisor may use); a slice refused is only reported.
     */
    static String scheduleCallingThread(final String cpuProperty) {
        final StringBuilder how = new StringBuilder();
        if (cpuProperty == null || cpuProperty.isBlank()) {
            how.append("loop not pinned");
        } else {
            final int cpu;
            try {
                cpu = Integer.parseInt(cpuProperty.strip());
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("-D" + CPU_PROPERTY + " must be a CPU number, not '" + cpuProperty
                    + "'", e);
            }
            try {
                CpuScheduling.pinCallingThread(cpu);
            } catch (final LinuxException e) {
                throw new IllegalArgumentException("cannot pin the loop: " + e.getMessage(), e);
            }
            how.append("loop on CPU ").append(cpu);
        }
        final long slice = CpuScheduling.requestSlice(LOOP_SLICE_NS);
        if (slice > 0) {
            how.append(", slice ").append(slice / 1_000).append(" µs");
        } else if (slice == 0) {
            how.append(", the kernel's slice (it reports none: before Linux 6.12)");
        } else if (slice == CpuScheduling.OTHER_POLICY) {
            how.append(", its own scheduling policy");
        } else {
            how.append(", the kernel's slice (sched_setattr: ")
                .append(io.mcrelay.linux.sys.Errno.describe((int) -slice)).append(')');
        }
        return how.toString();
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
