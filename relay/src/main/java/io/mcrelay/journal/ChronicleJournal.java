package io.mcrelay.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.RollingResourcesCache;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.Journal;

/**
 * The production {@link Journal}: a Chronicle Queue in a directory, one file per roll cycle (a day by default).
 *
 * <h2>Entries</h2>
 * One Chronicle document per entry, little-endian, after Chronicle's own 4-byte document header:
 * <pre>
 *  0        4        8            16         24           32     36      38        38+s     42+s      42+s+p
 *  +--------+--------+------------+----------+------------+------+-------+---------+--------+---------+
 *  | crc32c | schema | index      | timeNs   | wallMillis | kind | s     | source  | p      | payload |
 *  | u32    | i32 =1 | i64        | i64      | i64        | i32  | u16   | UTF-8   | i32    | bytes   |
 *  +--------+--------+------------+----------+------------+------+-------+---------+--------+---------+
 *  crc32c covers bytes 4 to the end; the document is exactly 42 + s + p bytes
 * </pre>
 * {@code index} is the entry's journal index: consecutive from {@link #firstIndex()}, stored because Chronicle's
 * own index (cycle and sequence) restarts in every file and cannot survive a file moved aside. Every later schema
 * keeps the first eight bytes (a CRC-32C of the rest, then the version), so this code tells an entry it cannot read
 * (checksum good, version unknown) from a corrupt one (checksum bad).
 *
 * <p>Chronicle's time is ours: its {@link TimeProvider} reads the journal's {@link Clock} ({@code epochMillis}),
 * held non-decreasing so that a wall clock stepping back never sends an append to an earlier cycle's file (which
 * would put it before entries already written). The entry's own {@code wallMillis} is stored as given.
 *
 * <h2>Positioning and recovery</h2>
 * Within one cycle file Chronicle numbers entries 0, 1, 2..., so journal index {@code i} lives in the cycle whose
 * first entry has the greatest index {@code <= i}, at sequence {@code i - first}. The journal keeps that map (one
 * key per file, read from each file's first entry on open, extended on every roll) and {@link #reader} asks
 * Chronicle for the exact position: no linear scan. {@link #nextIndex()} is recovered from the last entry on open.
 *
 * <h2>Damage</h2>
 * Before Chronicle maps a file, the file is checked with plain reads ({@link CycleFileCheck}): a truncated or
 * damaged file can make a read-only mapping raise {@code SIGBUS}. A writable open checks every file's header and
 * length and walks the last file's documents; a read-only open walks every file. Then the journal reads the first
 * entry of every file and every entry of the last, checking checksums, schema versions and consecutive indices.
 * <ul>
 *   <li>{@link #open} (the daemon) moves the first damaged file and every later one into
 *       {@code DIR/damaged/<time>/} with a {@code REASON.txt}, appends again the valid entries of the damaged file
 *       that precede the damage (read from a copy), and goes on from there: the live journal is then its valid
 *       prefix, and new entries follow it. Nothing is deleted.</li>
 *   <li>{@link #openReadOnly} (a captured journal) changes nothing in its directory: damage is only reported, and
 *       when a file must not be mapped Chronicle reads a private temporary directory of links to the good files
 *       plus a copy of the damaged file's valid part.</li>
 *   <li>Damage inside an older file, which a writable open does not read in full (so that opening stays cheap as
 *       the journal grows), is found when something reads it: that reader stops at the last valid entry.</li>
 * </ul>
 * Every finding, with the file, index and offset where known, is in {@link #problems()}. Known limit: Chronicle's
 * own index arrays (meta-data inside each file) are trusted; a corrupt one can mislead positioning.
 *
 * <h2>Retention</h2>
 * After a roll, whole cycle files other than the current one are <b>deleted</b>, oldest first, while the files'
 * written bytes exceed {@link Settings#retainBytesMax()} or a file's cycle ended more than
 * {@link Settings#retainAgeMax()} ago (by the journal's clock). Deleted, not moved: retention exists to bound disk
 * use. {@link #firstIndex()} then moves forward. Recovery must still find the table: the file holding the last
 * snapshot ({@link Supervisor#JOURNAL_SNAPSHOT}) and every later file are never deleted, and a journal without a
 * snapshot is not trimmed at all (the supervisor writes one at start and at least every
 * {@link Supervisor#SNAPSHOT_EVERY_NANOS} of its time, so the limits take effect within that).
 *
 * <h2>Threading</h2>
 * Single writer: one thread appends, reads and closes (and, between them, may hand the journal to another thread
 * with a happens-before edge). A {@link Reader} belongs to the thread that uses it. {@link #openReadOnly} is for
 * captured journals: on a journal another process is writing, an entry caught half-written during the open's walk
 * is reported as an unfinished write and ends what that open reads.
 */
public final class ChronicleJournal implements Journal {
    /** Chronicle's mapping block; fixed so that every file of every journal has the same sane length. */
    static final long BLOCK_BYTES = 64L << 20;
    /** What Chronicle maps beyond each block ({@code SingleChronicleQueue.calcOverlapSize}): a document's maximum. */
    static final long OVERLAP_BYTES = BLOCK_BYTES / 4;
    /** The largest entry document: Chronicle lets a document use the overlap, less room for its header. */
    static final int DOCUMENT_BYTES_MAX = (int) OVERLAP_BYTES - (64 << 10);
    /** The largest payload an entry can carry (with a source of at most 256 UTF-8 bytes). */
    public static final int PAYLOAD_BYTES_MAX = DOCUMENT_BYTES_MAX - JournalEntryCodec.FIXED_BYTES - 256;

    static final String CYCLE_FILE_SUFFIX = ".cq4";
    static final String METADATA_FILE = "metadata.cq4t";
    static final String DAMAGED_DIRECTORY = "damaged";
    static final String REASON_FILE = "REASON.txt";
    /** Chronicle's table store maps 64 KiB chunks with 64 KiB overlap ({@code SingleTableBuilder}). */
    static final long METADATA_BYTES_MIN = 128 << 10;

    private static final DateTimeFormatter DAMAGED_STAMP =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** How often the journal starts a new file. */
    public enum Roll {
        HOURLY(RollCycles.FAST_HOURLY),
        DAILY(RollCycles.FAST_DAILY);

        private final RollCycle cycle;

        Roll(final RollCycle cycle) {
            this.cycle = cycle;
        }

        RollCycle cycle() {
            return cycle;
        }
    }

    /**
     * How the journal rolls and what it keeps. The roll of an existing journal is the one it was created with
     * (Chronicle records it in {@code metadata.cq4t}).
     *
     * @param roll           when a new file starts
     * @param retainBytesMax the most written bytes the cycle files may hold together after a roll
     *                       ({@link #UNLIMITED_BYTES}: no limit); the current file is never deleted
     * @param retainAgeMax   how long after its cycle ended a file is kept ({@link #UNLIMITED_AGE}: forever)
     */
    public record Settings(Roll roll, long retainBytesMax, Duration retainAgeMax) {
        public static final long UNLIMITED_BYTES = Long.MAX_VALUE;
        public static final Duration UNLIMITED_AGE = Duration.ofMillis(Long.MAX_VALUE);

        public Settings {
            Objects.requireNonNull(roll, "roll");
            Objects.requireNonNull(retainAgeMax, "retainAgeMax");
            if (retainBytesMax <= 0) {
                throw new IllegalArgumentException("retainBytesMax must be positive, not " + retainBytesMax);
            }
            if (retainAgeMax.isNegative() || retainAgeMax.isZero()) {
                throw new IllegalArgumentException("retainAgeMax must be positive, not " + retainAgeMax);
            }
        }

        /** Daily files, kept forever. */
        public static Settings daily() {
            return new Settings(Roll.DAILY, UNLIMITED_BYTES, UNLIMITED_AGE);
        }

        public Settings withRoll(final Roll newRoll) {
            return new Settings(newRoll, retainBytesMax, retainAgeMax);
        }

        public Settings withRetention(final long newRetainBytesMax, final Duration newRetainAgeMax) {
            return new Settings(roll, newRetainBytesMax, newRetainAgeMax);
        }

        long retainAgeMaxMillis() {
            return retainAgeMax.compareTo(UNLIMITED_AGE) >= 0 ? Long.MAX_VALUE : retainAgeMax.toMillis();
        }
    }

    private final Path dir;
    private final boolean readOnly;
    private final Clock clock;
    private final Settings settings;
    private final WallTime wallTime;
    private final JournalEntryCodec codec = new JournalEntryCodec(DOCUMENT_BYTES_MAX);
    private final List<JournalCheck.Problem> problems = new ArrayList<>();
    /** The first journal index in each cycle file that holds entries: first index -> cycle. */
    private final TreeMap<Long, Integer> cycleByFirstIndex = new TreeMap<>();

    private SingleChronicleQueue queue;
    private RollingResourcesCache cycleFiles;
    private ExcerptAppender appender;
    /** A temporary directory Chronicle reads instead of {@link #dir} (read-only opens of a damaged journal). */
    private Path shadowDir;
    /** Where this open moved damaged files ({@code DIR/damaged/<time>}), made on first use. */
    private Path damagedDir;
    private long firstIndex;
    private long nextIndex;
    private int lastAppendCycle = Integer.MIN_VALUE;
    /** The index of the last snapshot, which retention keeps; {@link #SNAPSHOT_UNKNOWN} until first needed. */
    private long lastSnapshotIndex = SNAPSHOT_UNKNOWN;
    private static final long SNAPSHOT_UNKNOWN = -2;
    /** While opening: the index of the entry the scan expects next, or -1 before it has read one. */
    private long scanNext = -1;
    private boolean closed;

    private ChronicleJournal(final Path dir, final Clock clock, final Settings settings, final boolean readOnly) {
        this.dir = dir.toAbsolutePath().normalize();
        this.clock = clock;
        this.settings = settings;
        this.readOnly = readOnly;
        this.wallTime = clock == null ? null : new WallTime(clock);
    }

    /**
     * Opens (creating if needed) the journal in {@code dir} for appending. Damage is repaired as the class comment
     * says and reported in {@link #problems()}; the journal opens whatever the files hold.
     *
     * @throws UncheckedIOException if the directory cannot be created, read or written
     */
    public static ChronicleJournal open(final Path dir, final Clock clock, final Settings settings) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(settings, "settings");
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + dir + ": " + e.getMessage(), e);
        }
        final ChronicleJournal journal = new ChronicleJournal(dir, clock, settings, false);
        try {
            journal.openWritable();
        } catch (final RuntimeException | Error e) {
            journal.close();
            throw e;
        }
        return journal;
    }

    /**
     * Opens a captured journal for reading. Never writes, creates or moves anything in {@code dir}; damage is only
     * reported ({@link #problems()}), and readers stop at the end of the valid prefix.
     *
     * @throws UncheckedIOException if {@code dir} is not a readable directory
     */
    public static ChronicleJournal openReadOnly(final Path dir) {
        return openReadOnly(dir, false);
    }

    /**
     * Opens the journal in {@code dir} read-only to follow it while another process writes it, as
     * {@code journal dump --follow} does: the same as {@link #openReadOnly(Path)}, except that a document still being
     * written at the end of the last file is not damage but the next entry, which a reader returns once its write
     * completes. A writer that died in the middle of that write looks the same: following waits for it.
     */
    public static ChronicleJournal openFollowing(final Path dir) {
        return openReadOnly(dir, true);
    }

    private static ChronicleJournal openReadOnly(final Path dir, final boolean live) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(new IOException("the journal directory " + dir + " does not exist or is "
                + "not a directory"));
        }
        final ChronicleJournal journal = new ChronicleJournal(dir, null, Settings.daily(), true);
        try {
            journal.openReadOnlyFiles(live);
        } catch (final RuntimeException | Error e) {
            journal.close();
            throw e;
        }
        return journal;
    }

    // ------------------------------------------------------------------------------------------------ opening

    private void openWritable() {
        Salvage salvage = null;
        final long attemptsMax = 2L + listCycleFiles(dir).size();
        for (long attempt = 0; ; attempt++) {
            if (attempt > attemptsMax) {
                throw new IllegalStateException("journal " + dir + ": damage still found after " + attemptsMax
                    + " repairs (files keep failing their checks)");
            }
            final String metadataProblem = metadataProblem(dir.resolve(METADATA_FILE));
            if (metadataProblem != null) {
                final Path moved = moveAside(List.of(dir.resolve(METADATA_FILE)), metadataProblem);
                problems.add(new JournalCheck.Problem(dir.resolve(METADATA_FILE), -1, -1, metadataProblem
                    + "; moved to " + moved + " (Chronicle makes a new one)"));
            }
            final List<Path> files = listCycleFiles(dir);
            int damaged = -1;
            CycleFileCheck.Result result = null;
            for (int i = 0; i < files.size() && damaged < 0; i++) {
                final boolean walk = i == files.size() - 1;
                result = CycleFileCheck.check(files.get(i), OVERLAP_BYTES, walk);
                if (!result.ok()) {
                    damaged = i;
                    if (!walk) {
                        // the quick check failed; walking the documents says exactly where, for the salvage
                        result = CycleFileCheck.check(files.get(i), OVERLAP_BYTES, true);
                        assert !result.ok() : files.get(i) + " failed the quick check but passes the walk";
                    }
                }
            }
            if (damaged >= 0) {
                problems.add(new JournalCheck.Problem(files.get(damaged), -1, result.problemOffset(),
                    "the file " + result.problem()));
                salvage = quarantine(files, damaged, "the file " + result.problem(), result);
                continue;
            }
            queue = build(dir, false);
            final Damage damage = scan();
            if (damage == null) {
                break;
            }
            // An entry is damaged: everything from its file on leaves the live journal, its good part comes back.
            problems.add(new JournalCheck.Problem(damage.file, damage.index, damage.offset, damage.message));
            queue.close();
            queue = null;
            final int at = files.indexOf(damage.file);
            assert at >= 0 : damage.file + " not in " + files;
            final CycleFileCheck.Result whole = CycleFileCheck.check(damage.file, OVERLAP_BYTES, true);
            salvage = quarantine(files, at, "entry " + damage.index + ": " + damage.message, whole);
        }
        // Never let Chronicle's clock put an append into a cycle before the newest file's.
        if (queue.lastCycle() != Integer.MIN_VALUE && queue.lastCycle() >= queue.firstCycle()) {
            wallTime.raiseFloor((long) queue.lastCycle() * queue.rollCycle().lengthInMillis() + queue.epoch());
            assert queue.cycle() >= queue.lastCycle() : queue.cycle() + " < " + queue.lastCycle();
            lastAppendCycle = queue.lastCycle(); // so that the first append into a later cycle counts as a roll
        }
        appender = queue.createAppender();
        if (salvage != null) {
            salvage(salvage);
        }
        // The thread that opened the journal need not be the one that appends (the daemon hands it over).
        appender.singleThreadedCheckReset();
        assert firstIndex <= nextIndex : firstIndex + " > " + nextIndex;
    }

    private void openReadOnlyFiles(final boolean live) {
        final Path metadata = dir.resolve(METADATA_FILE);
        final String metadataProblem = metadataProblem(metadata);
        if (metadataProblem != null) {
            problems.add(new JournalCheck.Problem(metadata, -1, -1, metadataProblem
                + " (read-only: left in place; the journal is read without it)"));
        }
        final List<Path> files = listCycleFiles(dir);
        int damaged = -1;
        CycleFileCheck.Result result = null;
        for (int i = 0; i < files.size() && damaged < 0; i++) {
            result = CycleFileCheck.check(files.get(i), OVERLAP_BYTES, true);
            if (!result.ok() && !(live && i == files.size() - 1 && result.unfinishedTail())) {
                damaged = i;
            }
        }
        if (damaged < 0 && metadataProblem == null) {
            queue = build(dir, true);
        } else {
            queue = build(shadow(files, damaged, result), true);
        }
        final Damage damage = scan();
        if (damage != null) {
            problems.add(new JournalCheck.Problem(damage.file, damage.index, damage.offset, damage.message
                + " (read-only: reported, nothing moved; reading stops before it)"));
        }
    }

    /**
     * A private temporary directory holding links to the files before {@code damaged} and, when the damaged file's
     * header is readable, a copy of its valid part (made mappable): Chronicle reads that instead of {@link #dir}.
     */
    private Path shadow(final List<Path> files, final int damaged, final CycleFileCheck.Result result) {
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
                    copyValidPrefix(file, shadowDir.resolve(file.getFileName()), result);
                    kept = "; its documents before offset " + result.validBytes() + " are read from a copy";
                }
                problems.add(new JournalCheck.Problem(file, -1, result.problemOffset(), "the file "
                    + result.problem() + " (read-only: left in place" + kept + (damaged + 1 < files.size()
                    ? "; the " + (files.size() - damaged - 1) + " later file(s) are not read)" : ")")));
            }
            return shadowDir;
        } catch (final IOException e) {
            throw new UncheckedIOException("journal " + dir + ": cannot prepare a temporary directory to read the "
                + "undamaged files from: " + e.getMessage(), e);
        }
    }

    private SingleChronicleQueue build(final Path path, final boolean readOnlyQueue) {
        final SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(path)
            .rollCycle(settings.roll().cycle())
            .blockSize(BLOCK_BYTES)
            .readOnly(readOnlyQueue);
        if (wallTime != null) {
            builder.timeProvider(wallTime);
        }
        final SingleChronicleQueue built = builder.build();
        assert built.overlapSize() == OVERLAP_BYTES : "Chronicle's overlap " + built.overlapSize();
        cycleFiles = new RollingResourcesCache(built.rollCycle(), built.epoch(),
            name -> new File(dir.toFile(), name + CYCLE_FILE_SUFFIX),
            file -> file.getName().substring(0, file.getName().length() - CYCLE_FILE_SUFFIX.length()));
        return built;
    }

    /** Where a scan found the valid prefix to end. */
    private record Damage(Path file, long index, long offset, String message) {
    }

    /**
     * Reads the first entry of every cycle file and every entry of the last one, checking them; fills
     * {@link #cycleByFirstIndex}, {@link #firstIndex} and {@link #nextIndex} with the valid prefix and returns where
     * it ends early, or {@code null}.
     */
    private Damage scan() {
        cycleByFirstIndex.clear();
        firstIndex = 0;
        nextIndex = 0;
        scanNext = -1;
        final int firstCycle = queue.firstCycle();
        final int lastCycle = queue.lastCycle();
        if (firstCycle > lastCycle || lastCycle == Integer.MIN_VALUE) {
            return null;
        }
        Damage damage = null;
        try (ExcerptTailer tailer = queue.createTailer()) {
            for (final long cycleNumber : queue.listCyclesBetween(firstCycle, lastCycle)) {
                final int cycle = Math.toIntExact(cycleNumber);
                final Path file = cycleFile(cycle);
                try {
                    damage = scanCycle(tailer, cycle, file, cycle == lastCycle);
                } catch (final RuntimeException e) {
                    // Chronicle's own structures (its index) are damaged in a way the checks did not see.
                    damage = new Damage(file, scanNext, -1, "Chronicle cannot read this file: " + e);
                }
                if (damage != null) {
                    break;
                }
            }
        }
        // The valid prefix ends before the damage (or at the end); an empty one starts where it ends.
        nextIndex = scanNext < 0 ? 0 : scanNext;
        firstIndex = cycleByFirstIndex.isEmpty() ? nextIndex : cycleByFirstIndex.firstKey();
        return damage;
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
        final long readMax = last ? fileLength(file) / CycleFileCheck.HEADER_WORD_BYTES : 1;
        for (long read = 0; read < readMax; read++) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                final long offset = documentOffset(dc);
                final Journal.IndexedEntry entry;
                try {
                    entry = codec.decode(readDocument(dc, codec), scanNext);
                } catch (final JournalEntryCodec.DamagedEntryException e) {
                    return new Damage(file, scanNext, offset, e.getMessage());
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

    // ------------------------------------------------------------------------------------ damage and salvage

    /** A damaged file moved aside, whose valid part is to be appended again. */
    private record Salvage(Path movedFile, CycleFileCheck.Result check) {
    }

    /**
     * Moves {@code files[from..]} into this open's damaged directory and returns what to salvage from the first.
     * The later files go too: their entries cannot follow a prefix that ends in the damaged file.
     */
    private Salvage quarantine(final List<Path> files, final int from, final String reason,
                               final CycleFileCheck.Result check) {
        assert !readOnly;
        final List<Path> moving = files.subList(from, files.size());
        final Path target = moveAside(moving, reason);
        problems.add(new JournalCheck.Problem(files.get(from), -1, -1, "moved to " + target
            + (moving.size() > 1 ? ", with the " + (moving.size() - 1) + " later file(s)" : "")
            + "; the journal goes on from the entry before the damage"));
        return new Salvage(target.resolve(files.get(from).getFileName()), check);
    }

    /** Moves {@code paths} (in this journal's directory) into {@code DIR/damaged/<time>/}, noting why. */
    private Path moveAside(final List<Path> paths, final String reason) {
        assert !readOnly;
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
     * Appends again the valid entries of a damaged file, read from a mappable copy of its valid part, so that the
     * live journal keeps every entry before the damage.
     */
    private void salvage(final Salvage salvage) {
        final Path moved = salvage.movedFile();
        if (!salvage.check().salvageable()) {
            problems.add(new JournalCheck.Problem(moved, -1, -1, "no entry of it could be kept (no whole entry "
                + "before the damage); the journal goes on at index " + nextIndex));
            return;
        }
        final Path work = moved.resolveSibling(".salvage-" + moved.getFileName());
        final long from = nextIndex;
        long kept = 0;
        try {
            Files.createDirectories(work);
            copyValidPrefix(moved, work.resolve(moved.getFileName()), salvage.check());
            try (SingleChronicleQueue copy = SingleChronicleQueueBuilder.binary(work)
                .rollCycle(queue.rollCycle()).blockSize(BLOCK_BYTES).timeProvider(wallTime).build();
                 ExcerptTailer tailer = copy.createTailer()) {
                final JournalEntryCodec reading = new JournalEntryCodec(DOCUMENT_BYTES_MAX);
                final boolean empty = nextIndex == firstIndex && cycleByFirstIndex.isEmpty();
                long expected = empty ? -1 : nextIndex;
                final long documentsMax = salvage.check().validBytes() / CycleFileCheck.HEADER_WORD_BYTES;
                for (long documents = 0; documents < documentsMax; documents++) {
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        final Journal.IndexedEntry entry;
                        try {
                            entry = reading.decode(readDocument(dc, reading), expected);
                        } catch (final JournalEntryCodec.DamagedEntryException e) {
                            break; // the damage already reported: the valid part ends here
                        }
                        if (expected < 0) {
                            // The journal was empty: it starts where the damaged file did.
                            firstIndex = entry.index();
                            nextIndex = entry.index();
                        }
                        final long index = append(entry.entry());
                        assert index == entry.index() : "salvaged entry " + entry.index() + " appended as " + index;
                        expected = index + 1;
                        kept++;
                    }
                }
            }
        } catch (final IOException | RuntimeException e) {
            // The damaged file is kept in damaged/ either way: failing to salvage it must not stop the daemon.
            problems.add(new JournalCheck.Problem(moved, -1, -1, "its valid part could not be read back after "
                + kept + " entries: " + e));
        } finally {
            deleteTree(work);
        }
        problems.add(new JournalCheck.Problem(moved, -1, -1, (kept == 0 ? "no entry of it could be kept"
            : "kept its " + kept + " valid entries (index " + (nextIndex - kept) + " to " + (nextIndex - 1)
            + ") by appending them again" + (from == nextIndex - kept ? "" : " (the journal now starts there)"))
            + "; the journal goes on at index " + nextIndex));
    }

    /**
     * Writes the first {@code check.validBytes()} bytes of {@code from} to a new file {@code to}, sparse-extended to
     * a length Chronicle can map without touching past its end; the rest reads as zeros, which Chronicle takes for
     * "nothing written yet".
     */
    private static void copyValidPrefix(final Path from, final Path to, final CycleFileCheck.Result check)
        throws IOException {
        final long valid = check.validBytes();
        final long reach = Math.max(valid, check.writePosition()) + CycleFileCheck.HEADER_WORD_BYTES;
        final long length = (reach / BLOCK_BYTES + 1) * BLOCK_BYTES + OVERLAP_BYTES;
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

    private static void deleteTree(final Path root) {
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

    /** Why Chronicle must not map {@code metadata.cq4t}, or {@code null}; a missing one is fine. */
    private static String metadataProblem(final Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final long length = channel.size();
            if (length < METADATA_BYTES_MIN) {
                return "is truncated: " + length + " bytes, a Chronicle metadata file has at least "
                    + METADATA_BYTES_MIN;
            }
            final ByteBuffer word = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
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

    // ------------------------------------------------------------------------------------------------ the seam

    @Override
    public long append(final Entry entry) {
        Objects.requireNonNull(entry, "entry");
        if (readOnly) {
            throw new IllegalStateException("journal " + dir + " is open read-only");
        }
        checkOpen();
        final long index = nextIndex;
        final int length = codec.encode(index, entry);
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(codec.buffer(), 0, length);
        }
        nextIndex = index + 1;
        if (entry.kind() == Supervisor.JOURNAL_SNAPSHOT) {
            lastSnapshotIndex = index;
        }
        final int cycle = appender.cycle();
        if (cycleByFirstIndex.isEmpty() || cycleByFirstIndex.lastEntry().getValue() != cycle) {
            // the first entry of a new file (or of the newest file, if it was empty on open)
            assert cycleByFirstIndex.isEmpty() || cycleByFirstIndex.lastEntry().getValue() < cycle
                : "appended to cycle " + cycle + " after " + cycleByFirstIndex.lastEntry();
            cycleByFirstIndex.put(index, cycle);
        }
        if (cycle != lastAppendCycle) {
            final boolean rolled = lastAppendCycle != Integer.MIN_VALUE;
            lastAppendCycle = cycle;
            if (rolled) {
                retain(cycle);
            }
        }
        return index;
    }

    @Override
    public long firstIndex() {
        return firstIndex;
    }

    @Override
    public long nextIndex() {
        return nextIndex;
    }

    @Override
    public Reader reader(final long fromIndex) {
        checkOpen();
        final long from = Math.max(fromIndex, firstIndex);
        final ExcerptTailer tailer = queue.createTailer();
        long expected;
        if (from >= nextIndex) {
            tailer.toEnd();
            expected = nextIndex;
        } else {
            final Map.Entry<Long, Integer> start = cycleByFirstIndex.floorEntry(from);
            assert start != null : "no cycle holds index " + from + " of " + cycleByFirstIndex;
            if (tailer.moveToIndex(queue.rollCycle().toIndex(start.getValue(), from - start.getKey()))) {
                expected = from;
            } else {
                // Chronicle cannot find it (its file just went to retention): read from the oldest entry left.
                tailer.toStart();
                expected = firstIndex;
            }
        }
        return new ChronicleReader(tailer, from, expected);
    }

    @Override
    public long lastIndexOf(final int kind) {
        checkOpen();
        if (nextIndex == firstIndex) {
            return -1;
        }
        final long last = nextIndex - 1;
        final Map.Entry<Long, Integer> start = cycleByFirstIndex.floorEntry(last);
        assert start != null : "no cycle holds index " + last;
        try (ExcerptTailer tailer = queue.createTailer().direction(TailerDirection.BACKWARD)) {
            if (!tailer.moveToIndex(queue.rollCycle().toIndex(start.getValue(), last - start.getKey()))) {
                report(new JournalCheck.Problem(cycleFile(start.getValue()), last, -1, "the last entry cannot be "
                    + "found: searching for the last entry of a kind is not possible"));
                return -1;
            }
            final JournalEntryCodec reading = new JournalEntryCodec(DOCUMENT_BYTES_MAX);
            for (long expected = last; expected >= firstIndex; expected--) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        final Map.Entry<Long, Integer> holder = cycleByFirstIndex.floorEntry(expected);
                        report(new JournalCheck.Problem(holder == null ? dir : cycleFile(holder.getValue()), expected,
                            -1, "no document where the entry should be (a damaged document header); the search "
                            + "for kind " + kind + " stops here"));
                        return -1;
                    }
                    final Path file = cycleFile(queue.rollCycle().toCycle(dc.index()));
                    final long offset = documentOffset(dc);
                    try {
                        if (reading.decode(readDocument(dc, reading), expected).entry().kind() == kind) {
                            return expected;
                        }
                    } catch (final JournalEntryCodec.DamagedEntryException e) {
                        // Readers stop before this entry, so recovery must start before it too.
                        report(new JournalCheck.Problem(file, expected, offset, e.getMessage()));
                        return -1;
                    }
                }
            }
        }
        return -1;
    }

    /** What was found wrong, on open and since. */
    public JournalCheck problems() {
        return new JournalCheck(problems);
    }

    /** The journal's directory. */
    public Path directory() {
        return dir;
    }

    /** Whether this journal was opened with {@link #openReadOnly}. */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (appender != null) {
                appender.close();
            }
            if (queue != null) {
                queue.close();
            }
        } finally {
            if (shadowDir != null) {
                deleteTree(shadowDir);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ retention

    /** After a roll into {@code currentCycle}: deletes old cycle files as {@link Settings} says. */
    private void retain(final int currentCycle) {
        final long ageMaxMillis = settings.retainAgeMaxMillis();
        if (settings.retainBytesMax() == Settings.UNLIMITED_BYTES && ageMaxMillis == Long.MAX_VALUE) {
            return;
        }
        final List<Path> files = listCycleFiles(dir);
        final long[] sizes = new long[files.size()];
        long total = 0;
        for (int i = 0; i < files.size(); i++) {
            final CycleFileCheck.Result check = CycleFileCheck.check(files.get(i), OVERLAP_BYTES, false);
            sizes[i] = check.dataEnd() >= 0 ? check.dataEnd() + CycleFileCheck.HEADER_WORD_BYTES : check.length();
            total += Math.max(0, sizes[i]);
        }
        final long nowMillis = wallTime.currentTimeMillis();
        final RollCycle rollCycle = queue.rollCycle();
        if (lastSnapshotIndex == SNAPSHOT_UNKNOWN) {
            lastSnapshotIndex = lastIndexOf(Supervisor.JOURNAL_SNAPSHOT);
        }
        // Recovery starts at the last snapshot (or, without one, at the first entry): the file holding it and every
        // later file stay, whatever the limits say.
        final Map.Entry<Long, Integer> snapshotFile = lastSnapshotIndex < 0 ? null
            : cycleByFirstIndex.floorEntry(lastSnapshotIndex);
        final int keepFromCycle = snapshotFile == null ? Integer.MIN_VALUE : snapshotFile.getValue();
        boolean deleted = false;
        for (int i = 0; i < files.size(); i++) {
            final int cycle = cycleOf(files.get(i));
            if (cycle == Integer.MIN_VALUE) {
                continue; // not a file of this journal's roll cycle: not ours to delete
            }
            if (cycle >= currentCycle || cycle >= keepFromCycle) {
                break; // never the file being written, nor the one recovery starts in, nor any after it
            }
            final long endMillis = (cycle + 1L) * rollCycle.lengthInMillis() + queue.epoch();
            final boolean tooOld = ageMaxMillis != Long.MAX_VALUE && nowMillis - endMillis >= ageMaxMillis;
            final boolean tooBig = total > settings.retainBytesMax();
            if (!tooOld && !tooBig) {
                break; // files are in cycle order: every later one is younger, and the total is within bounds
            }
            try {
                Files.deleteIfExists(files.get(i));
            } catch (final IOException e) {
                throw new UncheckedIOException("journal " + dir + ": retention cannot delete " + files.get(i) + ": "
                    + e.getMessage(), e);
            }
            total -= Math.max(0, sizes[i]);
            cycleByFirstIndex.values().removeIf(c -> c == cycle);
            deleted = true;
        }
        if (deleted) {
            queue.refreshDirectoryListing();
            firstIndex = cycleByFirstIndex.isEmpty() ? nextIndex : cycleByFirstIndex.firstKey();
        }
        assert !cycleByFirstIndex.isEmpty() : "retention deleted the current file";
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("journal " + dir + " is closed");
        }
    }

    /** Adds a problem found while reading, once: many readers may stop at the same damaged entry. */
    private void report(final JournalCheck.Problem problem) {
        for (final JournalCheck.Problem known : problems) {
            if (known.file().equals(problem.file()) && known.index() == problem.index()) {
                return;
            }
        }
        problems.add(problem);
    }

    private static long fileLength(final Path file) {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the length of " + file + ": " + e.getMessage(), e);
        }
    }

    /** The cycle files directly in {@code directory}, in cycle order (their names sort as their cycles do). */
    private static List<Path> listCycleFiles(final Path directory) {
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

    /** The journal's file for {@code cycle} (in {@link #dir}, also when Chronicle reads a temporary copy). */
    private Path cycleFile(final int cycle) {
        return cycleFiles.resourceFor(cycle).path.toPath();
    }

    /** The cycle a file's name stands for, or {@link Integer#MIN_VALUE} if the name is not one of this roll's. */
    private int cycleOf(final Path file) {
        try {
            return Math.toIntExact(cycleFiles.toLong(file.toFile()));
        } catch (final RuntimeException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** The offset in its file of the header word of the document {@code dc} is reading. */
    private static long documentOffset(final DocumentContext dc) {
        return dc.wire().bytes().readPosition() - CycleFileCheck.HEADER_WORD_BYTES;
    }

    /** Copies the document into {@code codec}'s buffer and returns its length. */
    private static int readDocument(final DocumentContext dc, final JournalEntryCodec codec)
        throws JournalEntryCodec.DamagedEntryException {
        final Bytes<?> bytes = dc.wire().bytes();
        final long length = bytes.readRemaining();
        if (length > DOCUMENT_BYTES_MAX) {
            throw new JournalEntryCodec.DamagedEntryException("a document of " + length + " bytes, more than an "
                + "entry can have (" + DOCUMENT_BYTES_MAX + "): corrupt");
        }
        final byte[] buffer = codec.bufferFor((int) length);
        final int read = bytes.read(buffer, 0, (int) length);
        assert read == length : read + " of " + length;
        return (int) length;
    }

    /** A reader: positioned by the constructor, it checks every entry and stops for good at the first bad one. */
    private final class ChronicleReader implements Reader {
        private final ExcerptTailer tailer;
        private final long fromIndex;
        private final JournalEntryCodec reading = new JournalEntryCodec(DOCUMENT_BYTES_MAX);
        /** The index of the entry the tailer returns next. */
        private long expected;
        private boolean stopped;
        private boolean readerClosed;

        ChronicleReader(final ExcerptTailer tailer, final long fromIndex, final long expected) {
            assert expected <= fromIndex : expected + " > " + fromIndex;
            this.tailer = tailer;
            this.fromIndex = fromIndex;
            this.expected = expected;
        }

        @Override
        public IndexedEntry next() {
            if (readerClosed) {
                throw new IllegalStateException("a reader of journal " + dir + " is closed");
            }
            checkOpen();
            // Entries before fromIndex are skipped only after a fallback to the start; bounded by the journal.
            while (!stopped) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        if (expected < nextIndex) {
                            final Map.Entry<Long, Integer> start = cycleByFirstIndex.floorEntry(expected);
                            report(new JournalCheck.Problem(start == null ? dir : cycleFile(start.getValue()),
                                expected, -1, "no document where the entry should be (the journal holds entries up "
                                + "to " + (nextIndex - 1) + "): a damaged document header; reading stops here"));
                            stopped = true;
                        }
                        return null;
                    }
                    final long offset = documentOffset(dc);
                    final IndexedEntry entry;
                    try {
                        entry = reading.decode(readDocument(dc, reading), expected);
                    } catch (final JournalEntryCodec.DamagedEntryException e) {
                        report(new JournalCheck.Problem(cycleFile(queue.rollCycle().toCycle(dc.index())), expected,
                            offset, e.getMessage() + "; reading stops here"));
                        stopped = true;
                        return null;
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
            if (!readerClosed) {
                readerClosed = true;
                tailer.close();
            }
        }
    }

    /**
     * Chronicle's clock: the journal's wall clock, never decreasing (and never below the newest file's cycle), so
     * that every append goes to the newest cycle or a later one. Thread-safe: Chronicle may ask from its own threads.
     */
    static final class WallTime implements TimeProvider {
        private final Clock clock;
        private final AtomicLong floorMillis = new AtomicLong(Long.MIN_VALUE);

        WallTime(final Clock clock) {
            this.clock = clock;
        }

        void raiseFloor(final long millis) {
            floorMillis.accumulateAndGet(millis, Math::max);
        }

        @Override
        public long currentTimeMillis() {
            return floorMillis.accumulateAndGet(clock.epochMillis(), Math::max);
        }
    }
}
