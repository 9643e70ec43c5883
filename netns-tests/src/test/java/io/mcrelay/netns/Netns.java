package io.mcrelay.netns;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import io.mcrelay.linux.sys.NetworkNamespaces;
import io.mcrelay.rules.InterfaceNames;

/**
 * A network namespace that a test created and owns: {@link #close()} deletes it, and with it every interface
 * inside it. Also the helpers that wire namespaces together ({@link #vethPair}, {@link #addAddress}).
 *
 * <p>Every real-kernel test opens with {@link #requireRoot()} (which reports the test as skipped, with the reason,
 * where namespaces cannot be made) and holds each namespace in try-with-resources. A JVM shutdown hook deletes, as
 * a last resort, any namespace this class created and did not yet delete. Nothing here touches the host's own
 * interfaces: veth ends are created directly inside their namespaces, and addresses go only on interfaces in
 * namespaces a test created, so traffic never leaves them.
 *
 * <p>Names are {@code prefix + pid + "-" + counter} (e.g. {@code mcrfx4711-0}): unique across concurrent JVMs on
 * the host and across creates in one JVM, and recognisable as one run's by {@link #runPrefix}. Namespace names are
 * not bound by the kernel's 15-character limit ({@code IFNAMSIZ}); interface names are, and are checked.
 *
 * <p>Thread-safe: namespaces may be created and closed from any thread. Commands run with {@code LC_ALL=C} so that
 * iproute2's messages (which this class reads) do not depend on the machine's locale.
 */
public final class Netns implements AutoCloseable {
    /** How long any one command may run before it is killed and reported. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,15}");
    private static final long PID = ProcessHandle.current().pid();
    /** Tries at a fresh name when one is taken (a namespace left by a killed JVM that had the same pid). */
    private static final int CREATE_ATTEMPTS_MAX = 8;
    private static final List<Path> IP_SEARCH_DIRS = List.of(
        Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin"));
    private static final String NO_IP = "iproute2's `ip` is not installed (looked on PATH and in "
        + IP_SEARCH_DIRS + "); install it with: apt-get install -y iproute2";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** Namespaces created by this JVM and not yet deleted: what the shutdown hook removes. Sorted for stable logs. */
    private static final Set<String> LIVE = new ConcurrentSkipListSet<>();
    private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();

    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Netns(final String name) {
        this.name = name;
    }

    /**
     * Returns normally if this machine lets the test create network namespaces; otherwise aborts the calling test
     * (JUnit reports it as skipped) with the reason, which is also printed: not root, no {@code ip}, or creating a
     * namespace failed. The probe runs once per JVM.
     */
    public static void requireRoot() {
        final Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            log("skipping: " + reason.get());
            Assumptions.assumeTrue(false, reason.get());
        }
    }

    /**
     * Why namespaces cannot be created here, or empty when they can. Unlike {@link #requireRoot()} this never
     * aborts, so {@code @AfterAll} methods can use it.
     */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Availability.REASON);
    }

    /**
     * Creates a namespace named {@code prefix + pid + "-" + counter} with its loopback interface up (a fresh
     * namespace has {@code lo} down, which surprises every test that uses it).
     *
     * @param prefix 1 to 16 lower-case letters and digits, starting with a letter
     * @throws IllegalStateException with iproute2's output if the namespace cannot be created
     */
    public static Netns create(final String prefix) {
        final String runPrefix = runPrefix(prefix);
        installShutdownHook();
        final Path ip = ip().orElseThrow(() -> new IllegalStateException(NO_IP));
        final List<String> taken = new ArrayList<>();
        for (int attempt = 0; attempt < CREATE_ATTEMPTS_MAX; attempt++) {
            final String name = runPrefix + COUNTER.getAndIncrement();
            // Registered before the command: if the JVM exits while `ip netns add` runs, the hook still removes it.
            LIVE.add(name);
            final Result result;
            try {
                result = run(DEFAULT_TIMEOUT, List.of(ip.toString(), "netns", "add", name));
            } catch (final RuntimeException e) {
                // Timed out or interrupted: it may exist, so it stays registered for the shutdown hook to delete.
                throw new IllegalStateException("cannot create network namespace " + name, e);
            }
            if (result.exitCode() == 0) {
                final Netns netns = new Netns(name);
                try {
                    netns.ip("link", "set", "lo", "up");
                } catch (final RuntimeException e) {
                    netns.close();
                    throw e;
                }
                return netns;
            }
            LIVE.remove(name);
            if (!result.stderr().contains("File exists")) {
                throw new IllegalStateException("cannot create network namespace " + name + "\n" + result.describe());
            }
            // Left by an earlier JVM with our pid that was killed before it could clean up: not ours to delete.
            taken.add(name);
        }
        throw new IllegalStateException("cannot create a network namespace: all of " + taken
            + " already exist (leftovers of killed runs; remove them with `ip netns delete NAME`)");
    }

    /**
     * The part of every name that {@link #create} gives for {@code prefix} in this JVM, e.g. {@code mcrfx4711-}:
     * a test can check that none of its namespaces remain.
     */
    public static String runPrefix(final String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                "a namespace prefix is 1 to 16 lower-case letters and digits, starting with a letter: " + prefix);
        }
        return prefix + PID + "-";
    }

    /** The names of all network namespaces on the host, as {@code ip netns list} shows them. */
    public static List<String> list() {
        final Path ip = ip().orElseThrow(() -> new IllegalStateException(NO_IP));
        final Result result = runOrThrow(List.of(ip.toString(), "netns", "list"));
        final List<String> names = new ArrayList<>();
        for (final String line : result.stdout().split("\n")) {
            // Lines are "NAME" or "NAME (id: N)" once the kernel has given the namespace an id.
            final String trimmed = line.strip();
            if (!trimmed.isEmpty()) {
                names.add(trimmed.split("\\s+", 2)[0]);
            }
        }
        return names;
    }

    /**
     * Creates a veth pair with end {@code ifA} in {@code a} and end {@code ifB} in {@code b}, both up. The ends are
     * created directly inside their namespaces, so their names need to be unique only there; deleting either
     * namespace deletes the pair.
     *
     * @throws IllegalArgumentException if a name is not a valid interface name (at most 15 characters)
     * @throws IllegalStateException with iproute2's output if a step fails
     */
    public static void vethPair(final Netns a, final String ifA, final Netns b, final String ifB) {
        requireInterfaceName(ifA);
        requireInterfaceName(ifB);
        a.requireOpen();
        b.requireOpen();
        if (a == b && ifA.equals(ifB)) {
            throw new IllegalArgumentException("both ends of a veth pair in " + a.name + " are named " + ifA);
        }
        final Path ip = ip().orElseThrow(() -> new IllegalStateException(NO_IP));
        runOrThrow(List.of(ip.toString(), "link", "add", ifA, "netns", a.name,
            "type", "veth", "peer", "name", ifB, "netns", b.name));
        a.ip("link", "set", ifA, "up");
        b.ip("link", "set", ifB, "up");
    }

    /**
     * Creates bridge {@code bridgeName} in {@code netns}, up, with multicast snooping off (so a group reaches every
     * port whether or not an IGMP querier runs), and enslaves {@code ports} (interfaces already in {@code netns}), for
     * topologies where several receivers hear one sender. Deleted with the namespace.
     *
     * @throws IllegalStateException with iproute2's output if a step fails
     */
    public static void bridge(final Netns netns, final String bridgeName, final String... ports) {
        requireInterfaceName(bridgeName);
        netns.requireOpen();
        netns.ip("link", "add", bridgeName, "type", "bridge", "mcast_snooping", "0");
        for (final String port : ports) {
            requireInterfaceName(port);
            netns.ip("link", "set", port, "master", bridgeName);
        }
        netns.ip("link", "set", bridgeName, "up");
    }

    /**
     * Sets the MTU of {@code ifName} in {@code netns} (e.g. 9000 for a jumbo-frame variant of a topology); set it
     * on both ends of a veth pair.
     *
     * @throws IllegalStateException with iproute2's output if the kernel refuses it
     */
    public static void setMtu(final Netns netns, final String ifName, final int mtu) {
        requireInterfaceName(ifName);
        netns.requireOpen();
        netns.ip("link", "set", ifName, "mtu", Integer.toString(mtu));
    }

    /**
     * Adds {@code cidr} (e.g. {@code 10.200.0.1/24}) to interface {@code ifName} in {@code netns}. Use addresses
     * only on interfaces of namespaces the test created.
     *
     * @throws IllegalStateException with iproute2's output if the address cannot be added
     */
    public static void addAddress(final Netns netns, final String ifName, final String cidr) {
        requireInterfaceName(ifName);
        Objects.requireNonNull(cidr, "cidr");
        netns.requireOpen();
        netns.ip("addr", "add", cidr, "dev", ifName);
    }

    /**
     * Fails if a namespace this JVM created with {@code prefix} still exists; for a suite's {@code @AfterAll}. Does
     * nothing where namespaces cannot be created (nothing could have been left).
     */
    public static void assertNoneLeft(final String prefix) {
        if (unavailableReason().isPresent()) {
            return;
        }
        final String runPrefix = runPrefix(prefix);
        final List<String> left = list().stream().filter(name -> name.startsWith(runPrefix)).toList();
        Assertions.assertEquals(List.of(), left, "namespaces of this run left behind");
    }

    /**
     * Runs {@code task} inside this namespace on a thread of its own ({@link NetworkNamespaces#callIn}): sockets it
     * opens belong to this namespace.
     */
    public <T> T call(final Callable<T> task) throws Exception {
        requireOpen();
        return NetworkNamespaces.callIn(NetworkNamespaces.named(name), task);
    }

    /** The namespace's name, as {@code ip netns} knows it. */
    public String name() {
        return name;
    }

    /**
     * Runs {@code argv} inside this namespace ({@code ip netns exec NAME argv...}) with an empty stdin, waits at
     * most {@link #DEFAULT_TIMEOUT}, and returns how it ended whatever its exit code.
     *
     * @throws IllegalStateException if it ran out of time (it is killed; the message has its output so far)
     */
    public Result exec(final String... argv) {
        return exec(DEFAULT_TIMEOUT, argv);
    }

    /** {@link #exec(String...)} with a time limit of {@code timeout}. */
    public Result exec(final Duration timeout, final String... argv) {
        requireOpen();
        if (argv.length == 0) {
            throw new IllegalArgumentException("no command to run in " + name);
        }
        final Path ip = ip().orElseThrow(() -> new IllegalStateException(NO_IP));
        final List<String> command = new ArrayList<>(List.of(ip.toString(), "netns", "exec", name));
        command.addAll(List.of(argv));
        return run(timeout, command);
    }

    /**
     * {@link #exec(String...)}, but a non-zero exit code throws.
     *
     * @throws CommandFailedException with the command, exit code, stdout and stderr in full
     */
    public Result execOrThrow(final String... argv) {
        final Result result = exec(argv);
        if (result.exitCode() != 0) {
            throw new CommandFailedException(result);
        }
        return result;
    }

    /**
     * Deletes the namespace and everything in it. Idempotent, and never throws: a namespace that is already gone
     * counts as deleted; any other failure is printed and left to the shutdown hook to retry.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            delete(name);
        }
    }

    @Override
    public String toString() {
        return "netns " + name + (closed.get() ? " (closed)" : "");
    }

    /** How a command ended: its exit code and everything it printed. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result {
            command = List.copyOf(command);
            Objects.requireNonNull(stdout, "stdout");
            Objects.requireNonNull(stderr, "stderr");
        }

        /** The command, exit code and both outputs, for failure messages. */
        public String describe() {
            return describe(command, "exit code: " + exitCode, stdout, stderr);
        }

        static String describe(final List<String> command, final String outcome, final String stdout,
                               final String stderr) {
            return "command: " + String.join(" ", command) + "\n" + outcome
                + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    /** A command that had to succeed exited non-zero; the message carries its whole output. */
    public static final class CommandFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final transient Result result;

        CommandFailedException(final Result result) {
            super("command failed\n" + result.describe());
            this.result = result;
        }

        /** The command and how it ended. */
        public Result result() {
            return result;
        }
    }

    /** The probe behind {@link #requireRoot()}, run once, on first use. */
    private static final class Availability {
        /** Why namespaces cannot be created, or null when they can. */
        static final String REASON = probe();

        private static String probe() {
            final Optional<Long> euid = effectiveUid();
            if (euid.isEmpty()) {
                return "cannot read the effective uid from /proc/self/status: network namespace tests need Linux";
            }
            if (euid.get() != 0) {
                return "not root (effective uid " + euid.get() + "): network namespace tests need root";
            }
            if (ip().isEmpty()) {
                return NO_IP;
            }
            // Root is not enough inside a container without CAP_SYS_ADMIN or with /run read-only: really try.
            try {
                create("mcrprobe").close();
                return null;
            } catch (final RuntimeException e) {
                return "cannot create a network namespace: " + e.getMessage();
            }
        }

        private static Optional<Long> effectiveUid() {
            try {
                for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    // "Uid:\treal\teffective\tsaved\tfilesystem"
                    if (line.startsWith("Uid:")) {
                        return Optional.of(Long.parseLong(line.substring(4).strip().split("\\s+")[1]));
                    }
                }
                return Optional.empty();
            } catch (final IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
    }

    /** Runs an {@code ip} command in this namespace ({@code ip -n NAME args...}); a failure throws. */
    private void ip(final String... args) {
        final Path ip = ip().orElseThrow(() -> new IllegalStateException(NO_IP));
        final List<String> command = new ArrayList<>(List.of(ip.toString(), "-n", name));
        command.addAll(List.of(args));
        runOrThrow(command);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private static void requireInterfaceName(final String ifName) {
        final String problem = InterfaceNames.problem(ifName);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Deletes a namespace this JVM created; never throws (see {@link #close()}). */
    private static void delete(final String name) {
        final Optional<Path> ip = ip();
        if (ip.isEmpty()) {
            log("cannot delete network namespace " + name + ": " + NO_IP);
            return;
        }
        try {
            final Result result = run(DEFAULT_TIMEOUT, List.of(ip.get().toString(), "netns", "delete", name));
            // "No such file or directory": deleted already (by hand, or by a test that deleted it on purpose).
            if (result.exitCode() == 0 || result.stderr().contains("No such file or directory")) {
                LIVE.remove(name);
            } else {
                log("could not delete network namespace " + name + " (the shutdown hook will retry)\n"
                    + result.describe());
            }
        } catch (final RuntimeException e) {
            log("could not delete network namespace " + name + " (the shutdown hook will retry): " + e);
        }
    }

    private static void installShutdownHook() {
        if (HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("netns-cleanup").unstarted(() -> {
                for (final String name : List.copyOf(LIVE)) {
                    log("deleting network namespace " + name + ", which its test did not close");
                    delete(name);
                }
            }));
        }
    }

    /**
     * The {@code ip} binary: from PATH first, then the sbin directories that a non-root PATH often lacks (where
     * {@link #requireRoot()} must still be able to explain itself).
     */
    private static Optional<Path> ip() {
        return command("ip");
    }

    /** Whether a program named {@code name} is installed (on PATH or in the system's sbin and bin directories). */
    static boolean hasCommand(final String name) {
        return command(name).isPresent();
    }

    private static Optional<Path> command(final String name) {
        final List<Path> dirs = new ArrayList<>();
        final String path = System.getenv("PATH");
        if (path != null) {
            for (final String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        dirs.addAll(IP_SEARCH_DIRS);
        return dirs.stream().map(dir -> dir.resolve(name)).filter(Files::isExecutable).findFirst();
    }

    private static Result runOrThrow(final List<String> command) {
        final Result result = run(DEFAULT_TIMEOUT, command);
        if (result.exitCode() != 0) {
            throw new CommandFailedException(result);
        }
        return result;
    }

    /**
     * Runs {@code command} to completion or {@code timeout}. Output goes to temporary files rather than pipes, so a
     * chatty command can never block on a full pipe while we wait, and no reader threads are needed.
     */
    private static Result run(final Duration timeout, final List<String> command) {
        Path stdout = null;
        Path stderr = null;
        try {
            stdout = Files.createTempFile("netns-", ".out");
            stderr = Files.createTempFile("netns-", ".err");
            // Empty stdin: a command that reads it must not wait for us.
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
            builder.environment().put("LC_ALL", "C");
            final Process process = builder.start();
            final boolean exited;
            try {
                exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running: " + String.join(" ", command), e);
            }
            if (!exited) {
                kill(process);
                throw new IllegalStateException("command timed out\n" + Result.describe(command,
                    "killed after " + timeout.toMillis() + " ms; output so far:", read(stdout), read(stderr)));
            }
            return new Result(command, process.exitValue(), read(stdout), read(stderr));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot run: " + String.join(" ", command), e);
        } finally {
            deleteQuietly(stdout);
            deleteQuietly(stderr);
        }
    }

    /** Kills a command and whatever it started (a shell's children would otherwise outlive it). */
    private static void kill(final Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(final Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(final Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (final IOException e) {
                log("cannot delete temporary file " + file + ": " + e.getMessage());
            }
        }
    }

    private static void log(final String message) {
        System.err.println("[netns] " + message);
    }
}
