package io.mcrelay.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket's file: its parent directory, the check that no live supervisor (nor anything but a socket) is
 * there, the private directory in which the socket is first bound, given its group and mode, before being renamed
 * into place (so it is never reachable with a looser mode or the wrong group), and its removal.
 * {@link UnixControlServer}'s helpers; stateless.
 */
final class ControlSocketFile {
    private static final int PRIVATE_DIRECTORY_ATTEMPTS = 100;
    private static final Set<PosixFilePermission> PRIVATE_MODE = PosixFilePermissions.fromString("rwx------");
    /** {@code sys/stat.h}: S_IFMT = 0170000, S_IFSOCK = 0140000. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final Logger LOG = LoggerFactory.getLogger(ControlSocketFile.class);

    private ControlSocketFile() {
    }

    /** A socket listening at its final path: the channel (blocking), the file's identity and its group. */
    record Listening(ServerSocketChannel server, Object fileKey, GroupPrincipal group) {
    }

    /**
     * Binds a socket at {@code target} with mode 0660 and {@code group} (null: the kernel's choice), creating the
     * parent directory (0755) when missing and replacing a stale socket; on failure nothing is left behind.
     */
    static Listening listen(final Path target, final GroupPrincipal group, final int backlog) {
        final Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("the control socket path " + target + " has no parent directory");
        }
        // Checked first: a path that cannot work creates nothing.
        checkLength(target, privateDirectory(parent, 0));
        makeParent(parent);
        final boolean stale = checkNotInUse(target);
        final Path privateDir = makePrivateDirectory(parent, target);
        final Path bound = privateDir.resolve("s");
        ServerSocketChannel server = null;
        boolean inPlace = false;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(bound), backlog);
            // Only this user can reach the private directory, so the socket is never reachable with a looser mode
            // or by the wrong group. The group first: a change of owner may clear mode bits.
            final PosixFileAttributeView view = Files.getFileAttributeView(bound, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
            if (group != null) {
                view.setGroup(group);
            }
            Files.setPosixFilePermissions(bound, UnixControlServer.SOCKET_MODE);
            final GroupPrincipal actualGroup = view.readAttributes().group();
            // A live supervisor may have appeared since the check: the window is the few system calls above.
            Files.move(bound, target, StandardCopyOption.ATOMIC_MOVE);
            inPlace = true;
            final Object fileKey = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
            if (stale) {
                LOG.info("replaced the stale control socket {} (its supervisor is gone)", target);
            }
            return new Listening(server, fileKey, actualGroup);
        } catch (final IOException e) {
            if (server != null) {
                try {
                    server.close();
                } catch (final IOException ignored) {
                    // failing already: the first error is the one to report
                }
            }
            if (inPlace) {
                deleteQuietly(target);
            }
            throw new UncheckedIOException("cannot listen on the control socket " + target + ": " + describe(e), e);
        } finally {
            deleteQuietly(bound);
            deleteQuietly(privateDir);
        }
    }

    /** The group named {@code name}, or numbered {@code name} when no group has that name. */
    static GroupPrincipal lookUpGroup(final String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("the control socket's group has no name");
        }
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
        } catch (final UserPrincipalNotFoundException e) {
            throw new IllegalArgumentException("no group named \"" + name + "\" in the group database (getent group "
                + name + " finds none)", e);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot look up the group \"" + name + "\": " + describe(e), e);
        }
    }

    static void makeParent(final Path parent) {
        if (Files.isDirectory(parent)) {
            return;
        }
        try {
            Files.createDirectories(parent);
            // The umask may have narrowed the mode: set it as documented.
            Files.setPosixFilePermissions(parent, UnixControlServer.DIRECTORY_MODE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the control socket directory " + parent + ": "
                + describe(e), e);
        }
    }

    /**
     * Refuses a path in use by a live supervisor or by something other than a socket.
     *
     * @return true if a stale socket is there (to be replaced)
     */
    static boolean checkNotInUse(final Path target) {
        final int mode;
        try {
            mode = (Integer) Files.getAttribute(target, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (final NoSuchFileException e) {
            return false;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot inspect the control socket path " + target + ": " + describe(e), e);
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IllegalStateException("the control socket path " + target + " exists and is not a socket; "
                + "remove it or choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // Non-blocking: a live supervisor whose backlog is full must not hang this check.
            probe.configureBlocking(false);
            probe.connect(UnixDomainSocketAddress.of(target));
        } catch (final ConnectException e) {
            return true; // nobody listens: the socket of a supervisor that is gone
        } catch (final IOException e) {
            if (Files.notExists(target, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            throw new UncheckedIOException("cannot tell whether another supervisor is listening on " + target + ": "
                + describe(e), e);
        }
        throw new IllegalStateException("another supervisor is listening on " + target
            + "; stop it first, or choose another path");
    }

    /** The directory in which the socket is bound: {@code .mcrelay-PID-ATTEMPT} beside it, removed after. */
    static Path privateDirectory(final Path parent, final int attempt) {
        return parent.resolve(".mcrelay-" + ProcessHandle.current().pid() + "-" + attempt);
    }

    /** The socket is first bound in a private directory: that path too must fit the kernel's limit. */
    static void checkLength(final Path target, final Path privateDir) {
        final Path bound = privateDir.resolve("s");
        final int bytes = bound.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > UnixControlServer.PATH_BYTES_MAX) {
            throw new IllegalArgumentException("the control socket path " + target + " is too long: the server binds "
                + "it first as " + bound + " (" + bytes + " bytes), and a Unix socket path holds at most "
                + UnixControlServer.PATH_BYTES_MAX + " bytes; choose a shorter path");
        }
    }

    /** A directory only this user can enter, beside the socket's final place, for binding. */
    static Path makePrivateDirectory(final Path parent, final Path target) {
        FileAlreadyExistsException last = null;
        for (int attempt = 0; attempt < PRIVATE_DIRECTORY_ATTEMPTS; attempt++) {
            final Path dir = privateDirectory(parent, attempt);
            checkLength(target, dir);
            try {
                return Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_MODE));
            } catch (final FileAlreadyExistsException e) {
                last = e; // another server of this process is opening, or a crashed one with our pid left it
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot create a directory for the control socket in " + parent + ": "
                    + describe(e), e);
            }
        }
        throw new UncheckedIOException("cannot create a directory for the control socket in " + parent + ": "
            + PRIVATE_DIRECTORY_ATTEMPTS + " names taken", last);
    }

    /** Removes the socket file at {@code path}, unless another server has replaced it since it was bound. */
    static void remove(final Path path, final Object socketFileKey) {
        try {
            final Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
            if (Objects.equals(key, socketFileKey)) {
                Files.delete(path);
            } else {
                LOG.warn("control socket {} is no longer the one this server bound; left in place", path);
            }
        } catch (final NoSuchFileException e) {
            LOG.warn("control socket {} was already removed", path);
        } catch (final IOException e) {
            LOG.warn("cannot remove the control socket {}: {}", path, describe(e));
        }
    }

    /** The cause of an I/O failure in words (a {@link FileSystemException}'s message alone is just its path). */
    static String describe(final IOException e) {
        if (e instanceof FileSystemException fse) {
            final String reason = fse.getReason() != null ? fse.getReason() : switch (fse) {
                case AccessDeniedException ignored -> "permission denied";
                case NoSuchFileException ignored -> "no such file or directory";
                case FileAlreadyExistsException ignored -> "file exists";
                case NotDirectoryException ignored -> "not a directory";
                case AtomicMoveNotSupportedException ignored -> "cannot be renamed atomically";
                default -> fse.getClass().getSimpleName();
            };
            return fse.getFile() == null ? reason : reason + " (" + fse.getFile() + ")";
        }
        if (e instanceof ClosedChannelException) {
            return "the channel is closed";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static void deleteQuietly(final Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            LOG.warn("cannot remove {}: {}", file, describe(e));
        }
    }
}
