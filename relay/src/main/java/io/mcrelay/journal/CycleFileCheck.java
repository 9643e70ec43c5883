package io.mcrelay.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.values.TwoLongValue;
import net.openhft.chronicle.wire.ValueIn;
import net.openhft.chronicle.wire.Wire;
import net.openhft.chronicle.wire.WireType;

/**
 * Checks one Chronicle cycle file ({@code .cq4}) with plain reads, before Chronicle maps it.
 *
 * <p>Why: Chronicle maps a file in chunks of block + overlap bytes whatever its length. A read-only mapping of a
 * file that is shorter than the data Chronicle then touches raises {@code SIGBUS}, which the JVM turns into an
 * {@code InternalError} at best and a crash at worst; a writable mapping instead silently grows the file (a
 * corrupt length word once grew a test file to 1.1 GB). So the journal never lets Chronicle see a file that fails
 * here.
 *
 * <p>What a Chronicle file looks like, and what is checked:
 * <pre>
 *  offset 0     header word (u32 LE): bit 31 not-complete, bit 30 meta-data, bits 0-29 length
 *  offset 4     the store header, a binary-wire document: header: !SCQStore { writePosition: [pos, seq], ... }
 *  then         documents, each a header word and its bytes, every header 4-byte aligned; a header word of 0
 *               ends the written data (nothing written yet), END_OF_DATA (0xC0000000) ends a rolled file
 *  length       sparse: Chronicle sizes a file as k * block + overlap bytes (80 MiB for our 64 MiB block)
 * </pre>
 * A truncated file (an interrupted copy, a full disk, {@code truncate}) is shorter than that, and usually shorter
 * than its own data: the header's {@code writePosition} (where the last document starts) or the document chain
 * runs past the end of the file. The quick check reads the header, the document at {@code writePosition} and the
 * header word after it; the full check ({@code walk}) also follows every document header from the start, which
 * finds a damaged length word or a write that never finished before Chronicle can trip over it.
 *
 * <p>Stateless; each call opens, reads and closes the file. Never writes.
 */
final class CycleFileCheck {
    /** The size of a document's header word ({@code Wires.SPB_HEADER_SIZE}). */
    static final int HEADER_WORD_BYTES = 4;
    /** {@code Wires.NOT_COMPLETE}: the document is still being written. */
    static final int NOT_COMPLETE = 0x8000_0000;
    /** How the problem of a document whose {@link #NOT_COMPLETE} bit is set begins. */
    private static final String UNFINISHED = "has an unfinished document";
    /** {@code Wires.META_DATA}: Chronicle's own document (the store header, an index), not an entry. */
    static final int META_DATA = 0x4000_0000;
    /** {@code Wires.LENGTH_MASK}. */
    static final int LENGTH_MASK = 0x3FFF_FFFF;
    /** {@code Wires.END_OF_DATA}: the marker a roll writes after the last document of a cycle. */
    static final int END_OF_DATA = NOT_COMPLETE | META_DATA;
    /** The store header is a few hundred bytes; anything far larger is not a header. */
    static final int STORE_HEADER_BYTES_MAX = 64 << 10;
    /** The window the full check reads through: large enough to make the walk sequential I/O. */

    private CycleFileCheck() {
    }

    /**
     * What the check found.
     *
     * @param length        the file's length in bytes
     * @param writePosition where the header says the last document starts, or -1 if the header was not readable
     * @param dataEnd       the offset of the header word that ends the written data (first byte after the last
     *                      document), or -1 if not known
     * @param validBytes    the file's prefix that holds only whole, well-formed documents: what a salvage may copy
     * @param firstEntry    the offset of the first entry (data) document within {@code validBytes}, or -1 if there
     *                      is none or the check did not walk the documents
     * @param problem       why the file must not be mapped, or {@code null} if it may be
     * @param problemOffset the offset of the damage, or -1 if not known
     */
    record Result(long length, long writePosition, long dataEnd, long validBytes, long firstEntry, String problem,
                  long problemOffset) {
        boolean ok() {
            return problem == null;
        }

        /**
         * Whether the only problem is a document still being written after the last one the header records (as a
         * live writer leaves it at any moment): damage in a captured journal, but the tail to wait on when following
         * one that is being written.
         */
        boolean unfinishedTail() {
            return problem != null && problem.startsWith(UNFINISHED) && writePosition >= 0
                && problemOffset > writePosition;
        }

        /**
         * Whether a copy of the valid prefix is a Chronicle file with entries in it: the store header is readable
         * and the valid prefix reaches past Chronicle's index documents into the first entry.
         */
        boolean salvageable() {
            return writePosition >= 0 && firstEntry >= 0 && validBytes > firstEntry;
        }
    }

    /**
     * Checks {@code file}.
     *
     * @param overlapBytes      the overlap Chronicle maps beyond each block: no document can be longer
     * @param walk              whether to follow every document header (the full check) rather than only the last
     */
    static Result check(final Path file, final long overlapBytes, final boolean walk) {
        assert overlapBytes > 0 : "overlap " + overlapBytes;
        if (!Files.isRegularFile(file)) {
            return failed(-1, -1, -1, 0, "is not a regular file", -1);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return check(channel, overlapBytes, walk);
        } catch (final IOException e) {
            return failed(-1, -1, -1, 0, "cannot be read: " + e, -1);
        }
    }

    private static Result check(final FileChannel channel, final long overlapBytes, final boolean walk)
        throws IOException {
        final long length = channel.size();
        if (length == 0) {
            return failed(0, -1, -1, 0, "is empty (0 bytes): created but never initialised, or truncated to nothing",
                0);
        }
        final FileWindow window = new FileWindow(channel, length);
        if (length < HEADER_WORD_BYTES) {
            return failed(length, -1, -1, 0, "is truncated: " + length + " bytes, shorter than a header word", 0);
        }
        final int headerWord = window.intAt(0);
        if (headerWord == 0) {
            return failed(length, -1, -1, 0, "has no store header (its first word is 0): created but never "
                + "initialised, or zeroed", 0);
        }
        if ((headerWord & NOT_COMPLETE) != 0 || (headerWord & META_DATA) == 0) {
            return failed(length, -1, -1, 0, String.format("has no store header: its first word is 0x%08x, not a "
                + "complete meta-data document", headerWord), 0);
        }
        final int headerBytes = headerWord & LENGTH_MASK;
        if (headerBytes == 0 || headerBytes > STORE_HEADER_BYTES_MAX) {
            return failed(length, -1, -1, 0, "has a store header of " + headerBytes + " bytes, not a Chronicle store "
                + "header", 0);
        }
        if (HEADER_WORD_BYTES + (long) headerBytes > length) {
            return failed(length, -1, -1, 0, "is truncated inside its store header: the header has " + headerBytes
                + " bytes, the file " + length, 0);
        }
        final long writePosition;
        try {
            writePosition = readWritePosition(window.bytesAt(HEADER_WORD_BYTES, headerBytes));
        } catch (final RuntimeException e) {
            return failed(length, -1, -1, 0, "has an unreadable store header: " + e.getMessage(), 0);
        }
        final long firstDocument = align(HEADER_WORD_BYTES + (long) headerBytes);
        if (writePosition < firstDocument && writePosition != 0) {
            return failed(length, -1, -1, firstDocument, "has a store header whose writePosition " + writePosition
                + " lies inside the header itself", 0);
        }
        if (walk) {
            // The walk finds where a truncation cuts the documents, which the salvage needs to know exactly.
            return walk(window, length, writePosition, firstDocument, overlapBytes);
        }
        if (writePosition + HEADER_WORD_BYTES > length) {
            return failed(length, writePosition, -1, firstDocument, "is truncated: its header says the last document "
                + "starts at offset " + writePosition + ", but the file has only " + length + " bytes "
                + "(a complete Chronicle file has block + overlap bytes, 80 MiB here)", length);
        }
        return checkLastDocument(window, length, writePosition, firstDocument, overlapBytes);
    }

    /** The quick check: the document at {@code writePosition} is whole and the word after it is in the file. */
    private static Result checkLastDocument(final FileWindow window, final long length, final long writePosition,
                                            final long firstDocument, final long overlapBytes) throws IOException {
        final long last = Math.max(writePosition, firstDocument);
        final int word = window.intAt(last);
        if (word == 0 || word == END_OF_DATA) {
            // nothing written after the header (or only the end marker)
            return new Result(length, writePosition, last, last, -1, null, -1);
        }
        if ((word & NOT_COMPLETE) != 0) {
            return failed(length, writePosition, -1, last, String.format(UNFINISHED + " at offset %d: its write "
                + "never finished (header word 0x%08x)", last, word), last);
        }
        final long bytes = word & LENGTH_MASK;
        if (bytes > overlapBytes) {
            return failed(length, writePosition, -1, last, "has a document at offset " + last + " that claims "
                + bytes + " bytes, more than any document can have (" + overlapBytes + ")", last);
        }
        final long end = align(last + HEADER_WORD_BYTES + bytes);
        if (end + HEADER_WORD_BYTES > length) {
            return failed(length, writePosition, -1, last, "is truncated: its last document ends at offset " + end
                + ", but the file has only " + length + " bytes", length);
        }
        return new Result(length, writePosition, end, end, -1, null, -1);
    }

    /** The full check: follows every document header from the first document to the end of the written data. */
    private static Result walk(final FileWindow window, final long length, final long writePosition,
                               final long firstDocument, final long overlapBytes) throws IOException {
        long position = firstDocument;
        long firstEntry = -1;
        boolean reachedWritePosition = writePosition == 0 || writePosition <= firstDocument;
        // Every document is at least a header word, so a file of n bytes cannot hold more than n / 4 of them.
        final long documentsMax = length / HEADER_WORD_BYTES;
        for (long documents = 0; documents <= documentsMax; documents++) {
            if (position + HEADER_WORD_BYTES > length) {
                return failed(length, writePosition, -1, position, firstEntry, "is truncated: its documents run to "
                    + "offset " + position + ", past the end of the file (" + length + " bytes)", position);
            }
            final int word = window.intAt(position);
            if (word == 0 || word == END_OF_DATA) {
                if (!reachedWritePosition) {
                    return failed(length, writePosition, -1, position, firstEntry, "has documents that end at "
                        + "offset " + position + ", but its header says the last document starts at offset "
                        + writePosition + " (a damaged document header)", position);
                }
                return new Result(length, writePosition, position, position, firstEntry, null, -1);
            }
            if ((word & NOT_COMPLETE) != 0) {
                return failed(length, writePosition, -1, position, firstEntry, String.format(UNFINISHED + " at "
                    + "offset %d: its write never finished, or its header word is damaged (0x%08x)", position, word),
                    position);
            }
            final long bytes = word & LENGTH_MASK;
            if (bytes > overlapBytes) {
                return failed(length, writePosition, -1, position, firstEntry, "has a document at offset "
                    + position + " that claims " + bytes + " bytes, more than any document can have (" + overlapBytes
                    + "): a damaged header word", position);
            }
            final long next = align(position + HEADER_WORD_BYTES + bytes);
            if (next + HEADER_WORD_BYTES > length) {
                return failed(length, writePosition, -1, position, firstEntry, "is truncated inside the document "
                    + "at offset " + position + " (it needs " + (next + HEADER_WORD_BYTES) + " bytes, the file has "
                    + length + ")", position);
            }
            if (firstEntry < 0 && (word & META_DATA) == 0) {
                firstEntry = position;
            }
            if (position == writePosition) {
                reachedWritePosition = true;
            } else if (position < writePosition && next > writePosition) {
                return failed(length, writePosition, -1, position, firstEntry, "has a document at offset "
                    + position + " that overlaps offset " + writePosition + ", where the header says the last "
                    + "document starts (a damaged header word)", position);
            }
            position = next;
        }
        throw new AssertionError("more documents than a file of " + length + " bytes can hold");
    }

    /** The {@code writePosition} of a store header: the start of the last written document. */
    private static long readWritePosition(final byte[] header) {
        final Bytes<?> bytes = Bytes.allocateElasticDirect(header.length);
        try {
            bytes.write(header);
            final Wire wire = WireType.BINARY_LIGHT.apply(bytes);
            final long[] writePosition = {-1};
            wire.read("header").marshallable(store -> {
                final ValueIn in = store.read("writePosition");
                final TwoLongValue value = store.newTwoLongReference();
                in.int128(value);
                writePosition[0] = value.getValue();
            });
            if (writePosition[0] < 0) {
                throw new IllegalStateException("writePosition " + writePosition[0] + " is negative");
            }
            return writePosition[0];
        } finally {
            bytes.releaseLast();
        }
    }

    /** Chronicle starts every header word at a multiple of 4 ({@code BytesUtil.padOffset}). */
    static long align(final long position) {
        return (position + 3) & ~3L;
    }

    private static Result failed(final long length, final long writePosition, final long dataEnd,
                                 final long validBytes, final String problem, final long offset) {
        return failed(length, writePosition, dataEnd, validBytes, -1, problem, offset);
    }

    private static Result failed(final long length, final long writePosition, final long dataEnd,
                                 final long validBytes, final long firstEntry, final String problem,
                                 final long offset) {
        assert problem != null;
        assert firstEntry < validBytes || firstEntry < 0 : firstEntry + " >= " + validBytes;
        return new Result(length, writePosition, dataEnd, validBytes, firstEntry, problem, offset);
    }
}
