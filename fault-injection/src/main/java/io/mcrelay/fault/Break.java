package io.mcrelay.fault;

import java.util.Locale;

/**
 * A recovery the fault-injection daemon can break on purpose, each through one seam decorator, so that a fault suite
 * can show once that it fails when the recovery it relies on is missing.
 */
public enum Break {
    /** The launcher refuses to start a worker again in a slot that had one: a dead worker is never replaced. */
    RESPAWN("a worker is never replaced: the launcher refuses to start one again in a slot that had one"),
    /**
     * Every {@code Sync} the supervisor sends a replacement worker (a slot's second launch on) is dropped: a worker
     * that comes back never gets its table. A slot's first worker gets its Syncs, so that the daemon starts.
     */
    SYNC("a replacement worker's channel drops every Sync: a worker that comes back never gets its table"),
    /** Group joins are answered as done and not made: the kernel never holds the memberships the rules need. */
    JOINS("the input sockets ignore joins: the supervisor believes it joined, the kernel holds no membership"),
    /**
     * Link events after the start are lost: the supervisor never learns that an interface went down, came up, went
     * away or came back, and its input sockets stay on whatever device they had.
     */
    LINKS("link events after the start are lost: the supervisor never learns an interface went down, came up, went "
        + "away or came back"),
    /**
     * The journal of earlier lives is never read back: a supervisor restarted on its journal (after a kill -9, say)
     * recovers no rule, id or epoch.
     */
    RESTORE("the journal of earlier lives is never read back: a restarted supervisor recovers no rule"),
    /**
     * Once the journal refused an entry (its disk full), it refuses every later one, even when space comes back: rule
     * changes stay refused for ever.
     */
    SPACE("once the journal refused an entry (its disk full), it refuses every later one, even after space comes "
        + "back");

    private final String description;

    Break(final String description) {
        this.description = description;
    }

    /** The word on the command line: {@code respawn}, {@code sync}, {@code joins}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String description() {
        return description;
    }

    /** The break named {@code word}, or an exception naming the words there are. */
    public static Break of(final String word) {
        for (final Break candidate : values()) {
            if (candidate.word().equals(word)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("no recovery called '" + word + "' can be broken; the choices are "
            + java.util.Arrays.stream(values()).map(Break::word).toList());
    }
}
