package io.mcrelay.linux.process;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.linux.packetio.WorkerIo;
import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.FdPassing;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.PollSet;
import io.mcrelay.linux.sys.Processes;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.support.LauncherEvents;

/**
 * The production {@link WorkerLauncher}: each worker is a JVM started with {@link ProcessBuilder} through
 * {@code setpriv} (another user, no groups, no capabilities in any set, {@code no_new_privs}), told its CPU
 * ({@link WorkerProcess#CPU_PROPERTY}: the worker pins its loop's thread there itself), which connects back over a Unix socket in a private runtime directory, proves itself
 * ({@link WorkerHandshake}: one-time token plus {@code SO_PEERCRED}) and receives its descriptors.
 *
 * <p>The runtime directory ({@link WorkerRuntimeDirectory}) {@code <parent>/mcrelay-<pid>-<random>}, made by
 * {@link #create}:
 * <pre>
 *  mcrelay-...            root 0711  others may pass through but not list it
 *    worker.sock          owned by the worker user, 0600: only that user (and root) can connect (or, when
 *                                    this process may not give it away, the worker's group, 0660)
 *    jvm.options          root 0644  the worker JVM's options (the java launcher reads it as the worker user)
 *    lib/                 root 0755  copies of the classpath (jars 0644, directories 0755): root's home, where a
 *                                    checkout and ~/.m2 live, is 0700 and unreadable to the worker user
 *    worker-N-L.log       root 0600  the stdout and stderr of worker N, launch L (opened by the supervisor)
 * </pre>
 * Every ancestor of the directory must be searchable by others ({@code o+x}), or the worker cannot reach its socket;
 * {@link #create} checks and says which one is not.
 *
 * <p><b>Who the workers run as</b> ({@link #workerAccount}): as root, or holding {@code CAP_SETUID} and
 * {@code CAP_SETGID} (a supervisor started with those capabilities, e.g. by its systemd unit), the worker account
 * ({@code --user}; by default {@code mcrelay-worker}, else {@code mcrelay}, else {@code nobody}), through
 * {@code setpriv} with no groups, no capabilities in any set and {@code no_new_privs}; the socket goes to that user
 * ({@code CAP_CHOWN}), or when this process may not give it away, to the worker's group with mode 0660 (this
 * process must be a member of it). Otherwise, or when the account is this process's own, as this user: through
 * {@code setpriv --inh-caps=-all --bounding-set=-all --no-new-privs} when this process holds any capability (which
 * its ambient set would otherwise pass on), else directly (how the unit tests run unprivileged).
 *
 * <p>The process watch is a pidfd per worker ({@code pidfd_open}, Linux 5.3), polled: readable means the process
 * ended. The exit status is the JDK's (its reaper thread reaps every child, so a {@code waitid} of ours would race
 * it): a status above 128 is reported as {@code -(status - 128)}, the signal that killed it. Kill is
 * {@code pidfd_send_signal(SIGKILL)} (Linux 5.1), which cannot hit a process that reused the pid.
 *
 * <p>Processes are spawned on one thread owned by this launcher and alive as long as it is: a worker's
 * {@code PR_SET_PDEATHSIG} fires when the thread that forked it ends, not only the process.
 *
 * <p>Not thread-safe: one thread calls {@link #launch}, {@link #kill}, {@link #poll} and {@link #close}. The
 * descriptors handed to workers stay owned by the caller.
 */
public final class ProcessWorkerLauncher implements WorkerLauncher, AutoCloseable {
    /**
     * The worker's entry point, by name: it lives in {@code io.mcrelay.runtime} (the composition root), which this
     * package does not depend on.
     */
    public static final String DEFAULT_WORKER_MAIN = "io.mcrelay.daemon.WorkerMain";

    private static final Logger LOG = LoggerFactory.getLogger(ProcessWorkerLauncher.class);
    private static final int ACCEPT_LIMIT = 64;

    /**
     * What to launch and how.
     *
     * @param runtimeParent where the private runtime directory is made (e.g. {@code /run/mcrelay})
     * @param user the worker account; null: {@code mcrelay} if it exists, else {@code nobody}
     * @param java the {@code java} executable for workers
     * @param jvmOptions the worker JVM's options (e.g. the lines of {@code jvm.options})
     * @param classpath the worker's classpath, copied into the runtime directory
     * @param mainClass the worker's main class, given the socket path, index and supervisor pid
     * @param extraArgs more arguments after those
     * @param descriptors the descriptors to pass to worker N once it proved itself (kept open by the caller)
     * @param cpuOfWorker the CPU worker N is pinned to
     * @param searchPath where {@code setpriv} is looked for ({@code PATH} form)
     * @param handshakeTimeoutMs how long a connection may take to prove itself before it is closed
     * @param launchPrefix a command the whole worker command line runs under, before the privilege drop (empty in
     *     production; tests use {@code ip netns exec NAME} to start a worker in a test network namespace); it must
     *     {@code exec} its argument so the worker stays this process's child
     */
    public record Config(Path runtimeParent, String user, Path java, List<String> jvmOptions, List<Path> classpath,
                         String mainClass, List<String> extraArgs, IntFunction<int[]> descriptors,
                         IntUnaryOperator cpuOfWorker, String searchPath, long handshakeTimeoutMs,
                         List<String> launchPrefix) {
        public Config {
            jvmOptions = List.copyOf(jvmOptions);
            classpath = List.copyOf(classpath);
            extraArgs = List.copyOf(extraArgs);
            launchPrefix = List.copyOf(launchPrefix);
        }

        /**
         * Defaults: this JVM's {@code java} and classpath, {@link #DEFAULT_WORKER_MAIN}, no descriptors, worker N on
         * the N-th CPU this process may run on (round robin over {@link HostFacts#allowedCpus()}), {@code setpriv} from
         * {@code PATH}, 5 s to prove itself.
         */
        public static Config defaults(final Path runtimeParent, final List<String> jvmOptions) {
            final int[] cpus = HostFacts.allowedCpus();
            return new Config(runtimeParent, null, Path.of(ProcessHandle.current().info().command().orElseThrow(
                    () -> new IllegalStateException("cannot tell which java runs this process"))), jvmOptions,
                Stream.of(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of).toList(),
                DEFAULT_WORKER_MAIN, List.of(), index -> new int[0], index -> cpus[index % cpus.length],
                System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), 5_000, List.of());
        }

        public Config withUser(final String workerUser) {
            return new Config(runtimeParent, workerUser, java, jvmOptions, classpath, mainClass, extraArgs,
                descriptors, cpuOfWorker, searchPath, handshakeTimeoutMs, launchPrefix);
        }

        public Config withClasspath(final List<Path> entries) {
            return new Config(runtimeParent, user, java, jvmOptions, entries, mainClass, extraArgs, descriptors,
                cpuOfWorker, searchPath, handshakeTimeoutMs, launchPrefix);
        }

        public Config withMain(final String workerMainClass, final List<String> args) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, workerMainClass, args, descriptors,
                cpuOfWorker, searchPath, handshakeTimeoutMs, launchPrefix);
        }

        /** {@link #DEFAULT_WORKER_MAIN} with {@code options} as its arguments ({@link WorkerIo.Config#toArgs()}). */
        public Config withWorkerOptions(final WorkerIo.Config options) {
            return withMain(DEFAULT_WORKER_MAIN, options.toArgs());
        }

        public Config withDescriptors(final IntFunction<int[]> perWorker) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, mainClass, extraArgs, perWorker,
                cpuOfWorker, searchPath, handshakeTimeoutMs, launchPrefix);
        }

        public Config withCpus(final IntUnaryOperator cpuOf) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, mainClass, extraArgs, descriptors,
                cpuOf, searchPath, handshakeTimeoutMs, launchPrefix);
        }

        public Config withSearchPath(final String path) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, mainClass, extraArgs, descriptors,
                cpuOfWorker, path, handshakeTimeoutMs, launchPrefix);
        }

        /** Runs every worker under {@code prefix} (see {@link Config}); for tests. */
        public Config withLaunchPrefix(final List<String> prefix) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, mainClass, extraArgs, descriptors,
                cpuOfWorker, searchPath, handshakeTimeoutMs, prefix);
        }

        public Config withHandshakeTimeoutMs(final long timeoutMs) {
            return new Config(runtimeParent, user, java, jvmOptions, classpath, mainClass, extraArgs, descriptors,
                cpuOfWorker, searchPath, timeoutMs, launchPrefix);
        }
    }

    /** An accepted connection that has not proved itself yet. */
    private record Pending(StreamWorkerChannel channel, FdPassing.PeerCredentials peer, long deadlineNs) {
    }

    private final Config config;
    private final boolean privileged;
    private final WorkerUser user;
    private final WorkerRuntimeDirectory directory;
    private final List<String> commandPrefix;
    private final int listener;
    private final ExecutorService spawner;
    private final Map<Long, LaunchedWorker> workers = new LinkedHashMap<>(); // by launch id, launch order
    private final List<Pending> pending = new ArrayList<>();
    private final LauncherEvents events = new LauncherEvents();
    private final byte[] helloBuffer = new byte[WorkerHandshake.HELLO_BYTES + 1];
    private long nextLaunchId = 1;
    private long refusals;
    private boolean closed;

    private ProcessWorkerLauncher(final Config config, final boolean privileged, final WorkerUser user,
        final WorkerRuntimeDirectory directory, final List<String> commandPrefix, final int listener) {
        this.config = config;
        this.privileged = privileged;
        this.user = user;
        this.directory = directory;
        this.commandPrefix = commandPrefix;
        this.listener = listener;
        this.spawner = Executors.newSingleThreadExecutor(task -> Thread.ofPlatform().daemon().name(
            "mcrelay-worker-spawner").unstarted(task));
    }

    /**
     * Checks the environment (worker user, {@code setpriv}, the runtime parent), makes the runtime
     * directory, copies the classpath and listens on the socket. Throws with one clear message when something is
     * missing.
     */
    public static ProcessWorkerLauncher create(final Config config) {
        final WorkerUser user = workerAccount(config.user());
        final boolean privileged = user != null;
        final long capabilities = ProcessCapabilities.effective();
        final List<String> prefix = new ArrayList<>();
        if (privileged) {
            prefix.addAll(List.of(HostFacts.find("setpriv", config.searchPath(), "to drop privileges").toString(),
                "--reuid=" + user.uid(), "--regid=" + user.gid(), "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"));
        } else if (capabilities != 0) {
            // Clearing the inheritable set clears the ambient one: the worker's exec of java gains nothing.
            prefix.addAll(List.of(HostFacts.find("setpriv", config.searchPath(), "to drop capabilities").toString(),
                "--inh-caps=-all"));
            if (ProcessCapabilities.Capability.SETPCAP.in(capabilities)) {
                prefix.add("--bounding-set=-all");
            }
            prefix.add("--no-new-privs");
            LOG.info("workers run as this user (uid {}), through setpriv without capabilities",
                Processes.effectiveUid());
        } else {
            LOG.info("workers run as this user (uid {}), without setpriv", Processes.effectiveUid());
        }
        final WorkerRuntimeDirectory directory = WorkerRuntimeDirectory.create(config.runtimeParent(), user,
            config.classpath(), config.jvmOptions());
        try {
            final int listener = directory.listen();
            LOG.info("worker launcher ready: runtime directory {}, workers run as {}", directory.path(),
                privileged ? user.name() + " (uid " + user.uid() + ", gid " + user.gid() + ")" : "this user");
            return new ProcessWorkerLauncher(config, privileged, user, directory, List.copyOf(prefix), listener);
        } catch (final RuntimeException e) {
            directory.delete();
            throw e;
        }
    }

    /**
     * The account workers run as for the configured {@code --user} ({@code null}: the default), or {@code null} when
     * they run as this process's own user; see the class comment.
     *
     * @throws IllegalArgumentException when the account does not exist, is root, or is another user this process
     *     cannot switch to (it lacks {@code CAP_SETUID} or {@code CAP_SETGID}), saying what to do
     */
    public static WorkerUser workerAccount(final String configured) {
        final int self = Processes.effectiveUid();
        if (self == 0) {
            return WorkerUser.resolve(configured);
        }
        final long capabilities = ProcessCapabilities.effective();
        final boolean canSwitch = ProcessCapabilities.Capability.SETUID.in(capabilities)
            && ProcessCapabilities.Capability.SETGID.in(capabilities);
        final WorkerUser resolved;
        if (configured == null) {
            if (!canSwitch) {
                return null;
            }
            try {
                resolved = WorkerUser.resolve(null);
            } catch (final IllegalArgumentException e) {
                return null; // no default account: this user, which is not root
            }
        } else {
            resolved = WorkerUser.resolve(configured);
        }
        if (resolved.uid() == self) {
            return null;
        }
        if (!canSwitch) {
            throw new IllegalArgumentException("workers cannot run as " + resolved.name() + " (uid " + resolved.uid()
                + "): this process (uid " + self + ") lacks " + String.join(" and ", ProcessCapabilities.missing(
                    capabilities, List.of(ProcessCapabilities.Capability.SETUID,
                        ProcessCapabilities.Capability.SETGID)).stream()
                    .map(ProcessCapabilities.Capability::capName).toList())
                + "; grant them, or run the workers as this user (--user of this account)");
        }
        return resolved;
    }

    /** The private runtime directory. */
    public Path runtimeDirectory() {
        return directory.path();
    }

    /** True when workers drop privileges through {@code setpriv} (this process is root). */
    public boolean dropsPrivileges() {
        return privileged;
    }

    /** The account workers run as, or null when they run as this (non-root) user. */
    public WorkerUser workerUser() {
        return user;
    }

    /**
     * Workers in transition: launched but neither connected nor exited, or killed but not yet exited. Their next
     * event is still to come.
     */
    public int inTransition() {
        int count = 0;
        for (final LaunchedWorker worker : workers.values()) {
            if (!worker.exited && (!worker.connected || worker.killed)) {
                count++;
            }
        }
        return count + events.size();
    }

    /** Connections closed because they did not prove themselves (wrong token, credentials or timeout). */
    public long refusals() {
        return refusals;
    }

    /** The file that holds a worker's stdout and stderr. */
    public Path logFile(final WorkerHandle handle) {
        return directory.log(handle.workerIndex(), handle.launchId());
    }

    /** The command that starts worker {@code workerIndex} (without its environment). */
    List<String> command(final int workerIndex) {
        final List<String> command = new ArrayList<>(config.launchPrefix());
        command.addAll(commandPrefix);
        command.addAll(List.of(config.java().toString(), "@" + directory.jvmOptions(),
            "-D" + WorkerProcess.CPU_PROPERTY + "=" + config.cpuOfWorker().applyAsInt(workerIndex), "-cp",
            directory.classpath(),
            config.mainClass(), directory.socket().toString(), Integer.toString(workerIndex),
            Long.toString(ProcessHandle.current().pid())));
        command.addAll(config.extraArgs());
        return command;
    }

    @Override
    public WorkerHandle launch(final int workerIndex) {
        if (closed) {
            throw new IllegalStateException("the launcher is closed");
        }
        final long launchId = nextLaunchId++;
        final byte[] token = WorkerHandshake.newToken();
        final ProcessBuilder builder = new ProcessBuilder(command(workerIndex)).directory(directory.path().toFile())
            .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(directory.newLog(workerIndex, launchId).toFile());
        builder.environment().clear();
        builder.environment().put("PATH", config.searchPath());
        builder.environment().put("LANG", "C.UTF-8");
        builder.environment().put(WorkerHandshake.TOKEN_ENV, WorkerHandshake.toHex(token));
        final Process process;
        try {
            // Forked on the spawner thread: PR_SET_PDEATHSIG follows the forking thread, which must outlive workers.
            process = spawner.submit(builder::start).get();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot start worker " + workerIndex + ": " + e.getCause().getMessage(),
                e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting worker " + workerIndex, e);
        }
        int pidfd;
        try {
            pidfd = Processes.pidfdOpen(process.pid());
        } catch (final LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                process.destroyForcibly();
                throw e;
            }
            pidfd = -1; // already exited and reaped: the JDK's exit status is all there is
        }
        final WorkerHandle handle = new WorkerHandle(workerIndex, launchId, process.pid());
        workers.put(launchId, new LaunchedWorker(handle, process, token, pidfd));
        LOG.info("launched worker {} (launch {}) as pid {}", workerIndex, launchId, process.pid());
        return handle;
    }

    @Override
    public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
        final LaunchedWorker worker = workers.get(handle.launchId());
        if (worker == null || worker.exited) {
            return; // already gone: nothing happens
        }
        if (!closed) {
            LOG.warn("killing worker {} (launch {}, pid {}): {} ({})", handle.workerIndex(), handle.launchId(),
                handle.pid(), reason.word(), detail);
        }
        worker.killed = true;
        worker.killedFor = reason.word() + ": " + detail;
        if (worker.pidfd >= 0) {
            Processes.pidfdSendSignal(worker.pidfd, Processes.SIGKILL);
        } else {
            worker.process.destroyForcibly();
        }
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        acceptConnections();
        checkPending();
        checkExits();
        return events.deliver(listener, limit);
    }

    /**
     * For a loop sleeping in {@code poll(2)}: every descriptor whose readability means work for this launcher or for
     * the core — the listening socket, the connections proving themselves, the live workers' pidfds (readable when
     * the process exits) and their channels (a frame arrived, or the worker hung up).
     */
    public void descriptors(final IntConsumer out) {
        out.accept(listener);
        for (final Pending connection : pending) {
            out.accept(connection.channel().fd());
        }
        for (final LaunchedWorker worker : workers.values()) {
            if (!worker.exited && worker.pidfd >= 0) {
                out.accept(worker.pidfd);
            }
            if (worker.channel != null && !worker.channel.isClosed()) {
                out.accept(worker.channel.fd());
            }
        }
    }

    /** True when events wait for {@link #poll}: a loop must not sleep. */
    public boolean eventsWaiting() {
        return !events.isEmpty();
    }

    /** True when a worker channel holds bytes its socket has not taken yet (the core's next poll writes them). */
    public boolean outputPending() {
        for (final LaunchedWorker worker : workers.values()) {
            if (worker.channel != null && worker.channel.hasUnsent()) {
                return true;
            }
        }
        return false;
    }

    /** Waits up to {@code timeoutMs} for activity ({@link #descriptors} readable, or {@link #eventsWaiting}). */
    public boolean awaitActivity(final int timeoutMs) {
        final PollSet set = new PollSet();
        descriptors(set::add);
        return eventsWaiting() || set.await(timeoutMs) > 0;
    }

    private void acceptConnections() {
        for (int i = 0; i < ACCEPT_LIMIT; i++) {
            final int fd = UnixSockets.accept(listener);
            if (fd < 0) {
                return;
            }
            try {
                final FdPassing.PeerCredentials peer = FdPassing.peerCredentials(fd);
                // Until it proves itself, a connection may send nothing bigger than a hello.
                pending.add(new Pending(new StreamWorkerChannel(fd, WorkerProcess.CHANNEL_CAPACITY_BYTES,
                    WorkerHandshake.HELLO_BYTES), peer,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.handshakeTimeoutMs())));
            } catch (final RuntimeException e) {
                UnixSockets.close(fd);
                refuse("a connection whose credentials could not be read", e.getMessage());
            }
        }
    }

    private void checkPending() {
        final long nowNs = System.nanoTime();
        for (final Iterator<Pending> it = pending.iterator(); it.hasNext();) {
            final Pending connection = it.next();
            final int[] length = {-1};
            connection.channel().poll((buffer, offset, bytes) -> {
                length[0] = Math.min(bytes, helloBuffer.length);
                buffer.getBytes(offset, helloBuffer, 0, length[0]);
            }, 1);
            final String who = "pid " + connection.peer().pid() + " uid " + connection.peer().uid();
            if (length[0] >= 0) {
                it.remove();
                prove(connection, length[0], who);
            } else if (connection.channel().isClosed()) {
                it.remove();
                connection.channel().close();
                refuse(who, "closed the connection before proving itself");
            } else if (nowNs - connection.deadlineNs() > 0) {
                it.remove();
                connection.channel().close();
                refuse(who, "sent no hello within " + config.handshakeTimeoutMs() + " ms");
            }
        }
    }

    /** Checks one hello; welcomes the worker and hands it its descriptors, or closes the connection. */
    private void prove(final Pending connection, final int length, final String who) {
        final FdPassing.PeerCredentials peer = connection.peer();
        final LaunchedWorker worker = workerOfPid(peer.pid());
        final int expectedUid = privileged ? user.uid() : Processes.effectiveUid();
        // (as this user, the worker's group is this process's: SO_PEERCRED's gid is checked only for another user)
        final String problem;
        if (worker == null) {
            problem = "is not a worker this launcher started";
        } else if (worker.connected) {
            problem = "already connected once (the token is one-time)";
        } else if (peer.uid() != expectedUid || (privileged && peer.gid() != user.gid())) {
            problem = "runs as uid " + peer.uid() + " gid " + peer.gid() + ", not the worker user's " + expectedUid;
        } else if (!WorkerHandshake.helloCarries(helloBuffer, length, worker.token)) {
            problem = "sent a wrong token";
        } else {
            problem = null;
        }
        if (problem != null) {
            connection.channel().close();
            refuse(who, problem);
            return;
        }
        final int[] descriptors = config.descriptors().apply(worker.handle.workerIndex());
        try {
            final int fd = connection.channel().fd();
            // Written on the socket itself, not as a channel frame: the worker reads the welcome and each descriptor
            // with recvmsg before its channel reads anything, so that no frame read swallows a descriptor.
            FdPassing.send(fd, WorkerHandshake.welcome(descriptors.length), -1);
            for (final int descriptor : descriptors) {
                FdPassing.send(fd, new byte[] {'F'}, descriptor);
            }
        } catch (final RuntimeException e) {
            connection.channel().close();
            LOG.warn("worker {} (launch {}, {}) proved itself but its descriptors could not be sent: {}",
                worker.handle.workerIndex(), worker.handle.launchId(), who, e.getMessage());
            return;
        }
        connection.channel().raiseMaxFrameBytes(WorkerProcess.CHANNEL_FRAME_BYTES_MAX);
        worker.connected = true;
        worker.channel = connection.channel();
        LOG.info("worker {} (launch {}, {}) connected; passed {} descriptors", worker.handle.workerIndex(),
            worker.handle.launchId(), who, descriptors.length);
        events.connected(worker.handle, connection.channel());
    }

    private LaunchedWorker workerOfPid(final long pid) {
        for (final LaunchedWorker worker : workers.values()) {
            if (!worker.exited && worker.handle.pid() == pid) {
                return worker;
            }
        }
        return null;
    }

    private void refuse(final String who, final String why) {
        refusals++;
        LOG.warn("refused a worker connection from {}: {}", who, why);
    }

    private void checkExits() {
        final List<LaunchedWorker> watched = new ArrayList<>();
        for (final LaunchedWorker worker : workers.values()) {
            if (!worker.exited) {
                watched.add(worker);
            }
        }
        final int[] fds = new int[watched.size()];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = watched.get(i).pidfd;
        }
        final short[] revents = new short[fds.length];
        Processes.poll(fds, fds.length, revents, 0);
        for (int i = 0; i < fds.length; i++) {
            final LaunchedWorker worker = watched.get(i);
            final boolean ended = worker.pidfd >= 0 ? Processes.isReady(revents[i]) : !worker.process.isAlive();
            if (ended) {
                exited(worker);
            }
        }
    }

    private void exited(final LaunchedWorker worker) {
        final int status;
        try {
            // The pidfd says the process ended; the JDK's reaper collects its status a moment later.
            if (!worker.process.waitFor(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("worker pid " + worker.handle.pid()
                    + " ended (pidfd readable) but was not reaped within 5 s");
            }
            status = worker.process.exitValue();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        worker.exited = true;
        if (worker.pidfd >= 0) {
            Processes.close(worker.pidfd);
        }
        workers.remove(worker.handle.launchId());
        // A connection of the dead process that has not proved itself can never be welcomed now.
        for (final Iterator<Pending> it = pending.iterator(); it.hasNext();) {
            final Pending connection = it.next();
            if (connection.peer().pid() == worker.handle.pid()) {
                connection.channel().close();
                it.remove();
            }
        }
        final int reported = status > 128 ? -(status - 128) : status;
        if (worker.killed || closed) {
            LOG.info("worker {} (launch {}, pid {}) exited with status {} (killed for {})",
                worker.handle.workerIndex(), worker.handle.launchId(), worker.handle.pid(), reported,
                worker.killedFor);
        } else {
            // Nobody asked it to: the supervisor restarts it (reason "exited").
            LOG.warn("worker {} (launch {}, pid {}) exited by itself with status {}: {}",
                worker.handle.workerIndex(), worker.handle.launchId(), worker.handle.pid(), reported,
                RestartReason.EXITED.word());
        }
        logOutput(worker.handle);
        events.exited(worker.handle, reported);
    }

    /** What a worker may print at most into the supervisor's log when it exits. */
    static final int OUTPUT_LOGGED_BYTES_MAX = 16 << 10;

    /**
     * What an exited worker printed (its stdout and stderr, kept in {@code worker-N-L.log}) goes into the supervisor's
     * log, a line an entry at WARN, each tagged with the worker's index and pid (in the message, and as MDC
     * {@code worker} and {@code pid} for JSON logs): the last {@link #OUTPUT_LOGGED_BYTES_MAX} bytes of it.
     */
    private void logOutput(final WorkerHandle handle) {
        final Path file = directory.log(handle.workerIndex(), handle.launchId());
        final byte[] output;
        final long size;
        try {
            size = java.nio.file.Files.size(file);
            if (size == 0) {
                return;
            }
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
                final java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate((int) Math.min(size,
                    OUTPUT_LOGGED_BYTES_MAX));
                channel.read(tail, size - tail.capacity());
                output = java.util.Arrays.copyOf(tail.array(), tail.position());
            }
        } catch (final java.io.IOException e) {
            LOG.warn("worker {} (pid {}): cannot read its output in {}: {}", handle.workerIndex(), handle.pid(), file,
                e.toString());
            return;
        }
        org.slf4j.MDC.put("worker", Integer.toString(handle.workerIndex()));
        org.slf4j.MDC.put("pid", Long.toString(handle.pid()));
        try {
            if (size > output.length) {
                LOG.warn("worker {} (pid {}) printed {} bytes; the last {} follow (all of it in {})",
                    handle.workerIndex(), handle.pid(), size, output.length, file);
            }
            for (final String line : new String(output, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    LOG.warn("worker {} (pid {}): {}", handle.workerIndex(), handle.pid(), line.stripTrailing());
                }
            }
        } finally {
            org.slf4j.MDC.remove("worker");
            org.slf4j.MDC.remove("pid");
        }
    }

    /** Kills every worker, waits for them, closes the socket and removes the runtime directory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (final LaunchedWorker worker : workers.values()) {
            kill(worker.handle, RestartReason.REQUESTED, "the launcher is closing");
        }
        for (final LaunchedWorker worker : workers.values()) {
            try {
                worker.process.waitFor(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (worker.pidfd >= 0) {
                Processes.close(worker.pidfd);
            }
        }
        workers.clear();
        for (final Pending connection : pending) {
            connection.channel().close();
        }
        pending.clear();
        UnixSockets.close(listener);
        spawner.shutdownNow();
        directory.delete();
    }
}
