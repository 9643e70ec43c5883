package io.mcrelay.entries;

/**
 * A journal entry of a schema version newer than this code reads ({@link JournalSchema#VERSION}): it was written by
 * a newer mcrelay. Not damage: the entry is whole, this code just does not know its layout. Whoever meets one stops
 * and changes nothing, so that the newer mcrelay can still use the journal.
 */
public final class NewerSchemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int version;

    /**
     * @param where   the entry, as people should find it ({@code journal /var/lib/mcrelay/journal: entry 12})
     * @param version the version the entry claims
     */
    public NewerSchemaException(final String where, final int version) {
        this(where, version, null);
    }

    /**
     * @param consequence what was done about it ({@code nothing in the journal was changed}), or {@code null}
     */
    public NewerSchemaException(final String where, final int version, final String consequence) {
        super(where + " has journal schema version " + version + ", newer than this mcrelay reads (schema version "
            + JournalSchema.VERSION + "; it reads versions " + JournalSchema.OLDEST + " to " + JournalSchema.VERSION
            + "): it was written by a newer mcrelay" + (consequence == null ? "" : "; " + consequence));
        assert version > JournalSchema.VERSION : version;
        this.version = version;
    }

    /** The version the entry claims. */
    public int version() {
        return version;
    }
}
