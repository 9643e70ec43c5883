package io.mcrelay.fault;

import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/**
 * A journal that, once it refused an entry ({@link Journal.UnwritableException}: its disk full, say) or reported a
 * health that is not ok, refuses every later entry the same way and reports that health, even when space comes back ({@link Break#SPACE}): the
 * supervisor's rule changes stay refused for ever, where the real journal is tried again and takes them once it can.
 */
public final class StuckFullJournal extends ForwardingJournal {
    private Journal.UnwritableException stuck;

    public StuckFullJournal(final Journal inner) {
        super(inner);
    }

    @Override
    public long append(final Entry entry) {
        if (stuck != null) {
            throw stuck;
        }
        try {
            return inner.append(entry);
        } catch (final Journal.UnwritableException e) {
            stuck = e;
            throw e;
        }
    }

    /** Sticks at the first health that is not ok, too: the supervisor asks before it writes. */
    @Override
    public Health health() {
        if (stuck == null) {
            final Health health = inner.health();
            if (!health.isOk()) {
                stuck = new Journal.UnwritableException(health);
            }
            return health;
        }
        return stuck.health();
    }

    /** Whether it has refused an entry, and so every later one. */
    public boolean stuck() {
        return stuck != null;
    }
}
