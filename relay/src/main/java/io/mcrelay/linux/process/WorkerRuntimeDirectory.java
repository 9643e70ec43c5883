package io.mcrelay.linux.process;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.linux.sys.UnixSockets;

/**
 * The private runtime directory of a {@link ProcessWorkerLauncher}: {@code <parent>/mcrelay-<pid>-<random>}, mode
 * 0711 (others pass through, cannot list), holding the socket workers connect to (owned by the worker user, 0600),
 * the worker JVM's options (0644), a copy of the classpath the worker user can read ({@code lib/}, 0755 and 0644)
 * and one log per launch (0600, opened by the supervisor). See docs/reference/processes.md.
 *
 * <p><b>AOT cache.</b> When the worker's JVM options name a JDK AOT cache ({@code -XX:AOTCache=FILE}, the shipped
 * jar's, which the supervisor runs with), the JVM accepts it only with the class path it was made with, relative to the
 * cache's own place, and the jar's size and modification time unchanged: so when the class path is one jar beside the
 * cache, both are copied together into {@code aot/} (0755) under their own names, times kept, and the option names
 * the copy. Otherwise the option is left out (logged): the worker starts without it.
 */
final class WorkerRuntimeDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerRuntimeDirectory.class);
    private static final Set<PosixFilePermission> DIR_PRIVATE = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> DIR_PUBLIC = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE_PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_AND_GROUP = PosixFilePermissions.fromString("rw-rw----");
    private static final int LISTEN_BACKLOG = 64;
    /** The JVM option that names an AOT cache. */
    static final String AOT_CACHE = "-XX:AOTCache=";

    private final Path dir;
    private final WorkerUser user;
    private final String classpath;

    private WorkerRuntimeDirectory(final Path dir, final WorkerUser user, final String classpath) {
        this.dir = dir;
        this.user = user;
        this.classpath = classpath;
    }

    /**
     * Makes the directory under {@code parent} for workers running as {@code user} (null: this same user), with the
     * copied {@code classpath} and the {@code jvmOptions} file. Checks first that the worker user can reach it.
     */
    static WorkerRuntimeDirectory create(final Path parent, final WorkerUser user, final List<Path> classpath,
        final List<String> jvmOptions) {
        checkReachable(parent, user != null);
        removeStale(parent);
        final Path dir = makeRuntimeDir(parent);
        try {
            final List<String> options = new ArrayList<>(jvmOptions.size());
            Path cache = null;
            for (final String option : jvmOptions) {
                if (option.startsWith(AOT_CACHE)) {
                    cache = Path.of(option.substring(AOT_CACHE.length()));
                } else {
                    options.add(option);
                }
            }
            final String copied;
            if (cache != null && besideCache(classpath, cache)) {
                final Path aot = dir.resolve("aot");
                Files.createDirectory(aot);
                Files.setPosixFilePermissions(aot, DIR_PUBLIC);
                final Path jar = aot.resolve(classpath.getFirst().getFileName());
                for (final Path file : List.of(classpath.getFirst(), cache)) {
                    final Path copy = aot.resolve(file.getFileName());
                    Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES); // the cache checks size and time
                    Files.setPosixFilePermissions(copy, FILE_PUBLIC);
                }
                options.add(AOT_CACHE + aot.resolve(cache.getFileName()));
                copied = jar.toString();
            } else {
                if (cache != null) {
                    LOG.info("workers start without the AOT cache {}: their class path {} is not one jar beside it",
                        cache, classpath);
                }
                copied = copyClasspath(classpath, dir.resolve("lib"));
            }
            final Path optionsFile = dir.resolve("jvm.options");
            Files.write(optionsFile, options.stream().map(WorkerRuntimeDirectory::argFileLine).toList(),
                StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(optionsFile, FILE_PUBLIC);
            return new WorkerRuntimeDirectory(dir, user, copied);
        } catch (final IOException | RuntimeException e) {
            deleteTree(dir);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot prepare the worker runtime directory " + dir, io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * {@code option} as one line of a java launcher argument file: as it is when it holds nothing the format reads
     * specially, else in double quotes with {@code \\} and {@code "} escaped (an option such as
     * {@code -Dmcrelay.x=a b} would otherwise be two arguments, and the second taken for the main class).
     */
    static String argFileLine(final String option) {
        if (!option.isEmpty() && option.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\''
            || c == '\\' || c == '#')) {
            return option;
        }
        return '"' + option.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    Path path() {
        return dir;
    }

    Path socket() {
        return dir.resolve("worker.sock");
    }

    Path jvmOptions() {
        return dir.resolve("jvm.options");
    }

    /** The worker's classpath: the copies, joined. */
    String classpath() {
        return classpath;
    }

    /** Listens (non-blocking) on the socket, which only the worker user (and root) may then connect to. */
    int listen() {
        final int listener = UnixSockets.listen(socket(), LISTEN_BACKLOG, true, UnixSockets.Kind.STREAM);
        try {
            if (user == null) {
                Files.setPosixFilePermissions(socket(), OWNER_ONLY);
            } else if (giveTo(user)) {
                Files.setPosixFilePermissions(socket(), OWNER_ONLY);
            } else {
                // Not root and no CAP_CHOWN: the worker's group, which this process must be a member of.
                try {
                    Files.setAttribute(socket(), "unix:gid", user.gid());
                } catch (final java.nio.file.FileSystemException e) {
                    throw new IllegalStateException("this process may neither give the socket to " + user.name()
                        + " (no CAP_CHOWN) nor to its group " + user.gid() + " (it is not a member): add this user to"
                        + " that group (sysusers: m USER " + user.name() + "; or usermod -aG), or grant CAP_CHOWN", e);
                }
                Files.setPosixFilePermissions(socket(), OWNER_AND_GROUP);
            }
            return listener;
        } catch (final IOException | RuntimeException e) {
            UnixSockets.close(listener);
            throw new IllegalStateException("cannot hand the worker socket " + socket() + " to the worker user: "
                + e.getMessage(), e);
        }
    }

    /** Makes {@code user} the socket's owner and group; false when this process may not (no {@code CAP_CHOWN}). */
    private boolean giveTo(final WorkerUser user) throws IOException {
        try {
            Files.setAttribute(socket(), "unix:uid", user.uid());
        } catch (final java.nio.file.FileSystemException e) {
            return false;
        }
        Files.setAttribute(socket(), "unix:gid", user.gid());
        return true;
    }

    Path log(final int workerIndex, final long launchId) {
        return dir.resolve("worker-" + workerIndex + "-" + launchId + ".log");
    }

    /** Creates the log of one launch, mode 0600, for the supervisor to open as the worker's stdout and stderr. */
    Path newLog(final int workerIndex, final long launchId) {
        final Path log = log(workerIndex, launchId);
        try {
            Files.createFile(log, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            return log;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the worker's log " + log, e);
        }
    }

    /** Removes the directory and everything in it. */
    void delete() {
        deleteTree(dir);
    }

    /** The worker user must be able to search every directory down to the runtime directory. */
    private static void checkReachable(final Path parent, final boolean privileged) {
        if (!Files.isDirectory(parent)) {
            throw new IllegalStateException("the runtime parent directory " + parent + " does not exist");
        }
        if (!privileged) {
            return;
        }
        for (Path dir = parent.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new IllegalStateException("the worker user cannot reach the runtime directory under "
                        + parent + ": " + dir + " is mode " + PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(dir)) + " (needs o+x); choose a runtime directory such as"
                        + " /run/mcrelay");
                }
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read the permissions of " + dir, e);
            }
        }
    }

    /** {@code mcrelay-PID-RANDOM}, as {@link #makeRuntimeDir} names them. */
    private static final java.util.regex.Pattern RUNTIME_NAME =
        java.util.regex.Pattern.compile("mcrelay-([0-9]{1,10})-[0-9a-f]{16}");

    /**
     * Removes the runtime directories in {@code parent} of supervisors that are gone: named {@code mcrelay-PID-RANDOM}
     * with no process {@code PID} running, and this user's. A supervisor killed with SIGKILL cannot remove its own,
     * and each holds a copy of the classpath (tens of MiB). A directory whose pid runs (another supervisor in the same
     * parent, or an unrelated process that reused the pid) is left alone. Best effort: what cannot be removed is
     * logged.
     */
    static void removeStale(final Path parent) {
        final List<Path> stale = new ArrayList<>();
        try (java.util.stream.Stream<Path> entries = Files.list(parent)) {
            for (final Path entry : entries.toList()) {
                final java.util.regex.Matcher name = RUNTIME_NAME.matcher(entry.getFileName().toString());
                if (name.matches() && Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && ProcessHandle.of(Long.parseLong(name.group(1))).isEmpty()
                    && Files.getOwner(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName()
                        .equals(System.getProperty("user.name"))) {
                    stale.add(entry);
                }
            }
        } catch (final IOException | RuntimeException e) {
            LOG.warn("cannot look for stale worker runtime directories in {}: {}", parent, e.getMessage());
            return;
        }
        for (final Path entry : stale) {
            deleteTree(entry);
            if (!Files.exists(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                LOG.info("removed the worker runtime directory {} of a supervisor that is gone", entry);
            }
        }
    }

    private static Path makeRuntimeDir(final Path parent) {
        final byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        final Path dir = parent.resolve("mcrelay-" + ProcessHandle.current().pid() + "-"
            + HexFormat.of().formatHex(random));
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_PRIVATE));
            Files.setPosixFilePermissions(dir, DIR_PRIVATE); // whatever the umask did
            return dir;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot make the worker runtime directory " + dir, e);
        }
    }

    /** True if {@code classpath} is one jar in the directory of {@code cache}, which exists. */
    private static boolean besideCache(final List<Path> classpath, final Path cache) {
        return classpath.size() == 1 && Files.isRegularFile(classpath.getFirst()) && Files.isRegularFile(cache)
            && classpath.getFirst().toAbsolutePath().getParent().equals(cache.toAbsolutePath().getParent());
    }

    /** Copies each classpath entry (jar or directory) into {@code lib}; returns the copy's classpath. */
    private static String copyClasspath(final List<Path> entries, final Path lib) throws IOException {
        Files.createDirectory(lib);
        Files.setPosixFilePermissions(lib, DIR_PUBLIC);
        final List<String> copied = new ArrayList<>();
        int index = 0;
        for (final Path entry : entries) {
            if (!Files.exists(entry)) {
                continue;
            }
            final Path target = lib.resolve(index++ + "-" + entry.getFileName());
            if (Files.isDirectory(entry)) {
                copyTree(entry, target);
            } else {
                Files.copy(entry, target);
                Files.setPosixFilePermissions(target, FILE_PUBLIC);
            }
            copied.add(target.toString());
        }
        if (copied.isEmpty()) {
            throw new IllegalStateException("the worker classpath is empty: none of " + entries + " exists");
        }
        return String.join(File.pathSeparator, copied);
    }

    private static void copyTree(final Path source, final Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs)
                throws IOException {
                final Path copy = target.resolve(source.relativize(dir).toString());
                Files.createDirectories(copy);
                Files.setPosixFilePermissions(copy, DIR_PUBLIC);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                final Path copy = target.resolve(source.relativize(file).toString());
                Files.copy(file, copy);
                Files.setPosixFilePermissions(copy, FILE_PUBLIC);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Removes {@code root} and everything under it (logs and goes on if it cannot). */
    static void deleteTree(final Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (final Path path : paths.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            LOG.warn("could not remove the worker runtime directory {}: {}", root, e.getMessage());
        }
    }
}
