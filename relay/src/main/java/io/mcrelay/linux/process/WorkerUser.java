package io.mcrelay.linux.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The account a worker runs as: a name, its uid and its primary gid, looked up in {@code /etc/passwd} (the local
 * accounts; a worker user from a network directory is not supported). Never root: uid 0 is refused.
 */
public record WorkerUser(String name, int uid, int gid) {
    /** The workers' own account (the packages make it), used when it exists. */
    public static final String WORKERS = "mcrelay-worker";
    /** The dedicated account of older installations, used when it exists and {@link #WORKERS} does not. */
    public static final String DEDICATED = "mcrelay";
    /** The fallback when there is no dedicated account. */
    public static final String FALLBACK = "nobody";
    static final Path PASSWD = Path.of("/etc/passwd");

    public WorkerUser {
        if (uid == 0) {
            throw new IllegalArgumentException("worker user '" + name + "' has uid 0: workers never run as root;"
                + " pass --user with an unprivileged account (default: " + DEDICATED + ", else " + FALLBACK + ")");
        }
    }

    /**
     * The account named {@code name}, or when {@code name} is null {@code mcrelay-worker} if it exists, else
     * {@code mcrelay}, else {@code nobody}. Throws with a clear message if the account does not exist or is root.
     */
    public static WorkerUser resolve(final String name) {
        return resolve(name, PASSWD);
    }

    static WorkerUser resolve(final String name, final Path passwd) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(passwd);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + passwd + " to find the worker user", e);
        }
        if (name == null) {
            return find(WORKERS, lines, passwd).or(() -> find(DEDICATED, lines, passwd))
                .or(() -> find(FALLBACK, lines, passwd)).orElseThrow(
                    () -> new IllegalArgumentException("neither a '" + WORKERS + "', a '" + DEDICATED + "' nor a '"
                        + FALLBACK + "' account exists in " + passwd + ": create one (useradd --system " + WORKERS
                        + ") or pass --user"));
        }
        return find(name, lines, passwd).orElseThrow(() -> new IllegalArgumentException("worker user '" + name
            + "' does not exist (not in " + passwd + "): create it (useradd --system " + name
            + ") or pass another --user"));
    }

    // name:password:uid:gid:gecos:home:shell (passwd(5))
    private static Optional<WorkerUser> find(final String name, final List<String> lines, final Path passwd) {
        for (final String line : lines) {
            final String[] fields = line.split(":", -1);
            if (fields.length >= 4 && fields[0].equals(name)) {
                try {
                    return Optional.of(new WorkerUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
                } catch (final NumberFormatException e) {
                    throw new IllegalArgumentException("the entry of '" + name + "' in " + passwd + " is malformed",
                        e);
                }
            }
        }
        return Optional.empty();
    }
}
