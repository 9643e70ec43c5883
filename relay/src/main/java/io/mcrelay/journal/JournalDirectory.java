package io.mcrelay.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a journal directory, with plain file I/O: listing the cycle files, checking Chronicle's metadata file
 * before Chronicle maps it, copying a file's valid prefix, removing temporary trees. Stateless.
 */
final class JournalDirectory {
    static final String CYCLE_FILE_SUFFIX = ".cq4";
    static final String METADATA_FILE = "metadata.cq4t";
    /** Chronicle's table store maps 64 KiB chunks with 64 KiB overlap ({@code SingleTableBuilder}). */
    static final long METADATA_BYTES_MIN = 128 << 10;

    private JournalDirectory() {
    }

    /** The cycle files directly in {@code directory}, in cycle order (their names sort as their cycles do). */
    static List<Path> cycleFiles(final Path directory) {
        try (Stream<Path> list = Files.list(directory)) {
            return list.filter(path -> path.getFileName().toString().endsWith(CYCLE_FILE_SUFFIX))
                .filter(Files::isRegularFile)
                .sorted()
                .toList();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot list the journal directory " + directory + ": " + e.getMessage(),
                e);
        }
    }

    static long fileLength(final Path file) {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the length of " + file + ": " + e.getMessage(), e);
        }
    }

    /** Why Chronicle must not map {@code metadata.cq4t}, or {@code null}; a missing one is fine. */
    static String metadataProblem(final Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final long length = channel.size();
            if (length < METADATA_BYTES_MIN) {
                return "is truncated: " + length + " bytes, a Chronicle metadata file has at least "
                    + METADATA_BYTES_MIN;
            }
            final ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (word.hasRemaining()) {
                if (channel.read(word, word.position()) < 0) {
                    return "cannot be read to its first word";
                }
            }
            final int header = word.getInt(0);
            if ((header & CycleFileCheck.NOT_COMPLETE) != 0 || (header & CycleFileCheck.META_DATA) == 0
                || (header & CycleFileCheck.LENGTH_MASK) == 0
                || (header & CycleFileCheck.LENGTH_MASK) + 4L > length) {
                return String.format("has no readable header (first word 0x%08x)", header);
            }
            return null;
        } catch (final IOException e) {
            return "cannot be read: " + e;
        }
    }

    /**
     * Writes the first {@code check.validBytes()} bytes of {@code from} to a new file {@code to}, sparse-extended to
     * a length Chronicle can map without touching past its end; the rest reads as zeros, which Chronicle takes for
     * "nothing written yet".
     */
    static void copyValidPrefix(final Path from, final Path to, final CycleFileCheck.Result check)
        throws IOException {
        final long valid = check.validBytes();
        final long reach = Math.max(valid, check.writePosition()) + CycleFileCheck.HEADER_WORD_BYTES;
        final long length = (reach / ChronicleJournal.BLOCK_BYTES + 1) * ChronicleJournal.BLOCK_BYTES
            + ChronicleJournal.OVERLAP_BYTES;
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long copied = 0;
            while (copied < valid) {
                final long moved = in.transferTo(copied, valid - copied, out);
                if (moved <= 0) {
                    throw new IOException(from + " ended at " + copied + " of " + valid + " bytes");
                }
                copied += moved;
            }
            out.write(ByteBuffer.allocate(1), length - 1);
        }
    }

    /** Deletes {@code root} and everything under it, if it exists. */
    static void deleteTree(final Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (final Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot delete the temporary directory " + root + ": " + e.getMessage(), e);
        }
    }
}
