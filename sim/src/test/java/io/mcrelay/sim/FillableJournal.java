package io.mcrelay.sim;

import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/** A journal that refuses every entry, writing nothing of it, while its disk is "full" (for tests). */
public final class FillableJournal extends ForwardingJournal {
    /** Whether the disk is full now. */
    public boolean full;
    /** Entries refused so far. */
    public int refused;

    public FillableJournal(final Journal inner) {
        super(inner);
    }

    @Override
    public long append(final Entry entry) {
        if (full) {
            refused++;
            throw new UnwritableException(new Health(State.FULL, "no space for the journal (test): 0 bytes free"));
        }
        return super.append(entry);
    }
}
