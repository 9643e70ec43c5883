package io.mcrelay.daemon;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.BuildInfo;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.GapEntry;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.journal.JournalCheck;
import io.mcrelay.linux.netlink.NetlinkLinkMonitor;
import io.mcrelay.linux.packet.KernelGroupMemberships;
import io.mcrelay.linux.packet.PacketInputSockets;
import io.mcrelay.linux.packet.RingGeometry;
import io.mcrelay.linux.packetio.PacketBackend;
import io.mcrelay.linux.packetio.WorkerIo;
import io.mcrelay.linux.process.ProcessCapabilities;
import io.mcrelay.linux.process.ProcessWorkerLauncher;
import io.mcrelay.linux.process.WorkerUser;
import io.mcrelay.linux.sys.PollSet;
import io.mcrelay.record.GuardedJournal;
import io.mcrelay.record.IoRecorder;
import io.mcrelay.runtime.ControlPeer;
import io.mcrelay.runtime.InProcessClient;
import io.mcrelay.runtime.LogbackLogLevels;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.runtime.DeadlineTrackingTimers;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.DutyCycleRunner;

/**
 * The supervisor daemon ({@code mcrelay supervisor}): the composition root that wires the real {@link Supervisor}
 * to the production seams — {@link SystemClock}, {@link WheelTimers}, {@link ProcessWorkerLauncher} (workers run
 * {@link WorkerMain}), {@link UnixControlServer}, {@link NetlinkLinkMonitor}, {@link LogbackLogLevels},
 * {@link PacketInputSockets} and a {@link ChronicleJournal} that {@link IoRecorder} writes every input and output to
 * (the rule table is recovered from it at start) — and runs its duty cycle on one thread.
 *
 * <p>The loop: each cycle runs {@link Supervisor#doWork} with the current monotonic time (the core sets the input
 * sockets' exact filters itself, before the change they serve is acked). A cycle that did no work sleeps in one
 * {@code poll(2)} ({@link SupervisorWait}) on every descriptor that means work — the control socket and its
 * connections, the launcher's listening socket, connections proving themselves, the workers' pidfds and channels, the
 * netlink socket — until one is readable or the next timer (found by {@link DeadlineTrackingTimers}, plus the wheel's
 * tick of about 1 ms) or control-connection timeout is due: a request, a worker's frame, its exit or a link change is
 * taken at once, and an idle daemon wakes only for its timers and the workers' heartbeats.
 *
 * <p>Inputs: workers start without any; the supervisor core hands each worker its member of every open input over
 * the worker's channel ({@code AttachInput}, the socket riding with the frame) before the change that needs it, and
 * takes it back ({@code ReleaseInput}) when the input closes or is re-created, so no worker is restarted for an
 * input change and a change is acked only once every worker holds its input.
 *
 * <p>Threading: {@link #run} owns every seam; {@link #requestStop} may be called from any thread (a shutdown hook).
 */
public final class SupervisorDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorDaemon.class);
    /** How often the loop publishes what the metrics endpoint serves. */
    static final long METRICS_INTERVAL_NS = 1_000_000_000L;
    static final long WORKER_HEARTBEAT_MS = 250;
    /**
     * Daily journal files, each deleted once its day ended more than 7 days ago (never the file of the last snapshot
     * or a later one, so recovery always finds the table): every heartbeat is journaled, so a journal kept forever
     * would grow without bound.
     */
    static final ChronicleJournal.Config JOURNAL_CONFIG = ChronicleJournal.Config.daily()
        .withRetention(ChronicleJournal.Config.UNLIMITED_BYTES, java.time.Duration.ofDays(7));

    /**
     * What the daemon runs with; see {@code mcrelay supervisor --help}.
     *
     * @param configFile  the {@code --config} file to load once running, or {@code null}
     * @param socketGroup the control socket's group ({@code --socket-group}), or {@code null} for the kernel's
     *                    choice (the supervisor's primary group)
     * @param control     the control socket's timeouts and limits ({@code --control-idle-timeout})
     * @param metrics     where to serve metrics ({@code --metrics}), or {@code null}
     * @param backend     the workers' packet backend ({@code --backend}; {@code auto}: io_uring where the workers
     *                    could use it, else epoll)
     */
    public record Config(Path socket, int workers, String user, Path journal, Path runtimeParent,
        ConfigFile configFile, RingGeometry ring, String socketGroup, UnixControlServer.Config control,
        Metrics metrics, PacketBackend.Preference backend) {
        /** As below, without metrics, with the backend {@code auto}. */
        public Config(final Path socket, final int workers, final String user, final Path journal,
            final Path runtimeParent, final ConfigFile configFile, final RingGeometry ring, final String socketGroup,
            final UnixControlServer.Config control) {
            this(socket, workers, user, journal, runtimeParent, configFile, ring, socketGroup, control, null,
                PacketBackend.Preference.AUTO);
        }

        /** A configuration without a {@code --config} file, with the default receive rings and control socket. */
        public Config(final Path socket, final int workers, final String user, final Path journal,
            final Path runtimeParent) {
            this(socket, workers, user, journal, runtimeParent, null,
                RingGeometry.forBytes(RingGeometry.DEFAULT_BYTES), null, UnixControlServer.Config.DEFAULTS);
        }

        /** The same with a {@code --config} file. */
        public Config withConfigFile(final ConfigFile file) {
            return new Config(socket, workers, user, journal, runtimeParent, file, ring, socketGroup, control,
                metrics, backend);
        }

        /** The same serving Prometheus metrics. */
        public Config withMetrics(final Metrics served) {
            return new Config(socket, workers, user, journal, runtimeParent, configFile, ring, socketGroup, control,
                served, backend);
        }

        /** The same with the workers' packet backend {@code preference}. */
        public Config withBackend(final PacketBackend.Preference preference) {
            return new Config(socket, workers, user, journal, runtimeParent, configFile, ring, socketGroup, control,
                metrics, preference);
        }

        public Config {
            Objects.requireNonNull(socket, "socket");
            Objects.requireNonNull(journal, "journal");
            Objects.requireNonNull(runtimeParent, "runtimeParent");
            Objects.requireNonNull(ring, "ring");
            Objects.requireNonNull(control, "control");
            Objects.requireNonNull(backend, "backend");
            if (workers < 1 || workers > 1024) {
                throw new IllegalArgumentException("workers must be 1 to 1024, not " + workers);
            }
        }
    }

    /** {@code --metrics ADDR:PORT}: where to serve Prometheus metrics, and whether per-output series are wanted. */
    public record Metrics(java.net.InetSocketAddress address, boolean outputs) {
        public Metrics {
            Objects.requireNonNull(address, "address");
        }
    }

    /** A config file's name (for errors and the journal) and its text, already checked. */
    public record ConfigFile(String name, String text) {
        public ConfigFile {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(text, "text");
        }
    }

    /** A start that failed: one line saying what and why. */
    public static final class StartupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StartupException(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopRequested;
    /** SIGHUP: re-read the --config file into the table (taken by the loop at its next cycle). */
    private volatile boolean reloadRequested;
    private SwitchingControl served;
    private Config options;
    /** What the metrics endpoint serves, published by the loop once a second; {@code null} without --metrics. */
    private final java.util.concurrent.atomic.AtomicReference<MetricsServer.Snapshot> metricsSnapshot =
        new java.util.concurrent.atomic.AtomicReference<>();
    private MetricsServer metricsServer;
    private long metricsPublishedNs;
    private ChronicleJournal journal;
    private UnixControlServer control;
    private PacketInputSockets inputs;
    private ProcessWorkerLauncher launcher;
    private DeadlineTrackingTimers timers;
    private SupervisorWait wait;
    private IoRecorder recorder;
    private Supervisor supervisor;
    private boolean closed;

    private SupervisorDaemon() {
    }

    /**
     * Opens everything and starts the supervisor (recovering its rules from the journal, launching the workers).
     *
     * @throws StartupException with one line naming what could not start and why; what was opened is closed
     */
    public static SupervisorDaemon start(final Config options) {
        return start(options, UnaryOperator.identity());
    }

    /**
     * As {@link #start(Config)}, with the supervisor's seams passed through {@code decorate} before the core and the
     * recorder see them: the fault-injection daemon's one way in ({@code mcrelay supervisor} passes none).
     */
    public static SupervisorDaemon start(final Config options, final UnaryOperator<Supervisor.Seams> decorate) {
        final SupervisorDaemon daemon = new SupervisorDaemon();
        try {
            daemon.open(options, decorate);
            return daemon;
        } catch (final StartupException e) {
            daemon.close();
            throw e;
        } catch (final RuntimeException e) {
            daemon.close();
            throw new StartupException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private void open(final Config options, final UnaryOperator<Supervisor.Seams> decorate) {
        // Before anything is created: a group that does not exist changes nothing.
        final GroupPrincipal socketGroup = socketGroup(options.socketGroup());
        final String lacking = missingCapabilities(options.user());
        if (lacking != null) {
            throw new StartupException(lacking, null);
        }
        final long workerGid = workerGid(options.user());
        final PacketBackend.Choice backend;
        try {
            backend = PacketBackend.decide(options.backend(), () -> PacketBackend.probeIoUringForWorkers(workerGid));
        } catch (final IllegalStateException e) {
            throw new StartupException(e.getMessage(), e);
        }
        LOG.info("packet backend: {} ({})", backend.kind().text(), backend.reason());

        journal = add(ChronicleJournal.open(options.journal(), SystemClock.INSTANCE, JOURNAL_CONFIG));
        final JournalCheck check = journal.problems();
        if (!check.clean()) {
            for (final JournalCheck.Problem problem : check.problems()) {
                LOG.warn("journal {}: {}", options.journal(), problem);
            }
            LOG.warn("journal {}: damaged; starting from its valid prefix (damaged files moved to {})",
                options.journal(), options.journal().resolve("damaged"));
        }
        control = add(UnixControlServer.open(options.socket(), SystemClock.INSTANCE, options.control(), socketGroup,
            ControlPeer.kernel()));
        final NetlinkLinkMonitor links = add(NetlinkLinkMonitor.open());
        final RingGeometry ring = options.ring();
        LOG.info("receive rings: {}", ring.describe());
        inputs = add(new PacketInputSockets(new PacketInputSockets.Config(options.workers(), ring.blockBytes(),
            ring.blocks(), ring.retireMillis(), 0)));
        final PacketInputSockets openedInputs = inputs;
        launcher = add(ProcessWorkerLauncher.create(ProcessWorkerLauncher.Config.defaults(options.runtimeParent(),
                workerJvmOptions())
            .withUser(options.user())
            .withWorkerOptions(new WorkerIo.Config(backend.kind() == PacketBackend.Kind.EPOLL
                ? PacketBackend.Preference.EPOLL : PacketBackend.Preference.IO_URING, ring.blockBytes(), ring.blocks(),
                WORKER_HEARTBEAT_MS))
            .withDescriptors(index -> new int[0]))); // inputs are handed over the channel, by the core

        final long startNs = SystemClock.INSTANCE.nanoTime();
        // A worker JVM that just connected may take seconds to speak on a loaded machine: it is not killed for
        // that before the connect timeout; once it has spoken, DESIGN's 4 missed heartbeats apply.
        final Supervisor.Config defaults = Supervisor.Config.defaults(options.workers());
        final Supervisor.Config config = defaults.withFirstMessageTimeoutNs(defaults.connectTimeoutNs());
        // The recorder and the core write through one guard: a full disk refuses entries (rule changes with them)
        // instead of breaking the journal, and the gap is marked once it takes entries again.
        final GuardedJournal guarded = new GuardedJournal(journal, journalListener(options.journal()));
        recorder = new IoRecorder(guarded, SystemClock.INSTANCE);
        this.options = options;
        served = new SwitchingControl(control, options.configFile() == null ? control
            : configClient(options.configFile()));
        if (!control.descriptors(fd -> { })) {
            LOG.warn("the control socket's descriptors cannot be watched (java.base/sun.nio.ch is not exported to "
                + "mcrelay: start it with the launcher's JVM options): the idle loop wakes every millisecond");
        }
        timers = new DeadlineTrackingTimers(new WheelTimers(startNs));
        wait = new SupervisorWait(SystemClock.INSTANCE::nanoTime, () -> stopRequested, controlSource(control),
            launcherSource(launcher), linksSource(links), timersSource(timers));
        final Supervisor.Seams seams = new Supervisor.Seams(timers, launcher, served, links,
            new LogbackLogLevels(), inputs, add(new KernelGroupMemberships()), guarded, SystemClock.INSTANCE);
        supervisor = new Supervisor(config, recorder.wrap(decorate.apply(seams)));
        recorder.start(startNs, config);
        supervisor.start(startNs);
        if (options.metrics() != null) {
            metricsSnapshot.set(new MetricsServer.Snapshot(supervisor.statsReport(), supervisor.epoch(),
                supervisor.controlAnswers(), journal.bytesWritten(), supervisor.ruleStateCounts()));
            metricsPublishedNs = startNs;
            try {
                metricsServer = add(MetricsServer.start(options.metrics().address(), options.metrics().outputs(),
                    metricsSnapshot));
            } catch (final java.io.IOException e) {
                throw new StartupException("cannot serve metrics on " + options.metrics().address() + ": "
                    + e.getMessage(), e);
            }
            LOG.info("metrics on http://{}:{}/metrics{}", options.metrics().address().getHostString(),
                metricsServer.port(), options.metrics().outputs() ? " (per output too)" : "");
        }
        LOG.info("supervisor started: {} workers, control socket {}, journal {} ({} rules recovered, epoch {})",
            options.workers(), control.path(), options.journal(), supervisor.rules().size(), supervisor.epoch());
    }

    private static GroupPrincipal socketGroup(final String name) {
        if (name == null) {
            return null;
        }
        try {
            return UnixControlServer.lookUpGroup(name);
        } catch (final IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new StartupException("--socket-group " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The control server with an in-process client that loads {@code file} once the loop runs, as {@code mcrelay
     * config load} would: journaled, applied in one epoch and acked like any client's request, its answer logged.
     */
    private ControlServer configClient(final ConfigFile file) {
        return new InProcessClient(control, List.of(
            new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION, "mcrelay supervisor --config"),
            new ControlRequest.ConfigLoad(1, file.name(), file.text())), response -> {
                switch (response) {
                    case ControlResponse.Welcome welcome -> { }
                    case ControlResponse.ConfigLoaded loaded -> LOG.info("--config {}: {}", file.name(), loaded);
                    default -> LOG.error("--config {}: not loaded: {}", file.name(), response);
                }
            });
    }

    private <T extends AutoCloseable> T add(final T resource) {
        resources.add(resource);
        return resource;
    }

    /**
     * A worker's JVM sized for one thread running a loop that allocates nothing per packet (docs/reference/
     * processes.md). Measured with 2 workers (resident memory without the receive rings, 1 rule / 1,000 rules): the
     * JVM's defaults 98 / 108 MiB; the serial collector alone changes nothing; with an initial heap of 8 MiB (the
     * default is 1/64 of the machine's memory, 384 MiB here, which G1 touches as it goes) and the C heap trimmed
     * every second (the JIT's arenas stay resident after a compilation otherwise) 69-70 / 75-81 MiB. The heap may
     * still grow to the JVM's default maximum for a large table. No {@code -Xmx}: a worker must never run out of
     * heap taking in a table the supervisor accepted. Idle, the trim every second was a tenth of a worker's CPU
     * (about 38 {@code madvise} calls a second): every 5 s gives the arenas back as surely, a JIT's work being done
     * within the first minute. No hsperfdata file ({@code -XX:-UsePerfData}): nobody lists workers with
     * {@code jps}, and its sampler runs every 50 ms ({@code PerfDataSamplingInterval}). One CPU
     * ({@code -XX:ActiveProcessorCount=1}): the JVM sizes its compiler and collector threads by the CPUs it may use,
     * which was one when the whole worker was pinned; now only its loop's thread is, and the JVM's own threads may run
     * on any CPU the supervisor may (so they no longer queue behind the loop, nor the loop behind them).
     */
    static final List<String> WORKER_SIZING = List.of("-XX:+UseSerialGC", "-Xms8m",
        "-XX:TrimNativeHeapInterval=5000", "-XX:-UsePerfData", "-XX:ActiveProcessorCount=1");

    private static final String AOT_CACHE = "-XX:AOTCache=";

    /**
     * The AOT cache for workers, given the supervisor's (which the launcher checked: newer than the jar, made by this
     * JDK): {@code mcrelay-worker.aot} beside it, trained on a worker's start-up ({@code WorkerAotTraining}), when it
     * is there and newer than the jar; else the supervisor's own.
     */
    static Path workerCache(final Path supervisorCache) {
        final Path worker = supervisorCache.resolveSibling("mcrelay-worker.aot");
        final Path jar = Path.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0]);
        try {
            if (Files.isRegularFile(worker) && Files.isRegularFile(jar)
                && Files.getLastModifiedTime(worker).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                return worker;
            }
        } catch (final java.io.IOException e) {
            LOG.info("workers use the supervisor's AOT cache: cannot read {}: {}", worker, e.getMessage());
        }
        return supervisorCache;
    }

    /**
     * The primary group the workers will run with, for the backend's probe: the worker account's when this process
     * starts them as another user, else this process's own; -1 when the account cannot be found (the launcher then
     * stops the start, naming it).
     */
    static long workerGid(final String user) {
        try {
            final WorkerUser account = ProcessWorkerLauncher.workerAccount(user);
            return account != null ? account.gid() : io.mcrelay.linux.sys.Processes.effectiveGid();
        } catch (final RuntimeException e) {
            return -1;
        }
    }

    /**
     * The capabilities the supervisor needs: always {@code CAP_NET_RAW}, {@code CAP_NET_ADMIN} and
     * {@code CAP_SETPCAP}; with workers running as another user also {@code CAP_SETUID}, {@code CAP_SETGID} and
     * {@code CAP_KILL} (root holds them all). An unknown worker account counts as another user.
     */
    static List<ProcessCapabilities.Capability> neededCapabilities(final String user) {
        boolean anotherUser;
        try {
            anotherUser = ProcessWorkerLauncher.workerAccount(user) != null;
        } catch (final RuntimeException e) {
            anotherUser = true;
        }
        return anotherUser ? List.of(ProcessCapabilities.Capability.NET_RAW,
            ProcessCapabilities.Capability.NET_ADMIN, ProcessCapabilities.Capability.SETUID,
            ProcessCapabilities.Capability.SETGID, ProcessCapabilities.Capability.SETPCAP,
            ProcessCapabilities.Capability.KILL)
            : List.of(ProcessCapabilities.Capability.NET_RAW, ProcessCapabilities.Capability.NET_ADMIN,
                ProcessCapabilities.Capability.SETPCAP);
    }

    /**
     * What this process lacks to run the daemon with worker account {@code user}, as one line naming each missing
     * capability and what it is for; {@code null} when nothing is missing.
     */
    static String missingCapabilities(final String user) {
        final List<ProcessCapabilities.Capability> missing = ProcessCapabilities.missing(
            ProcessCapabilities.effective(), neededCapabilities(user));
        if (missing.isEmpty()) {
            return null;
        }
        return "the supervisor (uid " + io.mcrelay.linux.sys.Processes.effectiveUid() + ") lacks "
            + String.join(", ", missing.stream().map(c -> c.capName() + " (" + c.purpose() + ")").toList())
            + ": run it as root or grant them (AmbientCapabilities= in its systemd unit, docs/packaging.md)";
    }

    /**
     * The worker JVM's options: those of this JVM that open the platform to the code (native access, exports,
     * opens, system properties of ours and Chronicle's), so a worker runs with the daemon's {@code jvm.options},
     * then {@link #WORKER_SIZING}.
     */
    static List<String> workerJvmOptions() {
        final List<String> options = new ArrayList<>();
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--enable-native-access") || argument.startsWith("--add-exports")
                || argument.startsWith("--add-opens") || argument.startsWith("--sun-misc-unsafe-memory-access")
                || argument.startsWith("-Dchronicle.") || argument.startsWith("-Dmcrelay.")) {
                options.add(argument);
            } else if (argument.startsWith(AOT_CACHE)) { // the launcher's: the runtime directory copies it along
                options.add(AOT_CACHE + workerCache(Path.of(argument.substring(AOT_CACHE.length()))));
            }
        }
        if (options.stream().noneMatch(o -> o.startsWith("--enable-native-access"))) {
            options.add("--enable-native-access=ALL-UNNAMED");
        }
        options.addAll(WORKER_SIZING);
        return options;
    }

    /**
     * Runs the loop until {@link #requestStop}; then stops the workers and closes everything. An error escaping a
     * duty cycle ends the loop (it is never looped over) and propagates after everything is closed.
     */
    public void run() {
        final DutyCycleRunner runner = new DutyCycleRunner("supervisor", this::dutyCycle);
        try {
            runner.run(SystemClock.INSTANCE, () -> stopRequested, wait);
            LOG.info("stopping: workers, control socket, journal");
        } finally {
            close();
            stopped.countDown();
        }
    }

    /** The control socket: its descriptors, answers waiting for room, connection timeouts. */
    static SupervisorWait.Source controlSource(final UnixControlServer control) {
        return new SupervisorWait.Source() {
            @Override
            public boolean descriptors(final PollSet set) {
                return control.descriptors(set::add);
            }

            @Override
            public boolean outputPending() {
                return control.outputPending();
            }

            @Override
            public long nextDeadlineNs() {
                return control.nextDeadlineNs();
            }
        };
    }

    /**
     * The launcher: its descriptors and the workers' (handshake timeouts are checked whenever the loop wakes, at
     * least once a second), events waiting, worker channels waiting for room.
     */
    private static SupervisorWait.Source launcherSource(final ProcessWorkerLauncher launcher) {
        return new SupervisorWait.Source() {
            @Override
            public boolean descriptors(final PollSet set) {
                launcher.descriptors(set::add);
                return true;
            }

            @Override
            public boolean eventsWaiting() {
                return launcher.eventsWaiting();
            }

            @Override
            public boolean outputPending() {
                return launcher.outputPending();
            }
        };
    }

    /** The link monitor: its socket, and changes it read already. */
    private static SupervisorWait.Source linksSource(final NetlinkLinkMonitor links) {
        return new SupervisorWait.Source() {
            @Override
            public boolean descriptors(final PollSet set) {
                set.add(links.descriptor());
                return true;
            }

            @Override
            public boolean eventsWaiting() {
                return links.hasQueued();
            }
        };
    }

    /** The timers: no descriptor; due at the earliest deadline plus the wheel's resolution (it fires on ticks). */
    static SupervisorWait.Source timersSource(final DeadlineTrackingTimers timers) {
        return new SupervisorWait.Source() {
            @Override
            public boolean descriptors(final PollSet set) {
                return true;
            }

            @Override
            public long nextDeadlineNs() {
                final long next = timers.nextDeadlineNs();
                return next == DeadlineTrackingTimers.NONE ? Long.MAX_VALUE : next + timers.resolutionNs();
            }
        };
    }

    /** Logs when the journal stops taking entries and when it takes them again. */
    private static GuardedJournal.Listener journalListener(final Path dir) {
        return new GuardedJournal.Listener() {
            @Override
            public void unwritable(final Journal.Health health, final long atNs) {
                LOG.warn("journal {} is {}: {}; rule changes are refused until it can be written, forwarding goes "
                    + "on, and what the journal cannot take is counted as lost{}", dir, health.state().word(),
                    health.reason(), health.state() == Journal.State.FULL ? " (tried again every second)" : "");
            }

            @Override
            public void resumed(final GapEntry gap) {
                LOG.info("journal {} takes entries again: a gap entry marks {}; a snapshot follows", dir,
                    gap.describe());
            }
        };
    }

    /** One cycle of the supervisor, recorded as one cycle of the journal. */
    private int dutyCycle(final long nowNs) {
        recorder.beginCycle(nowNs);
        if (reloadRequested) {
            reloadRequested = false;
            reload();
        }
        final int work = supervisor.doWork(nowNs);
        if (metricsServer != null && nowNs - metricsPublishedNs >= METRICS_INTERVAL_NS) {
            metricsPublishedNs = nowNs;
            metricsSnapshot.set(new MetricsServer.Snapshot(supervisor.statsReport(), supervisor.epoch(),
                supervisor.controlAnswers(), journal.bytesWritten(), supervisor.ruleStateCounts()));
        }
        return work;
    }

    /**
     * Asks the loop to re-read the {@code --config} file into the table (SIGHUP); returns at once. The loop takes it
     * at its next cycle, within {@link SupervisorWait#WAIT_MAX_MS}.
     */
    public void requestReload() {
        reloadRequested = true;
    }

    /**
     * SIGHUP: the {@code --config} file, read again, becomes the table in one epoch, through an in-process client, as
     * {@code config load} would make it (unchanged rules keep their ids and lose nothing; rules added at run time and
     * absent from the file go). A file that cannot be read or is not valid changes nothing; each outcome is logged.
     */
    private void reload() {
        if (options.configFile() == null) {
            LOG.warn("SIGHUP: the daemon runs without --config: there is no file to reload, and the table stays as "
                + "it is");
            return;
        }
        final String name = options.configFile().name();
        if (served.clientRunning()) {
            LOG.warn("SIGHUP: the previous load of {} is still waiting for the workers: this one is ignored (send "
                + "SIGHUP again once it is done)", name);
            return;
        }
        final String text;
        try {
            final Path file = Path.of(name);
            if (Files.size(file) > io.mcrelay.protocol.Frames.CONTROL_BYTES_MAX) {
                LOG.error("SIGHUP: {} has {} bytes, more than a config may ({}): the table stays as it is", name,
                    Files.size(file), io.mcrelay.protocol.Frames.CONTROL_BYTES_MAX);
                return;
            }
            text = Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (final java.io.IOException | RuntimeException e) {
            LOG.error("SIGHUP: cannot read {} ({}): the table stays as it is", name, e.toString());
            return;
        }
        LOG.info("SIGHUP: reloading {}: the table becomes the file's in one epoch (rules added at run time and not in "
            + "the file are removed)", name);
        served.start(List.of(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION, "mcrelay supervisor SIGHUP"),
            new ControlRequest.ConfigLoad(1, name, text)), response -> {
                switch (response) {
                    case ControlResponse.Welcome welcome -> { }
                    case ControlResponse.ConfigLoaded loaded -> {
                        if (loaded.laggingWorkers().isEmpty()) {
                            LOG.info("SIGHUP: loaded {} at epoch {}: {} added, {} removed, {} kept", name,
                                loaded.epoch(), loaded.added(), loaded.removed(), loaded.kept());
                        } else {
                            LOG.warn("SIGHUP: loaded {} at epoch {}: {} added, {} removed, {} kept; workers {} did "
                                + "not ack in time (they are being resynced or restarted)", name, loaded.epoch(),
                                loaded.added(), loaded.removed(), loaded.kept(), loaded.laggingWorkers());
                        }
                    }
                    case ControlResponse.Refused refused -> LOG.error("SIGHUP: {} not loaded, the table stays as it "
                        + "is: {}", name, refused.message());
                    default -> LOG.error("SIGHUP: {} not loaded: {}", name, response);
                }
            });
    }

    /** Asks the loop to stop; returns at once. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Waits until the loop has stopped and everything is closed; true if it did within the time. */
    public boolean awaitStopped(final long timeout, final TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    /** The supervisor, for tests in this package. */
    Supervisor supervisor() {
        return supervisor;
    }

    /** Stops the workers, closes the control socket (its file removed), the sockets and the journal. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Workers first (the launcher kills them and waits), the journal last.
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (final Exception e) {
                LOG.warn("while stopping: {}", e.toString());
            }
        }
        resources.clear();
    }
}
