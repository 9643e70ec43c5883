package io.mcrelay.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.seam.Journal;

/**
 * A {@link ChronicleJournal}'s reader: positioned by the journal, it checks every entry (checksum, schema version,
 * index) and stops for good at the first damaged one, reporting it to the journal. An entry of a newer schema
 * version is not damage: it throws {@link io.mcrelay.entries.NewerSchemaException}, so that no caller mistakes the
 * entries before it for the whole journal. Belongs to the thread that uses it.
 */
final class ChronicleEntryReader implements Journal.Reader {
    private final ChronicleJournal journal;
    private final ExcerptTailer tailer;
    private final long fromIndex;
    private final JournalEntryCodec reading = new JournalEntryCodec(ChronicleJournal.DOCUMENT_BYTES_MAX);
    /** The index of the entry the tailer returns next. */
    private long expected;
    private boolean stopped;
    private boolean closed;

    ChronicleEntryReader(final ChronicleJournal journal, final ExcerptTailer tailer, final long fromIndex,
                         final long expected) {
        assert expected <= fromIndex : expected + " > " + fromIndex;
        this.journal = journal;
        this.tailer = tailer;
        this.fromIndex = fromIndex;
        this.expected = expected;
    }

    @Override
    public Journal.IndexedEntry next() {
        if (closed) {
            throw new IllegalStateException("a reader of journal " + journal.directory() + " is closed");
        }
        journal.checkOpen();
        // Entries before fromIndex are skipped only after a fallback to the start; bounded by the journal.
        while (!stopped) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    if (expected < journal.nextIndex()) {
                        journal.report(new JournalCheck.Problem(journal.fileHolding(expected), expected, -1,
                            "no document where the entry should be (the journal holds entries up to "
                            + (journal.nextIndex() - 1) + "): a damaged document header; reading stops here"));
                        stopped = true;
                    }
                    return null;
                }
                final long offset = documentOffset(dc);
                final Journal.IndexedEntry entry;
                try {
                    entry = reading.decode(readDocument(dc, reading), expected);
                } catch (final JournalEntryCodec.DamagedEntryException e) {
                    journal.report(new JournalCheck.Problem(journal.fileOf(dc), expected, offset, e.getMessage()
                        + "; reading stops here"));
                    stopped = true;
                    return null;
                } catch (final JournalEntryCodec.NewerEntryException e) {
                    stopped = true;
                    throw journal.newer(journal.fileOf(dc), expected, offset, e.version());
                }
                expected++;
                if (entry.index() >= fromIndex) {
                    return entry;
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            tailer.close();
        }
    }

    /** The offset in its file of the header word of the document {@code dc} is reading. */
    static long documentOffset(final DocumentContext dc) {
        return dc.wire().bytes().readPosition() - CycleFileCheck.HEADER_WORD_BYTES;
    }

    /** Copies the document into {@code codec}'s buffer and returns its length. */
    static int readDocument(final DocumentContext dc, final JournalEntryCodec codec)
        throws JournalEntryCodec.DamagedEntryException {
        final Bytes<?> bytes = dc.wire().bytes();
        final long length = bytes.readRemaining();
        if (length > ChronicleJournal.DOCUMENT_BYTES_MAX) {
            throw new JournalEntryCodec.DamagedEntryException("a document of " + length + " bytes, more than an "
                + "entry can have (" + ChronicleJournal.DOCUMENT_BYTES_MAX + "): corrupt");
        }
        final byte[] buffer = codec.bufferFor((int) length);
        final int read = bytes.read(buffer, 0, (int) length);
        assert read == length : read + " of " + length;
        return (int) length;
    }
}
