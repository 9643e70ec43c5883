package io.mcrelay.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.RollingResourcesCache;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.NewerSchemaException;
import io.mcrelay.seam.Clock;
import io.mcrelay.seam.Journal;

/**
 * The production {@link Journal}: a Chronicle Queue in a directory, one file per roll cycle (a day by default).
 *
 * <h2>Entries</h2>
 * One Chronicle document per entry ({@link JournalEntryCodec} draws the layout): a CRC-32C, the journal schema version
 * the entry was written in, its journal index, times, kind, source and payload. The index is stored because
 * Chronicle's own (cycle and sequence) restarts in every file and cannot survive a file moved aside. This code writes
 * schema version {@value JournalSchema#VERSION} and reads every version from {@value JournalSchema#OLDEST} on;
 * readers return each entry with its version, by which the core's payloads are decoded ({@code io.mcrelay.entries}).
 *
 * <p>Chronicle's time is ours: its {@link TimeProvider} reads the journal's {@link Clock} ({@code epochMillis}),
 * held non-decreasing ({@link WallTime}) so that a wall clock stepping back never sends an append to an earlier
 * cycle's file (which would put it before entries already written). The entry's own {@code wallMillis} is stored as
 * given.
 *
 * <h2>Positioning and recovery</h2>
 * Within one cycle file Chronicle numbers entries 0, 1, 2..., so journal index {@code i} lives in the cycle whose
 * first entry has the greatest index {@code <= i}, at sequence {@code i - first}. The journal keeps that map (one
 * key per file, read from each file's first entry on open, extended on every roll) and {@link #reader} asks
 * Chronicle for the exact position: no linear scan. {@link #nextIndex()} is recovered from the last entry on open.
 *
 * <h2>A newer journal</h2>
 * An entry of a schema version newer than this code reads was written by a newer mcrelay. It is not damage: an open
 * that meets one throws {@link NewerSchemaException} naming both versions, and a writable open looks for one with
 * plain reads ({@link SchemaProbe}) before it changes anything, so that such a journal is left exactly as it is
 * (no file moved aside, salvaged or deleted by retention). A reader that meets one throws the same.
 *
 * <h2>Damage</h2>
 * Before Chronicle maps a file, the file is checked with plain reads ({@link CycleFileCheck}): a truncated or
 * damaged file can make a read-only mapping raise {@code SIGBUS}. A writable open checks every file's header and
 * length and walks the last file's documents; a read-only open walks every file. Then the journal reads the first
 * entry of every file and every entry of the last, checking checksums, schema versions and consecutive indices.
 * <ul>
 *   <li>{@link #open} (the daemon) moves the first damaged file and every later one aside and appends again the
 *       valid entries of the damaged file that precede the damage ({@link JournalSalvage}): the live journal is then
 *       its valid prefix, and new entries follow it. Nothing is deleted.</li>
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
 * After a roll, whole cycle files other than the current one are <b>deleted</b> as {@link Config} says
 * ({@link JournalRetention}); {@link #firstIndex()} then moves forward. Recovery must still find the table: the file
 * holding the last snapshot ({@link EntryKinds#SNAPSHOT}) and every later file are never deleted, and a journal
 * without a snapshot is not trimmed at all (the supervisor writes one at start and at least every hour of its time,
 * so the limits take effect within that).
 *
 * <h2>Threading</h2>
 * Single writer: one thread appends, reads and closes (and, between them, may hand the journal to another thread
 * with a happens-before edge). A {@link Reader} belongs to the thread that uses it. {@link #openReadOnly} is for
 * captured journals: on a journal another process is writing, an entry caught half-written during the open's walk
 * is reported as an unfinished write and ends what that open reads.
 */
public final class ChronicleJournal implements Journal {
    /** What Chronicle adds to a document: its 4-byte header, rounded up for the index entries. */
    private static final int DOCUMENT_OVERHEAD_BYTES = 16;
    /** Chronicle's mapping block; fixed so that every file of every journal has the same sane length. */
    static final long BLOCK_BYTES = 64L << 20;
    /** What Chronicle maps beyond each block ({@code SingleChronicleQueue.calcOverlapSize}): a document's maximum. */
    static final long OVERLAP_BYTES = BLOCK_BYTES / 4;
    /** The largest entry document: Chronicle lets a document use the overlap, less room for its header. */
    static final int DOCUMENT_BYTES_MAX = (int) OVERLAP_BYTES - (64 << 10);
    /** The largest payload an entry can carry (with a source of at most 256 UTF-8 bytes). */
    public static final int PAYLOAD_BYTES_MAX = DOCUMENT_BYTES_MAX - JournalEntryCodec.FIXED_BYTES - 256;

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
    public record Config(Roll roll, long retainBytesMax, Duration retainAgeMax) {
        public static final long UNLIMITED_BYTES = Long.MAX_VALUE;
        public static final Duration UNLIMITED_AGE = Duration.ofMillis(Long.MAX_VALUE);

        public Config {
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
        public static Config daily() {
            return new Config(Roll.DAILY, UNLIMITED_BYTES, UNLIMITED_AGE);
        }

        public Config withRoll(final Roll newRoll) {
            return new Config(newRoll, retainBytesMax, retainAgeMax);
        }

        public Config withRetention(final long newRetainBytesMax, final Duration newRetainAgeMax) {
            return new Config(roll, newRetainBytesMax, newRetainAgeMax);
        }

        long retainAgeMaxMillis() {
            return retainAgeMax.compareTo(UNLIMITED_AGE) >= 0 ? Long.MAX_VALUE : retainAgeMax.toMillis();
        }
    }

    /** The index of the last snapshot is not known yet. */
    private static final long SNAPSHOT_UNKNOWN = -2;
    /**
     * Free space an append wants beyond its document: Chronicle's index arrays and a new cycle file's header, and what
     * may be written between two looks at the free space. Chronicle writes through a mapping of a sparse file, where
     * a page the file system cannot back is a fault in the middle of a document (an {@code InternalError}, and a
     * damaged entry that ends what can be read): so an append that would not fit is refused before it starts.
     */
    static final long HEADROOM_BYTES = 1L << 20;
    /**
     * The free space is looked at again (a {@code statvfs}) after this many bytes written or {@link #LOOK_EVERY_MILLIS}
     * of wall-clock time, whichever comes first: another process filling the disk between two looks can still make a
     * write fault, which leaves the journal {@code failed} until a restart salvages it.
     */
    static final long LOOK_EVERY_BYTES = 64L << 10;
    static final long LOOK_EVERY_MILLIS = 1_000;

    private final Path dir;
    private final boolean readOnly;
    private final Config settings;
    private final WallTime wallTime;
    private final JournalEntryCodec codec = new JournalEntryCodec(DOCUMENT_BYTES_MAX);
    private final List<JournalCheck.Problem> problems = new ArrayList<>();
    private final JournalSalvage salvage;
    /** The first journal index in each cycle file that holds entries: first index -> cycle. */
    private final TreeMap<Long, Integer> cycleByFirstIndex = new TreeMap<>();

    private SingleChronicleQueue queue;
    private RollingResourcesCache cycleFiles;
    private ExcerptAppender appender;
    private JournalRetention retention;
    /** A temporary directory Chronicle reads instead of {@link #dir} (read-only opens of a damaged journal). */
    private Path shadowDir;
    private long firstIndex;
    private long nextIndex;
    private int lastAppendCycle = Integer.MIN_VALUE;
    /** The index of the last snapshot, which retention keeps; {@link #SNAPSHOT_UNKNOWN} until first needed. */
    private long lastSnapshotIndex = SNAPSHOT_UNKNOWN;
    private boolean closed;
    /** The file system the journal is on, and what it had free at the last look (-1: not looked yet). */
    private FileStore store;
    private long freeAtLastLook = -1;
    private long writtenSinceLook;
    private long lastLookMillis;
    /** Bytes of entry documents this open wrote (with Chronicle's headers, roughly). */
    private long bytesWritten;
    /** Set once a write failed part-way: the journal then takes nothing until it is opened again. */
    private Health broken;

    private ChronicleJournal(final Path dir, final Clock clock, final Config settings, final boolean readOnly) {
        this.dir = dir.toAbsolutePath().normalize();
        this.settings = settings;
        this.readOnly = readOnly;
        this.wallTime = clock == null ? null : new WallTime(clock);
        this.salvage = new JournalSalvage(this.dir, clock, problems);
    }

    /**
     * Opens (creating if needed) the journal in {@code dir} for appending. Damage is repaired as the class comment
     * says and reported in {@link #problems()}; the journal opens whatever the files hold, unless they hold an entry
     * of a newer schema version.
     *
     * @throws NewerSchemaException if an entry was written by a newer mcrelay; nothing in {@code dir} was changed
     * @throws UncheckedIOException if the directory cannot be created, read or written
     */
    public static ChronicleJournal open(final Path dir, final Clock clock, final Config settings) {
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
     * @throws NewerSchemaException if an entry the open reads was written by a newer mcrelay
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
        final ChronicleJournal journal = new ChronicleJournal(dir, null, Config.daily(), true);
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
        // First, before anything here changes: a newer mcrelay's journal is left exactly as it is.
        SchemaProbe.refuseNewer(dir, JournalDirectory.cycleFiles(dir));
        JournalSalvage.Moved moved = null;
        final long attemptsMax = 2L + JournalDirectory.cycleFiles(dir).size();
        for (long attempt = 0; ; attempt++) {
            if (attempt > attemptsMax) {
                throw new IllegalStateException("journal " + dir + ": damage still found after " + attemptsMax
                    + " repairs (files keep failing their checks)");
            }
            final Path metadata = dir.resolve(JournalDirectory.METADATA_FILE);
            final String metadataProblem = JournalDirectory.metadataProblem(metadata);
            if (metadataProblem != null) {
                final Path target = salvage.moveAside(List.of(metadata), metadataProblem);
                problems.add(new JournalCheck.Problem(metadata, -1, -1, metadataProblem + "; moved to " + target
                    + " (Chronicle makes a new one)"));
            }
            final List<Path> files = JournalDirectory.cycleFiles(dir);
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
                moved = salvage.quarantine(files, damaged, "the file " + result.problem(), result);
                continue;
            }
            queue = build(dir, false);
            final JournalScan.Damage damage = scan();
            if (damage == null) {
                break;
            }
            // An entry is damaged: everything from its file on leaves the live journal, its good part comes back.
            problems.add(new JournalCheck.Problem(damage.file(), damage.index(), damage.offset(), damage.message()));
            queue.close();
            queue = null;
            final int at = files.indexOf(damage.file());
            assert at >= 0 : damage.file() + " not in " + files;
            final CycleFileCheck.Result whole = CycleFileCheck.check(damage.file(), OVERLAP_BYTES, true);
            moved = salvage.quarantine(files, at, "entry " + damage.index() + ": " + damage.message(), whole);
        }
        // Never let Chronicle's clock put an append into a cycle before the newest file's.
        if (queue.lastCycle() != Integer.MIN_VALUE && queue.lastCycle() >= queue.firstCycle()) {
            wallTime.raiseFloor((long) queue.lastCycle() * queue.rollCycle().lengthInMillis() + queue.epoch());
            assert queue.cycle() >= queue.lastCycle() : queue.cycle() + " < " + queue.lastCycle();
            lastAppendCycle = queue.lastCycle(); // so that the first append into a later cycle counts as a roll
        }
        retention = new JournalRetention(settings, queue.rollCycle().lengthInMillis(), queue.epoch());
        appender = queue.createAppender();
        try {
            store = Files.getFileStore(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot find the file system of the journal " + dir + ": " + e.getMessage(),
                e);
        }
        if (moved != null) {
            salvage.appendValidPrefix(moved, nextIndex, nextIndex == firstIndex && cycleByFirstIndex.isEmpty(),
                queue.rollCycle(), wallTime, this::appendSalvaged);
        }
        // The thread that opened the journal need not be the one that appends (the daemon hands it over).
        appender.singleThreadedCheckReset();
        assert firstIndex <= nextIndex : firstIndex + " > " + nextIndex;
    }

    private void openReadOnlyFiles(final boolean live) {
        final Path metadata = dir.resolve(JournalDirectory.METADATA_FILE);
        final String metadataProblem = JournalDirectory.metadataProblem(metadata);
        if (metadataProblem != null) {
            problems.add(new JournalCheck.Problem(metadata, -1, -1, metadataProblem
                + " (read-only: left in place; the journal is read without it)"));
        }
        final List<Path> files = JournalDirectory.cycleFiles(dir);
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
            shadowDir = salvage.shadow(files, damaged, result);
            queue = build(shadowDir, true);
        }
        final JournalScan.Damage damage = scan();
        if (damage != null) {
            problems.add(new JournalCheck.Problem(damage.file(), damage.index(), damage.offset(), damage.message()
                + " (read-only: reported, nothing moved; reading stops before it)"));
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
            name -> new File(dir.toFile(), name + JournalDirectory.CYCLE_FILE_SUFFIX),
            file -> file.getName().substring(0,
                file.getName().length() - JournalDirectory.CYCLE_FILE_SUFFIX.length()));
        return built;
    }

    /**
     * Scans the queue ({@link JournalScan}) and takes its findings: where each file's entries start, the first and
     * next index. Returns where the valid prefix ends early, or {@code null}.
     *
     * @throws NewerSchemaException if an entry was written by a newer mcrelay
     */
    private JournalScan.Damage scan() {
        final JournalScan scan = JournalScan.run(this, queue, codec);
        cycleByFirstIndex.clear();
        cycleByFirstIndex.putAll(scan.cycleByFirstIndex());
        nextIndex = scan.nextIndex();
        firstIndex = scan.firstIndex();
        return scan.damage();
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
        write(codec.buffer(), length, index, entry.kind());
        return index;
    }

    /** Appends a salvaged entry's document as it was written; the first one of an empty journal sets its start. */
    private void appendSalvaged(final IndexedEntry entry, final byte[] document, final int length) {
        if (nextIndex == firstIndex && cycleByFirstIndex.isEmpty()) {
            firstIndex = entry.index();
            nextIndex = entry.index();
        }
        assert entry.index() == nextIndex : "salvaged entry " + entry.index() + " where " + nextIndex + " belongs";
        write(document, length, entry.index(), entry.entry().kind());
    }

    /** Writes one entry's document, whose index is {@link #nextIndex}, and rolls and retains as needed. */
    private void write(final byte[] document, final int length, final long index, final int kind) {
        assert index == nextIndex : index + " != " + nextIndex;
        ensureRoom(length);
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(document, 0, length);
        } catch (final RuntimeException | InternalError e) {
            // A fault in the mapped file (another process took the space after the last look) or Chronicle's own
            // failure: the document may be half-written, and whatever followed it could not be read back.
            broken = new Health(State.FAILED, "writing entry " + index + " to the journal " + dir + " failed (" + e
                + "); it takes no entry until the daemon restarts, which salvages what it holds");
            throw new UnwritableException(broken);
        }
        writtenSinceLook += length + DOCUMENT_OVERHEAD_BYTES;
        bytesWritten += length + DOCUMENT_OVERHEAD_BYTES;
        nextIndex = index + 1;
        if (kind == EntryKinds.SNAPSHOT) {
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
    }

    /** Refuses an append that would not fit in the file system's free space, before anything of it is written. */
    private void ensureRoom(final int length) {
        if (broken != null) {
            throw new UnwritableException(broken);
        }
        final long needed = length + HEADROOM_BYTES;
        final long nowMillis = wallTime.currentTimeMillis();
        if (freeAtLastLook < 0 || writtenSinceLook >= LOOK_EVERY_BYTES || freeAtLastLook - writtenSinceLook < needed
            || nowMillis - lastLookMillis >= LOOK_EVERY_MILLIS) {
            lastLookMillis = nowMillis;
            try {
                freeAtLastLook = store.getUsableSpace();
            } catch (final IOException e) {
                throw new UnwritableException(new Health(State.FULL, "cannot tell the free space of the journal's "
                    + "file system (" + dir + "): " + e.getMessage()));
            }
            writtenSinceLook = 0;
            if (freeAtLastLook < needed) {
                throw new UnwritableException(new Health(State.FULL, "no space for the journal " + dir + ": "
                    + freeAtLastLook + " bytes free on its file system, " + needed + " wanted for the next entry"));
            }
        }
    }

    /**
     * Why a daemon could not open the journal in {@code dir} for writing, or {@code null} when it could, found with
     * plain reads (nothing is created, moved or mapped): a newer mcrelay's journal, or a directory it cannot make or
     * write.
     */
    public static String openProblem(final Path dir) {
        final Path absolute = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute)) {
            if (!Files.isWritable(absolute)) {
                return "the journal directory " + absolute + " is not writable";
            }
            try {
                SchemaProbe.refuseNewer(absolute, JournalDirectory.cycleFiles(absolute));
            } catch (final NewerSchemaException e) {
                return e.getMessage();
            } catch (final UncheckedIOException e) {
                return "the journal directory " + absolute + " cannot be read: " + e.getMessage();
            }
            return null;
        }
        Path existing = absolute.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            return "the journal directory " + absolute + " does not exist and cannot be made (" + existing
                + " is not a writable directory)";
        }
        return null;
    }

    /** Bytes this open of the journal wrote: its entries' documents, with Chronicle's headers roughly. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** {@code failed} once a write failed part-way (until the journal is opened again); otherwise {@code ok}. */
    @Override
    public Health health() {
        return broken != null ? broken : Health.OK;
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
        return new ChronicleEntryReader(this, tailer, from, expected);
    }

    /**
     * {@inheritDoc} Kinds mean the same in every schema version, so the search needs no decoding of payloads.
     *
     * @throws NewerSchemaException if the search meets an entry written by a newer mcrelay
     */
    @Override
    public long lastIndexOf(final int kind) {
        checkOpen();
        if (nextIndex == firstIndex) {
            return -1;
        }
        final long last = nextIndex - 1;
        final Map.Entry<Long, Integer> start = cycleByFirstIndex.floorEntry(last);
        assert start != null : "no cycle holds index " + last;
        return JournalScan.lastOfKind(this, queue, start.getValue(), last - start.getKey(), last, firstIndex, kind);
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
                JournalDirectory.deleteTree(shadowDir);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ retention

    /** After a roll into {@code currentCycle}: deletes old cycle files as {@link Config} says. */
    private void retain(final int currentCycle) {
        if (retention.unlimited()) {
            return;
        }
        final long nowMillis = wallTime.currentTimeMillis();
        if (lastSnapshotIndex == SNAPSHOT_UNKNOWN) {
            lastSnapshotIndex = lastIndexOf(EntryKinds.SNAPSHOT);
        }
        // Recovery starts at the last snapshot (or, without one, at the first entry): the file holding it and every
        // later file stay, whatever the limits say.
        final Map.Entry<Long, Integer> snapshotFile = lastSnapshotIndex < 0 ? null
            : cycleByFirstIndex.floorEntry(lastSnapshotIndex);
        final int keepFromCycle = snapshotFile == null ? Integer.MIN_VALUE : snapshotFile.getValue();
        final List<Integer> deleted = retention.apply(dir, JournalDirectory.cycleFiles(dir), this::cycleOf,
            currentCycle, keepFromCycle, nowMillis);
        if (!deleted.isEmpty()) {
            cycleByFirstIndex.values().removeAll(deleted);
            queue.refreshDirectoryListing();
            firstIndex = cycleByFirstIndex.isEmpty() ? nextIndex : cycleByFirstIndex.firstKey();
        }
        assert !cycleByFirstIndex.isEmpty() : "retention deleted the current file";
    }

    // ------------------------------------------------------------------------------------------------ helpers

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("journal " + dir + " is closed");
        }
    }

    /** Adds a problem found while reading, once: many readers may stop at the same damaged entry. */
    void report(final JournalCheck.Problem problem) {
        for (final JournalCheck.Problem known : problems) {
            if (known.file().equals(problem.file()) && known.index() == problem.index()) {
                return;
            }
        }
        problems.add(problem);
    }

    /** The refusal of an entry of a newer schema version, naming where it is and both versions. */
    NewerSchemaException newer(final Path file, final long index, final long offset, final int version) {
        return new NewerSchemaException("journal " + dir + ": entry " + index + " (" + file + (offset >= 0 ? " at "
            + "offset " + offset : "") + ")", version, readOnly ? null : "stopped before changing anything");
    }

    /** The file that holds the entry of {@code index} (the directory if none does). */
    Path fileHolding(final long index) {
        final Map.Entry<Long, Integer> holder = cycleByFirstIndex.floorEntry(index);
        return holder == null ? dir : cycleFile(holder.getValue());
    }

    /** The file of the document {@code dc} is reading. */
    Path fileOf(final DocumentContext dc) {
        return cycleFile(queue.rollCycle().toCycle(dc.index()));
    }

    /** The journal's file for {@code cycle} (in {@link #dir}, also when Chronicle reads a temporary copy). */
    Path cycleFile(final int cycle) {
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
}
