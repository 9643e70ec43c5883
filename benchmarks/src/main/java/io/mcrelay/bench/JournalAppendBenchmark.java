package io.mcrelay.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.seam.Journal;

/**
 * What one journal append costs: a ~100-byte entry (a 70-byte payload, the size of a heartbeat or a small command)
 * into a {@link ChronicleJournal} in a temporary directory, with the checksum, Chronicle's write and the roll check
 * it carries. The supervisor appends every input and output it handles, so this cost is paid per message.
 *
 * <p>Run from the repository root with the project's JVM flags, which Chronicle Queue needs (without
 * {@code --add-exports=java.base/sun.nio.ch} it fails with a misleading "Can't append to a read-only chronicle"):
 * {@code java @jvm.options -jar benchmarks/target/benchmarks.jar JournalAppend}. {@code @Fork} gives no JVM
 * arguments on purpose: JMH starts its fork with the parent's, so the flags come from {@code jvm.options} only.
 *
 * <p>Single-threaded, as the journal is (one writer). The page cache absorbs the writes; the number says what the
 * supervisor's thread spends, not when the bytes reach the disk.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class JournalAppendBenchmark {
    /** 70 bytes of payload + "worker:1" (8) + the 42-byte entry header: 120 bytes on disk, about 100 of content. */
    private static final int PAYLOAD_BYTES = 70;

    private Path dir;
    private ChronicleJournal journal;
    private Journal.Entry entry;
    private long timeNs;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("mcrelay-journal-bench-");
        journal = ChronicleJournal.open(dir, SystemClock.INSTANCE, ChronicleJournal.Config.daily());
        final byte[] payload = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        entry = new Journal.Entry(0, System.currentTimeMillis(), 4, "worker:1", payload);
        // Timing a journal that loses entries would be timing a bug.
        final long index = journal.append(entry);
        try (Journal.Reader reader = journal.reader(index)) {
            final Journal.IndexedEntry read = reader.next();
            if (read == null || read.index() != index || read.entry().payload().length != PAYLOAD_BYTES) {
                throw new IllegalStateException("the journal in " + dir + " does not read back what was appended");
            }
        }
    }

    /** Appends one entry; returns its index so that the call cannot be optimised away. */
    @Benchmark
    public long append() {
        timeNs += 1_000;
        return journal.append(new Journal.Entry(timeNs, entry.wallMillis(), entry.kind(), entry.source(),
            entry.payload()));
    }

    @TearDown(Level.Trial)
    public void close() {
        journal.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (final Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
