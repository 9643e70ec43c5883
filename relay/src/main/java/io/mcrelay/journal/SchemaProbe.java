package io.mcrelay.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.NewerSchemaException;

/**
 * Looks for an entry of a schema version newer than this code reads, with plain reads, before a writable open changes
 * anything: a journal a newer mcrelay wrote must be left exactly as it is (no damaged file moved aside, no salvage, no
 * retention, not even Chronicle's own bookkeeping), so that the newer mcrelay can still use it.
 *
 * <p>It reads what the open would read: the first entry of every cycle file and every entry of the last one. A newer
 * writer appends after the entries of older ones, so its entries reach the last file and its first entries the
 * later files. A document counts only when whole and when its checksum holds (damage is the open's business, found
 * and reported there). Stateless; never writes.
 */
final class SchemaProbe {
    /** The window of a file read at a time: large enough to make reading a file sequential I/O. */

    private SchemaProbe() {
    }

    /**
     * Throws if one of {@code files} (a journal's cycle files, in cycle order) holds an entry of a newer schema
     * version.
     *
     * @throws NewerSchemaException naming the file, the offset and both versions
     */
    static void refuseNewer(final Path dir, final List<Path> files) {
        final JournalEntryCodec codec = new JournalEntryCodec(ChronicleJournal.DOCUMENT_BYTES_MAX);
        for (int i = 0; i < files.size(); i++) {
            final boolean last = i == files.size() - 1;
            try (FileChannel channel = FileChannel.open(files.get(i), StandardOpenOption.READ)) {
                final long[] found = newer(channel, codec, last);
                if (found != null) {
                    throw new NewerSchemaException("journal " + dir + ": the entry at offset " + found[0] + " of "
                        + files.get(i), (int) found[1], "nothing in the journal was changed");
                }
            } catch (final IOException e) {
                // An unreadable file is the open's to report and repair; it holds no entry this probe can see.
            }
        }
    }

    /** {@code {offset, version}} of the first newer entry in the file, or {@code null}. */
    private static long[] newer(final FileChannel channel, final JournalEntryCodec codec, final boolean every)
        throws IOException {
        final long length = channel.size();
        final FileWindow window = new FileWindow(channel, length);
        final int headerWord = window.intAtOrMin(0);
        if (headerWord == Integer.MIN_VALUE || (headerWord & CycleFileCheck.NOT_COMPLETE) != 0
            || (headerWord & CycleFileCheck.META_DATA) == 0) {
            return null; // no store header: nothing Chronicle would read either
        }
        long position = CycleFileCheck.align(CycleFileCheck.HEADER_WORD_BYTES
            + (long) (headerWord & CycleFileCheck.LENGTH_MASK));
        // Every document is at least a header word, so a file of n bytes cannot hold more than n / 4 of them.
        for (long documents = 0; documents < length / CycleFileCheck.HEADER_WORD_BYTES; documents++) {
            final int word = window.intAtOrMin(position);
            if (word == Integer.MIN_VALUE || word == 0 || (word & CycleFileCheck.NOT_COMPLETE) != 0) {
                return null; // the end of the written data (or of the file, or damage)
            }
            final int bytes = word & CycleFileCheck.LENGTH_MASK;
            final long start = position + CycleFileCheck.HEADER_WORD_BYTES;
            if (bytes > ChronicleJournal.DOCUMENT_BYTES_MAX || start + bytes > length) {
                return null;
            }
            if ((word & CycleFileCheck.META_DATA) == 0 && bytes >= JournalEntryCodec.FIXED_BYTES) {
                // Only an entry that claims a newer version is read whole, to check that its checksum holds.
                final int version = window.intAtOrMin(start + JournalEntryCodec.SCHEMA_OFFSET);
                if (version > JournalSchema.VERSION) {
                    final byte[] document = codec.bufferFor(bytes);
                    window.read(start, document, bytes);
                    final int stored = ByteBuffer.wrap(document, 0, bytes).order(ByteOrder.LITTLE_ENDIAN)
                        .getInt(JournalEntryCodec.CRC_OFFSET);
                    if (stored == codec.checksum(document, bytes)) {
                        return new long[] {position, version};
                    }
                }
                if (!every) {
                    return null; // the first entry was what this file had to show
                }
            }
            position = CycleFileCheck.align(start + bytes);
        }
        return null;
    }
}
