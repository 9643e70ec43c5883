package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import io.mcrelay.seam.Clock;

/**
 * Test helpers that look at and damage real Chronicle files with plain file I/O, independently of the code under
 * test: where a file's entry documents start, sparse copies, snapshots of a directory, byte patches.
 */
final class JournalFiles {
    private JournalFiles() {
    }

    /** A clock the test moves; the wall clock can step both ways. */
    static final class TestClock implements Clock {
        static final long DAY_MILLIS = 86_400_000L;
        long nanoTime = 1_000_000_000L;
        /** 2026-11-25T00:00:00Z plus an hour, so that a day's files are named after that date. */
        long epochMillis = 1_795_564_800_000L + 3_600_000L;

        @Override
        public long nanoTime() {
            return nanoTime;
        }

        @Override
        public long epochMillis() {
            return epochMillis;
        }

        void nextDay() {
            epochMillis += DAY_MILLIS;
            nanoTime += DAY_MILLIS * 1_000_000L;
        }
    }

    /** The offsets of the header words of the entry (data) documents in a Chronicle file, in order. */
    static List<Long> entryOffsets(final Path file) throws IOException {
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final List<Long> offsets = new ArrayList<>();
        long position = 0;
        while (position + 4 <= bytes.length) {
            final int word = in.getInt((int) position);
            if (word == 0 || (word & 0x8000_0000) != 0) {
                break; // end of the written data, or the end-of-file marker of a rolled file
            }
            if ((word & 0x4000_0000) == 0) {
                offsets.add(position);
            }
            position = (position + 4 + (word & 0x3FFF_FFFF) + 3) & ~3L;
        }
        return offsets;
    }

    /** The cycle files of a journal directory, by name. */
    static List<Path> cycleFiles(final Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
    }

    /** Writes {@code bytes} at {@code offset} of {@code file}, in place. */
    static void overwrite(final Path file, final long offset, final byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    /**
     * Rewrites the entry document whose header word is at {@code offset} as a writer of schema {@code version} would
     * have stored it: the version field changed and the checksum made to hold again.
     */
    static void restamp(final Path file, final long offset, final int version) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(word, offset);
            final int length = word.getInt(0) & 0x3FFF_FFFF;
            final ByteBuffer document = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(document, offset + 4);
            document.putInt(JournalEntryCodec.SCHEMA_OFFSET, version);
            final CRC32C crc = new CRC32C();
            crc.update(document.array(), JournalEntryCodec.SCHEMA_OFFSET, length - JournalEntryCodec.SCHEMA_OFFSET);
            document.putInt(JournalEntryCodec.CRC_OFFSET, (int) crc.getValue());
            channel.write(ByteBuffer.wrap(document.array()), offset + 4);
        }
    }

    /** The schema version stored in the entry document whose header word is at {@code offset}. */
    static int schemaAt(final Path file, final long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer field = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(field, offset + 4 + JournalEntryCodec.SCHEMA_OFFSET);
            return field.getInt(0);
        }
    }

    /** Cuts {@code file} to {@code length} bytes, as an interrupted copy or a full disk leaves it. */
    static void truncate(final Path file, final long length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(length);
        }
    }

    /** Copies a directory's files (not subdirectories), keeping Chronicle's sparse files sparse. */
    static void sparseCopy(final Path from, final Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> list = Files.list(from)) {
            for (final Path file : list.filter(Files::isRegularFile).toList()) {
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                     FileChannel out = FileChannel.open(to.resolve(file.getFileName()), StandardOpenOption.CREATE_NEW,
                         StandardOpenOption.WRITE)) {
                    final ByteBuffer block = ByteBuffer.allocate(1 << 20);
                    long position = 0;
                    while (true) {
                        block.clear();
                        final int read = in.read(block, position);
                        if (read <= 0) {
                            break;
                        }
                        block.flip();
                        if (!allZero(block)) {
                            out.write(block, position);
                        }
                        position += read;
                    }
                    if (position > 0) {
                        out.write(ByteBuffer.allocate(1), position - 1); // the length, with the holes
                    }
                }
            }
        }
    }

    private static boolean allZero(final ByteBuffer block) {
        for (int i = block.position(); i < block.limit(); i++) {
            if (block.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Every file under {@code dir} with its length, modification time and checksum: equal snapshots, no writes. */
    static Map<String, String> snapshot(final Path dir) throws IOException {
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (final Path path : walk.toList()) {
                if (Files.isRegularFile(path)) {
                    files.put(dir.relativize(path).toString(), Files.size(path) + " bytes, modified "
                        + Files.getLastModifiedTime(path) + ", crc " + Long.toHexString(crc(path)));
                } else {
                    files.put(dir.relativize(path) + "/", "directory");
                }
            }
        }
        return files;
    }

    private static long crc(final Path file) throws IOException {
        final CRC32C crc = new CRC32C();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
            while (in.read(block) > 0) {
                block.flip();
                crc.update(block);
                block.clear();
            }
        }
        return crc.getValue();
    }

    /** The one directory under {@code DIR/damaged/}, where an open moved files aside. */
    static Path damagedDir(final Path journalDir) throws IOException {
        try (Stream<Path> list = Files.list(journalDir.resolve(JournalSalvage.DAMAGED_DIRECTORY))) {
            final List<Path> dirs = list.toList();
            assertTrue(dirs.size() == 1, "one damaged directory: " + dirs);
            return dirs.getFirst();
        }
    }
}
