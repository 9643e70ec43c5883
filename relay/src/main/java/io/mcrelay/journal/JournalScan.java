package io.mcrelay.journal;

import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.seam.Journal;

/**
 * What a journal reads of its queue besides its readers. {@link #run} is an open's scan: the first entry of every
 * cycle file and every entry of the last one, each checked (checksum, schema version, consecutive index). It finds
 * where each file's entries start, the journal's first and next index, and where the valid prefix ends early.
 * Reading only the first entry of the older files keeps an open cheap as the journal grows: their other entries are
 * counted, and checked by the reader that reaches them. {@link #lastOfKind} searches from the end for the last entry
 * of a kind (where recovery starts).
 *
 * <p>Single-threaded: the journal's.
 */
final class JournalScan {
    /** Where a scan found the valid prefix to end. */
    record Damage(Path file, long index, long offset, String message) {
    }

    private final ChronicleJournal journal;
    private final SingleChronicleQueue queue;
    private final JournalEntryCodec codec;
    /** The first journal index in each cycle file that holds entries: first index -> cycle. */
    private final TreeMap<Long, Integer> cycleByFirstIndex = new TreeMap<>();
    /** The index of the entry the scan expects next, or -1 before it has read one. */
    private long scanNext = -1;
    private Damage damage;

    private JournalScan(final ChronicleJournal journal, final SingleChronicleQueue queue,
                        final JournalEntryCodec codec) {
        this.journal = journal;
        this.queue = queue;
        this.codec = codec;
    }

    /**
     * Scans {@code queue}, the queue of {@code journal} (which names its files and words a refusal).
     *
     * @throws NewerSchemaException if an entry was written by a newer mcrelay
     */
    static JournalScan run(final ChronicleJournal journal, final SingleChronicleQueue queue,
                           final JournalEntryCodec codec) {
        final JournalScan scan = new JournalScan(journal, queue, codec);
        scan.scan();
        return scan;
    }

    /** The first journal index in each cycle file of the valid prefix that holds entries: first index -> cycle. */
    SortedMap<Long, Integer> cycleByFirstIndex() {
        return cycleByFirstIndex;
    }

    /** The index after the valid prefix. */
    long nextIndex() {
        return scanNext < 0 ? 0 : scanNext;
    }

    /** The index of the first entry; an empty prefix starts where it ends. */
    long firstIndex() {
        return cycleByFirstIndex.isEmpty() ? nextIndex() : cycleByFirstIndex.firstKey();
    }

    /** Where the valid prefix ends before the end of the files, or {@code null}. */
    Damage damage() {
        return damage;
    }

    private void scan() {
        final int firstCycle = queue.firstCycle();
        final int lastCycle = queue.lastCycle();
        if (firstCycle > lastCycle || lastCycle == Integer.MIN_VALUE) {
            return;
        }
        try (ExcerptTailer tailer = queue.createTailer()) {
            for (final long cycleNumber : queue.listCyclesBetween(firstCycle, lastCycle)) {
                final int cycle = Math.toIntExact(cycleNumber);
                final Path file = journal.cycleFile(cycle);
                try {
                    damage = scanCycle(tailer, cycle, file, cycle == lastCycle);
                } catch (final NewerSchemaException e) {
                    throw e;
                } catch (final RuntimeException e) {
                    // Chronicle's own structures (its index) are damaged in a way the checks did not see.
                    damage = new Damage(file, scanNext, -1, "Chronicle cannot read this file: " + e);
                }
                if (damage != null) {
                    return;
                }
            }
        }
    }

    /**
     * Scans one cycle file: its first entry, or every entry if it is the last. Returns the damage found, or
     * {@code null}; {@link #scanNext} follows the entries checked and counted.
     */
    private Damage scanCycle(final ExcerptTailer tailer, final int cycle, final Path file, final boolean last) {
        final long count = last ? -1 : tailer.excerptsInCycle(cycle);
        if (!last && count <= 0) {
            return null; // a file without entries
        }
        if (!tailer.moveToIndex(queue.rollCycle().toIndex(cycle, 0))) {
            return last ? null // the newest file holds no entry yet
                : new Damage(file, scanNext, -1, "Chronicle counts " + count + " entries in this file but cannot "
                    + "find the first");
        }
        // The last file is read to its end (a file of n bytes holds fewer than n / 4 documents), the others only to
        // their first entry: their other entries are counted, and checked when a reader gets there.
        final long readMax = last ? JournalDirectory.fileLength(file) / CycleFileCheck.HEADER_WORD_BYTES : 1;
        for (long read = 0; read < readMax; read++) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                final long offset = ChronicleEntryReader.documentOffset(dc);
                final Journal.IndexedEntry entry;
                try {
                    entry = codec.decode(ChronicleEntryReader.readDocument(dc, codec), scanNext);
                } catch (final JournalEntryCodec.DamagedEntryException e) {
                    return new Damage(file, scanNext, offset, e.getMessage());
                } catch (final JournalEntryCodec.NewerEntryException e) {
                    throw journal.newer(file, scanNext, offset, e.version());
                }
                if (read == 0) {
                    cycleByFirstIndex.put(entry.index(), cycle);
                }
                scanNext = entry.index() + 1;
            }
        }
        if (!last) {
            scanNext += count - 1;
        }
        return null;
    }

    /**
     * The index of the last entry of {@code kind} at or before {@code last} (which is at {@code sequence} of
     * {@code cycle}), searching back to {@code firstIndex}; -1 if there is none, or if damage stops the search (then
     * reported to the journal: readers stop before it, so recovery must start before it too). Kinds mean the same in
     * every schema version, so no payload is decoded.
     *
     * @throws NewerSchemaException if the search meets an entry written by a newer mcrelay
     */
    static long lastOfKind(final ChronicleJournal journal, final SingleChronicleQueue queue, final int cycle,
                           final long sequence, final long last, final long firstIndex, final int kind) {
        try (ExcerptTailer tailer = queue.createTailer().direction(TailerDirection.BACKWARD)) {
            if (!tailer.moveToIndex(queue.rollCycle().toIndex(cycle, sequence))) {
                journal.report(new JournalCheck.Problem(journal.cycleFile(cycle), last, -1, "the last entry cannot be "
                    + "found: searching for the last entry of a kind is not possible"));
                return -1;
            }
            final JournalEntryCodec reading = new JournalEntryCodec(ChronicleJournal.DOCUMENT_BYTES_MAX);
            for (long expected = last; expected >= firstIndex; expected--) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        journal.report(new JournalCheck.Problem(journal.fileHolding(expected), expected, -1, "no "
                            + "document where the entry should be (a damaged document header); the search for kind "
                            + kind + " stops here"));
                        return -1;
                    }
                    final long offset = ChronicleEntryReader.documentOffset(dc);
                    try {
                        final int length = ChronicleEntryReader.readDocument(dc, reading);
                        if (reading.decode(length, expected).entry().kind() == kind) {
                            return expected;
                        }
                    } catch (final JournalEntryCodec.DamagedEntryException e) {
                        journal.report(new JournalCheck.Problem(journal.fileOf(dc), expected, offset, e.getMessage()));
                        return -1;
                    } catch (final JournalEntryCodec.NewerEntryException e) {
                        throw journal.newer(journal.fileOf(dc), expected, offset, e.version());
                    }
                }
            }
        }
        return -1;
    }
}
