package io.mcrelay.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.seam.Clock;
import io.mcrelay.seam.Journal;

/**
 * What a journal does about a damaged file, keeping every entry before the damage and deleting nothing.
 * <ul>
 *   <li>A writable open {@linkplain #quarantine moves} the first damaged file and every later one into
 *       {@code DIR/damaged/<time>/} with a {@code REASON.txt}, then {@linkplain #appendValidPrefix appends again}
 *       the valid entries of the damaged file that precede the damage, read from a mappable copy of its valid part,
 *       byte for byte (each keeps its index and the schema version it was written in).</li>
 *   <li>A read-only open changes nothing in the directory: it reads a {@linkplain #shadow private temporary
 *       directory} of links to the good files plus a copy of the damaged file's valid part.</li>
 * </ul>
 * Every step adds what it did to the journal's problems. Single-threaded: the opening thread's.
 */
final class JournalSalvage {
    static final String DAMAGED_DIRECTORY = "damaged";
    static final String REASON_FILE = "REASON.txt";

    private static final DateTimeFormatter DAMAGED_STAMP =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** A damaged file moved aside, whose valid part is to be appended again. */
    record Moved(Path movedFile, CycleFileCheck.Result check) {
    }

    /** Receives the salvaged entries, in order: the journal appends each document as it is. */
    interface Sink {
        void append(Journal.IndexedEntry entry, byte[] document, int length);
    }

    private final Path dir;
    private final Clock clock;
    private final List<JournalCheck.Problem> problems;
    /** Where this open moved damaged files ({@code DIR/damaged/<time>}), made on first use. */
    private Path damagedDir;

    /**
     * @param clock    names the damaged directory; {@code null} for a read-only journal, which moves nothing
     * @param problems the journal's list, which this adds to
     */
    JournalSalvage(final Path dir, final Clock clock, final List<JournalCheck.Problem> problems) {
        this.dir = dir;
        this.clock = clock;
        this.problems = problems;
    }

    /**
     * Moves {@code files[from..]} into this open's damaged directory and returns what to salvage from the first.
     * The later files go too: their entries cannot follow a prefix that ends in the damaged file.
     */
    Moved quarantine(final List<Path> files, final int from, final String reason, final CycleFileCheck.Result check) {
        final List<Path> moving = files.subList(from, files.size());
        final Path target = moveAside(moving, reason);
        problems.add(new JournalCheck.Problem(files.get(from), -1, -1, "moved to " + target
            + (moving.size() > 1 ? ", with the " + (moving.size() - 1) + " later file(s)" : "")
            + "; the journal goes on from the entry before the damage"));
        return new Moved(target.resolve(files.get(from).getFileName()), check);
    }

    /** Moves {@code paths} (in the journal's directory) into {@code DIR/damaged/<time>/}, noting why. */
    Path moveAside(final List<Path> paths, final String reason) {
        assert clock != null : "a read-only journal moves nothing";
        try {
            final Path target = damagedDir();
            final StringBuilder note = new StringBuilder();
            for (int i = 0; i < paths.size(); i++) {
                final Path path = paths.get(i);
                Path destination = target.resolve(path.getFileName());
                for (int copy = 2; Files.exists(destination, LinkOption.NOFOLLOW_LINKS) && copy <= 1_000; copy++) {
                    destination = target.resolve(path.getFileName() + "." + copy); // moved aside twice in one open
                }
                Files.move(path, destination, StandardCopyOption.ATOMIC_MOVE);
                note.append(destination.getFileName()).append(": ")
                    .append(i == 0 ? reason : "follows " + paths.getFirst().getFileName() + ", whose damage ends "
                        + "the journal's valid prefix")
                    .append(System.lineSeparator());
            }
            Files.writeString(target.resolve(REASON_FILE), note, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
            return target;
        } catch (final IOException e) {
            throw new UncheckedIOException("journal " + dir + ": cannot move the damaged file(s) " + paths
                + " aside: " + e.getMessage(), e);
        }
    }

    private Path damagedDir() throws IOException {
        if (damagedDir == null) {
            final String stamp = DAMAGED_STAMP.format(Instant.ofEpochMilli(clock.epochMillis()));
            final Path parent = Files.createDirectories(dir.resolve(DAMAGED_DIRECTORY));
            for (int attempt = 1; attempt <= 1_000 && damagedDir == null; attempt++) {
                try {
                    damagedDir = Files.createDirectory(parent.resolve(attempt == 1 ? stamp : stamp + "-" + attempt));
                } catch (final FileAlreadyExistsException e) {
                    // an earlier open in the same millisecond: take the next name
                }
            }
            if (damagedDir == null) {
                throw new IOException("no free name for " + parent.resolve(stamp));
            }
        }
        return damagedDir;
    }

    /**
     * Hands {@code sink} the valid entries of a moved file, read from a mappable copy of its valid part, so that the
     * live journal keeps every entry before the damage.
     *
     * @param nextIndex the journal's next index: the index the first salvaged entry must have
     * @param empty     whether the journal holds no entry, so that the salvaged ones may start at any index
     */
    void appendValidPrefix(final Moved moved, final long nextIndex, final boolean empty, final RollCycle rollCycle,
                           final WallTime wallTime, final Sink sink) {
        final Path file = moved.movedFile();
        if (!moved.check().salvageable()) {
            problems.add(new JournalCheck.Problem(file, -1, -1, "no entry of it could be kept (no whole entry "
                + "before the damage); the journal goes on at index " + nextIndex));
            return;
        }
        final Path work = file.resolveSibling(".salvage-" + file.getFileName());
        long firstKept = -1;
        long kept = 0;
        try {
            Files.createDirectories(work);
            JournalDirectory.copyValidPrefix(file, work.resolve(file.getFileName()), moved.check());
            try (SingleChronicleQueue copy = SingleChronicleQueueBuilder.binary(work).rollCycle(rollCycle)
                .blockSize(ChronicleJournal.BLOCK_BYTES).timeProvider(wallTime).build();
                 ExcerptTailer tailer = copy.createTailer()) {
                final JournalEntryCodec reading = new JournalEntryCodec(ChronicleJournal.DOCUMENT_BYTES_MAX);
                long expected = empty ? -1 : nextIndex;
                final long documentsMax = moved.check().validBytes() / CycleFileCheck.HEADER_WORD_BYTES;
                for (long documents = 0; documents < documentsMax; documents++) {
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        final int length;
                        final Journal.IndexedEntry entry;
                        try {
                            length = ChronicleEntryReader.readDocument(dc, reading);
                            entry = reading.decode(length, expected);
                        } catch (final JournalEntryCodec.DamagedEntryException e) {
                            break; // the damage already reported: the valid part ends here
                        } catch (final JournalEntryCodec.NewerEntryException e) {
                            problems.add(new JournalCheck.Problem(file, expected, -1, "an entry of schema version "
                                + e.version() + ", newer than this mcrelay reads, ends what could be kept"));
                            break;
                        }
                        sink.append(entry, reading.buffer(), length);
                        if (firstKept < 0) {
                            firstKept = entry.index();
                        }
                        expected = entry.index() + 1;
                        kept++;
                    }
                }
            }
        } catch (final IOException | RuntimeException e) {
            // The damaged file is kept in damaged/ either way: failing to salvage it must not stop the daemon.
            problems.add(new JournalCheck.Problem(file, -1, -1, "its valid part could not be read back after "
                + kept + " entries: " + e));
        } finally {
            JournalDirectory.deleteTree(work);
        }
        final long goesOn = kept == 0 ? nextIndex : firstKept + kept;
        problems.add(new JournalCheck.Problem(file, -1, -1, (kept == 0 ? "no entry of it could be kept"
            : "kept its " + kept + " valid entries (index " + firstKept + " to " + (goesOn - 1)
            + ") by appending them again" + (firstKept == nextIndex ? "" : " (the journal now starts there)"))
            + "; the journal goes on at index " + goesOn));
    }

    /**
     * A private temporary directory holding links to the files before {@code damaged} and, when the damaged file's
     * header is readable, a copy of its valid part (made mappable): a read-only open has Chronicle read that instead
     * of the journal's directory. The caller deletes it when it closes.
     *
     * @param damaged the index in {@code files} of the damaged file, or -1 if only the metadata file is damaged
     */
    Path shadow(final List<Path> files, final int damaged, final CycleFileCheck.Result result) {
        Path shadowDir = null;
        try {
            shadowDir = Files.createTempDirectory("mcrelay-journal-read-");
            final int good = damaged < 0 ? files.size() : damaged;
            for (int i = 0; i < good; i++) {
                Files.createSymbolicLink(shadowDir.resolve(files.get(i).getFileName()), files.get(i));
            }
            if (damaged >= 0) {
                final Path file = files.get(damaged);
                String kept = "";
                if (result.salvageable()) {
                    JournalDirectory.copyValidPrefix(file, shadowDir.resolve(file.getFileName()), result);
                    kept = "; its documents before offset " + result.validBytes() + " are read from a copy";
                }
                problems.add(new JournalCheck.Problem(file, -1, result.problemOffset(), "the file "
                    + result.problem() + " (read-only: left in place" + kept + (damaged + 1 < files.size()
                    ? "; the " + (files.size() - damaged - 1) + " later file(s) are not read)" : ")")));
            }
            return shadowDir;
        } catch (final IOException e) {
            if (shadowDir != null) {
                JournalDirectory.deleteTree(shadowDir);
            }
            throw new UncheckedIOException("journal " + dir + ": cannot prepare a temporary directory to read the "
                + "undamaged files from: " + e.getMessage(), e);
        }
    }
}
