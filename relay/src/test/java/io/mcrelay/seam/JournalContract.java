package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.mcrelay.entries.JournalSchema;

/**
 * What every {@link Journal} guarantees: consecutive indices, entries read back in order and intact, each with the
 * schema version this code writes.
 */
public abstract class JournalContract {
    protected abstract Journal createJournal();

    private static Journal.Entry entry(final int i) {
        return new Journal.Entry(1_000L * i, 1_700_000_000_000L + i, i % 3, "worker:" + (i % 2),
            ("payload-" + i).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertEntry(final int i, final Journal.Entry actual) {
        final Journal.Entry expected = entry(i);
        assertEquals(expected.timeNs(), actual.timeNs());
        assertEquals(expected.wallMillis(), actual.wallMillis());
        assertEquals(expected.kind(), actual.kind());
        assertEquals(expected.source(), actual.source());
        assertArrayEquals(expected.payload(), actual.payload());
    }

    @Test
    void appendsGetConsecutiveIndicesAndReadBackInOrder() {
        try (Journal journal = createJournal()) {
            final long first = journal.firstIndex();
            for (int i = 0; i < 50; i++) {
                assertEquals(first + i, journal.append(entry(i)));
            }
            assertEquals(first + 50, journal.nextIndex());
            try (Journal.Reader reader = journal.reader(first)) {
                for (int i = 0; i < 50; i++) {
                    final Journal.IndexedEntry read = reader.next();
                    assertEquals(first + i, read.index());
                    assertEntry(i, read.entry());
                    assertEquals(JournalSchema.VERSION, read.schemaVersion());
                }
                assertNull(reader.next());
            }
        }
    }

    @Test
    void aReaderStartsWhereAskedAndSeesLaterAppends() {
        try (Journal journal = createJournal()) {
            final long first = journal.firstIndex();
            for (int i = 0; i < 10; i++) {
                journal.append(entry(i));
            }
            try (Journal.Reader reader = journal.reader(first + 7)) {
                assertEntry(7, reader.next().entry());
                assertEntry(8, reader.next().entry());
                assertEntry(9, reader.next().entry());
                assertNull(reader.next());
                journal.append(entry(10));
                final Journal.IndexedEntry late = reader.next();
                assertEquals(first + 10, late.index());
                assertEntry(10, late.entry());
            }
        }
    }

    @Test
    void theLastEntryOfAKindIsFoundFromTheEnd() {
        try (Journal journal = createJournal()) {
            final long first = journal.firstIndex();
            assertEquals(-1, journal.lastIndexOf(1));
            for (int i = 0; i < 30; i++) {
                journal.append(entry(i)); // kinds cycle 0, 1, 2
            }
            assertEquals(first + 28, journal.lastIndexOf(1));
            assertEquals(first + 29, journal.lastIndexOf(2));
            assertEquals(-1, journal.lastIndexOf(7));
        }
    }
}
