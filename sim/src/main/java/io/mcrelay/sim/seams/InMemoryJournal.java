package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.entries.JournalSchema;
import io.mcrelay.seam.Journal;

/**
 * A {@link Journal} held in memory, for simulations that do not exercise Chronicle. Payloads are copied in and out,
 * as bytes written to and read from a file would be; every entry is of the current schema version, as this code
 * wrote it. Single-threaded.
 */
public final class InMemoryJournal implements Journal {
    private final List<Entry> entries = new ArrayList<>();
    private final long firstIndex;
    private boolean closed;

    public InMemoryJournal() {
        this(0);
    }

    public InMemoryJournal(final long firstIndex) {
        this.firstIndex = firstIndex;
    }

    @Override
    public long append(final Entry entry) {
        if (closed) {
            throw new IllegalStateException("journal is closed");
        }
        entries.add(copy(entry));
        return firstIndex + entries.size() - 1;
    }

    @Override
    public long firstIndex() {
        return firstIndex;
    }

    @Override
    public long nextIndex() {
        return firstIndex + entries.size();
    }

    @Override
    public Reader reader(final long fromIndex) {
        return new Reader() {
            private long next = Math.max(fromIndex, firstIndex);

            @Override
            public IndexedEntry next() {
                final long position = next - firstIndex;
                if (position >= entries.size()) {
                    return null;
                }
                return new IndexedEntry(next++, copy(entries.get((int) position)), JournalSchema.VERSION);
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }

    @Override
    public long lastIndexOf(final int kind) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).kind() == kind) {
                return firstIndex + i;
            }
        }
        return -1;
    }

    private static Entry copy(final Entry entry) {
        return new Entry(entry.timeNs(), entry.wallMillis(), entry.kind(), entry.source(), entry.payload().clone());
    }

    @Override
    public void close() {
        closed = true;
    }
}
