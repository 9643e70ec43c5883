package io.mcrelay.fault;

import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/**
 * A journal whose earlier lives are never read back ({@link Break#RESTORE}): reading starts no earlier than the first
 * entry this life may write, and no entry kind is found before it, so a supervisor restarted on it recovers no rule,
 * id or epoch. What this life writes goes to the journal as usual (and a later life forgets it too).
 */
public final class AmnesiacJournal extends ForwardingJournal {
    /** The first index of this life: everything before it is forgotten. */
    private final long bornAt;

    public AmnesiacJournal(final Journal inner) {
        super(inner);
        bornAt = inner.nextIndex();
    }

    @Override
    public long firstIndex() {
        return Math.max(bornAt, inner.firstIndex());
    }

    @Override
    public Reader reader(final long fromIndex) {
        return inner.reader(Math.max(fromIndex, bornAt));
    }

    @Override
    public long lastIndexOf(final int kind) {
        final long last = inner.lastIndexOf(kind);
        return last >= bornAt ? last : -1;
    }
}
