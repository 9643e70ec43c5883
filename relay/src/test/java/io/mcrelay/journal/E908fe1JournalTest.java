package io.mcrelay.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.cli.Main;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LogLevels;
import io.mcrelay.seam.Timers;
import io.mcrelay.seam.WorkerLauncher;

/**
 * A journal the daemon at e908fe1 wrote (schema version 1: commits and a snapshot holding worker-channel frames, and
 * a limits entry) is restored by this code with every rule, field for field, its epoch and its limits: the real
 * {@link Supervisor} recovers from the real files (see {@link E908fe1Fixture}) through the daemon's
 * {@link ChronicleJournal}. The supervisor then writes a snapshot of the current version holding the same table,
 * from which a second start recovers the same again. {@code journal dump} shows the old entries decoded.
 */
class E908fe1JournalTest {
    @TempDir
    Path temp;

    private final JournalFiles.TestClock clock = new JournalFiles.TestClock();

    E908fe1JournalTest() {
        clock.epochMillis = 1_796_601_600_000L; // 2026-12-07, the day after the old daemon wrote the journal
    }

    private static List<Rule> byId(final List<Rule> rules) {
        return rules.stream().sorted(Comparator.comparing(rule -> rule.id().value())).toList();
    }

    /** Starts a supervisor on {@code journal} with seams that do nothing: only recovery and its snapshot matter. */
    private Supervisor start(final Journal journal) {
        final Supervisor supervisor = new Supervisor(Supervisor.Config.defaults(1), new Supervisor.Seams(
            new QuietTimers(), new QuietLauncher(), new QuietControl(), new QuietLinks(), new QuietLogLevels(),
            new QuietSockets(), new QuietMemberships(), journal, clock));
        supervisor.start(clock.nanoTime);
        return supervisor;
    }

    @Test
    void theOldDaemonsJournalIsRestoredWithEveryRuleItsEpochAndItsLimits() {
        final Path dir = E908fe1Fixture.install(temp.resolve("journal"));
        final long written;
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily())) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            written = journal.nextIndex();
            assertEquals(772, written, "the old daemon's 772 entries");
            final long oldSnapshot = journal.lastIndexOf(EntryKinds.SNAPSHOT);
            try (Journal.Reader reader = journal.reader(oldSnapshot)) {
                assertEquals(E908fe1Fixture.SCHEMA_VERSION, reader.next().schemaVersion());
            }

            final Supervisor supervisor = start(journal);
            assertEquals(E908fe1Fixture.EPOCH, supervisor.epoch());
            assertEquals(E908fe1Fixture.rules(), byId(supervisor.rules()));

            // Recovery read a snapshot and a commit after it: the start wrote a snapshot, in this version's encoding.
            final long snapshot = journal.lastIndexOf(EntryKinds.SNAPSHOT);
            assertTrue(snapshot >= written, "a snapshot after the old entries: " + snapshot);
            try (Journal.Reader reader = journal.reader(snapshot)) {
                final Journal.IndexedEntry entry = reader.next();
                assertEquals(JournalSchema.VERSION, entry.schemaVersion());
                final SnapshotEntry table = SnapshotEntry.decode(entry.schemaVersion(), entry.entry().payload());
                assertEquals(E908fe1Fixture.EPOCH, table.epoch());
                assertEquals(E908fe1Fixture.rules(), byId(table.rules()));
                assertEquals(E908fe1Fixture.LIMITS, table.limits());
            }
        }
        try (ChronicleJournal journal = ChronicleJournal.open(dir, clock, ChronicleJournal.Config.daily())) {
            assertTrue(journal.problems().clean(), journal.problems().toString());
            final Supervisor again = start(journal);
            assertEquals(E908fe1Fixture.EPOCH, again.epoch());
            assertEquals(E908fe1Fixture.rules(), byId(again.rules()));
        }
    }

    @Test
    void journalDumpShowsTheOldEntriesDecodedAndTheirVersion() {
        final Path dir = E908fe1Fixture.install(temp.resolve("journal"));
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(new String[] {"journal", "dump", dir.toString()}, new PrintWriter(out, true),
            new PrintWriter(err, true));
        assertEquals(0, code, err::toString);
        final String dump = out.toString();
        assertTrue(dump.contains("snapshot supervisor epoch 5, 3 rules max_rules 65536 max_outputs_per_rule 256 "
            + "[schema 1]"), dump);
        assertTrue(dump.contains("limits supervisor max_rules 1000 max_outputs_per_rule 16 [schema 1]"), dump);
        assertTrue(dump.contains("commit supervisor epoch 6 +late-5 jfx-in 239.1.1.5:5008 -> 239.10.0.5:5008:jfx-out "
            + "239.10.0.6:5010:lo [schema 1]"), dump);
        assertTrue(!dump.contains("do not decode"), dump);
    }

    // ---- seams that do nothing -------------------------------------------------------------------------------

    private static final class QuietTimers implements Timers {
        private long nextId;
        private int pending;

        @Override
        public long schedule(final long deadlineNs) {
            pending++;
            return ++nextId;
        }

        @Override
        public boolean cancel(final long timerId) {
            pending--;
            return true;
        }

        @Override
        public int poll(final long nowNs, final Handler handler, final int limit) {
            return 0;
        }

        @Override
        public int pending() {
            return pending;
        }

        @Override
        public long resolutionNs() {
            return 0;
        }
    }

    private static final class QuietLauncher implements WorkerLauncher {
        private long launches;

        @Override
        public WorkerHandle launch(final int workerIndex) {
            launches++;
            return new WorkerHandle(workerIndex, launches, 1000 + launches);
        }

        @Override
        public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return 0;
        }
    }

    private static final class QuietControl implements ControlServer {
        @Override
        public int poll(final Listener listener, final int limit) {
            return 0;
        }

        @Override
        public boolean send(final long connectionId, final byte[] payload) {
            return true;
        }

        @Override
        public void disconnect(final long connectionId) {
        }

        @Override
        public void close() {
        }
    }

    private static final class QuietLinks implements LinkMonitor {
        @Override
        public List<LinkState> links() {
            return List.of();
        }

        @Override
        public int poll(final Listener listener, final int limit) {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    private static final class QuietLogLevels implements LogLevels {
        @Override
        public SortedMap<String, String> levels() {
            return new TreeMap<>();
        }

        @Override
        public String set(final String facility, final String level) {
            return null;
        }
    }

    private static final class QuietSockets implements InputSockets {
        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
        }

        @Override
        public void reopen(final String interfaceName) {
        }
    }

    /** Old journals name no multicast input that exists here: nothing is ever joined. */
    private static final class QuietMemberships implements GroupMemberships {
        @Override
        public Limits limits() {
            return new Limits(20, 10);
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            return "ENODEV (no such device)";
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
        }

        @Override
        public void forget(final String interfaceName) {
        }
    }
}
