package io.mcrelay.entries;

/**
 * The kinds of the journal entries the supervisor core writes about its rule table; recovery reads them back. Every
 * other kind in a journal is a recorded input or output ({@code io.mcrelay.record.IoKinds}). The numbers are part of
 * the journal's format: they never change meaning.
 */
public final class EntryKinds {
    /** One committed change of the table: {@link CommitEntry}. */
    public static final int COMMIT = 1;
    /** New limits (a config file's): {@link LimitsEntry}. */
    public static final int LIMITS = 2;
    /** The whole table, its epoch and limits: {@link SnapshotEntry}. Recovery starts at the last one. */
    public static final int SNAPSHOT = 3;
    /** Entries the journal could not take (its disk was full), then taken again: {@link GapEntry}. */
    public static final int GAP = 4;

    private EntryKinds() {
    }

    /** The name dumps show ({@code commit}, {@code limits}, {@code snapshot}, {@code gap}); {@code null} for others. */
    public static String name(final int kind) {
        return switch (kind) {
            case COMMIT -> "commit";
            case LIMITS -> "limits";
            case SNAPSHOT -> "snapshot";
            case GAP -> "gap";
            default -> null;
        };
    }
}
