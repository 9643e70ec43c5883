package io.mcrelay.record;

import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.GapEntry;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/**
 * The journal as the supervisor writes it when its disk may fill up. Entries go to the journal underneath until it
 * refuses one ({@link Journal.UnwritableException}: no space, or a write that failed); from then on the journal's
 * {@link #health()} says why, and each entry is refused at once and counted as lost, except that at most once every
 * {@link #RETRY_NS} of the core's time (the entries' own times: no clock here) a full journal is tried again with a
 * {@link GapEntry} saying how many entries were lost, between which times and why. Once the journal takes it, it is
 * {@code ok} again and the supervisor core, seeing so, writes a snapshot. A {@code failed} journal (a write broke
 * part-way) is not tried again: it takes entries after a restart, which salvages it. Used by the daemon and the
 * simulator alike, around the journal the recorder and the core share. Single-threaded.
 */
public final class GuardedJournal extends ForwardingJournal {
    /** How often a full journal is tried again, in the core's time. */
    public static final long RETRY_NS = 1_000_000_000L;

    /** Told when the journal stops taking entries and when it takes them again (the daemon logs both). */
    public interface Listener {
        Listener NONE = new Listener() {
            @Override
            public void unwritable(final Health health, final long atNs) {
            }

            @Override
            public void resumed(final GapEntry gap) {
            }
        };

        /** The journal refused an entry: from here on, entries are lost until it takes one again. */
        void unwritable(Health health, long atNs);

        /** The journal took entries again after {@code gap}, which it now holds. */
        void resumed(GapEntry gap);
    }

    private final Listener listener;
    private Health health = Health.OK;
    /** What each entry is refused with while the journal is not ok (one object: no allocation per entry). */
    private UnwritableException refusal;
    private long lost;
    private long fromNs;
    private long fromWallMillis;
    private long lastTryNs;
    private long gaps;

    public GuardedJournal(final Journal inner, final Listener listener) {
        super(inner);
        this.listener = listener;
    }

    @Override
    public long append(final Entry entry) {
        if (!health.isOk()) {
            if (health.state() != State.FULL || entry.timeNs() - lastTryNs < RETRY_NS) {
                lost++;
                throw refusal;
            }
            lastTryNs = entry.timeNs();
            final GapEntry gap = new GapEntry(lost, fromNs, entry.timeNs(), fromWallMillis, entry.wallMillis(),
                health.reason());
            try {
                super.append(new Entry(entry.timeNs(), entry.wallMillis(), EntryKinds.GAP, "journal", gap.encode()));
            } catch (final UnwritableException e) {
                lost++;
                health = e.health(); // the newest reason (the free space it found), or failed
                refusal = e;
                throw e;
            }
            health = Health.OK;
            refusal = null;
            lost = 0;
            gaps++;
            listener.resumed(gap);
        }
        try {
            return super.append(entry);
        } catch (final UnwritableException e) {
            health = e.health();
            refusal = e;
            lost = 1;
            fromNs = entry.timeNs();
            fromWallMillis = entry.wallMillis();
            lastTryNs = entry.timeNs();
            listener.unwritable(health, entry.timeNs());
            throw e;
        }
    }

    @Override
    public Health health() {
        return health;
    }

    @Override
    public long gapsMarked() {
        return gaps;
    }

    /** Entries refused since the journal last took one (0 while it is ok). */
    public long lostEntries() {
        return lost;
    }
}
