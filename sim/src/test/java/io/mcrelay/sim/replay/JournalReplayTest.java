package io.mcrelay.sim.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.record.GuardedJournal;
import io.mcrelay.record.IoKinds;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;
import io.mcrelay.sim.Cluster;
import io.mcrelay.sim.FillableJournal;
import io.mcrelay.sim.Simulator;
import io.mcrelay.sim.seams.InMemoryJournal;
import io.mcrelay.testing.Generators;

/**
 * Replay: a journal written by a simulated run with faults (worker crashes, supervisor crashes, lossy channels...)
 * drives a fresh supervisor core to the very same outputs, for every seed tried; and a journal with one input changed
 * is reported as diverging at the first output that input changed; a journal holding an entry of another schema
 * version is not replayed at all, and the refusal names both versions.
 */
class JournalReplayTest {
    private static final long SECOND = 1_000_000_000L;
    private static InMemoryJournal recordedRun(final long seed) {
        final InMemoryJournal journal = new InMemoryJournal();
        final Simulator.Result result = Simulator.run(Simulator.Config.defaults(seed).withJournal(journal),
            line -> { });
        assertTrue(result.passed(), () -> "seed " + seed + " " + result.failures());
        return journal;
    }

    @Test
    void aSimulatedRunWithFaultsReplaysToIdenticalOutputs() {
        for (long seed = 1; seed <= 10; seed++) {
            final InMemoryJournal journal = recordedRun(seed);
            final JournalReplay.Result replay = JournalReplay.replay(journal);
            final long current = seed;
            assertTrue(replay.identical(), () -> "seed " + current + ": " + replay.divergence());
            assertTrue(replay.cycles() > 100 && replay.lives() >= 1, replay::toString);
        }
    }

    /**
     * The same for simulation seeds drawn by QuickTheories (from {@code QT_SEED}: fixed in verify, fresh with
     * -Pnightly). A simulation seed has no structure that a smaller value would simplify, so there is no shrinking.
     */
    @Test
    void replayingAnySeedsJournalGivesTheIdenticalOutputs() {
        qt().withExamples(10)
            .withShrinkCycles(0)
            .forAll(Generators.longs())
            .checkAssert(seed -> {
                final JournalReplay.Result replay = JournalReplay.replay(recordedRun(seed));
                assertTrue(replay.identical(), () -> "seed " + seed + ": " + replay.divergence());
            });
    }

    @Test
    void theJournalSaysWhichRunItIs() {
        final InMemoryJournal journal = recordedRun(5);
        try (Journal.Reader reader = journal.reader(0)) {
            final Journal.IndexedEntry first = reader.next();
            assertEquals(IoKinds.SEED, first.entry().kind());
            assertEquals(5, io.mcrelay.protocol.WireReader.of(first.entry().payload()).i64("seed"));
        }
    }

    @Test
    void aChangedInputIsReportedWhereItChangesAnOutput() {
        final InMemoryJournal journal = recordedRun(3);
        final List<Journal.IndexedEntry> entries = new ArrayList<>();
        try (Journal.Reader reader = journal.reader(0)) {
            Journal.IndexedEntry entry;
            while ((entry = reader.next()) != null) {
                entries.add(entry);
            }
        }
        // Change the first client request that is a "remove": it now names a rule that does not exist.
        int changed = -1;
        for (int i = 0; i < entries.size() && changed < 0; i++) {
            final Journal.Entry entry = entries.get(i).entry();
            if (entry.kind() == IoKinds.CLIENT_FRAME
                && new String(entry.payload(), StandardCharsets.UTF_8).contains("\"type\":\"remove\"")) {
                changed = i;
            }
        }
        assertTrue(changed >= 0, "the run removed rules");
        int answer = -1;
        for (int i = changed + 1; i < entries.size() && answer < 0; i++) {
            if (entries.get(i).entry().kind() == IoKinds.CLIENT_SEND
                && entries.get(i).entry().source().equals(entries.get(changed).entry().source())) {
                answer = i;
            }
        }
        final InMemoryJournal altered = new InMemoryJournal();
        for (int i = 0; i < entries.size(); i++) {
            Journal.Entry entry = entries.get(i).entry();
            if (i == changed) {
                final String text = new String(entry.payload(), StandardCharsets.UTF_8)
                    .replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"no-such-rule\"");
                entry = new Journal.Entry(entry.timeNs(), entry.wallMillis(), entry.kind(), entry.source(),
                    text.getBytes(StandardCharsets.UTF_8));
            }
            altered.append(entry);
        }
        final JournalReplay.Result replay = JournalReplay.replay(altered);
        assertNotNull(replay.divergence(), "a changed input must show");
        final int changedAt = changed;
        final int answeredAt = answer;
        // The removal is refused instead of committed: the first output that differs is the journaled commit or
        // the Apply sent to a worker, both before the client's answer, and never before the changed input.
        assertTrue(replay.divergence().index() > changedAt && replay.divergence().index() <= answeredAt,
            () -> "changed entry " + changedAt + "; divergence " + replay.divergence() + "; answer at " + answeredAt);
        assertEquals(entries.get(changed + 1).index(), replay.divergence().index(),
            "the very next output after the changed request differs: " + replay.divergence());
    }

    private static RuleDocument rule(final String id, final String group) {
        return new RuleDocument(id, null, "in0", group, 5000, null,
            List.of(new RuleDocument.OutputDocument("239.2.0.1", 6000, "out0", null)), null);
    }

    /**
     * A journal whose disk filled up for a while: the life with the gap is compared up to it and the gap reported;
     * the next life (a supervisor started on that journal) is compared whole. Without its gap entry, the same journal
     * diverges where the entries are missing.
     */
    @Test
    void aGapEndsTheComparisonOfItsLifeAndIsReported() {
        final InMemoryJournal memory = new InMemoryJournal();
        final FillableJournal disk = new FillableJournal(memory);
        final Cluster cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2))
            .withJournal(new GuardedJournal(disk, GuardedJournal.Listener.NONE)).recordingIo());
        cluster.network().createLinkUp("in0");
        cluster.network().createLinkUp("out0");
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND));
        assertInstanceOf(ControlResponse.RuleAdded.class, cluster.client().add(rule("a", "239.1.1.1")));
        disk.full = true;
        final ControlResponse refused = cluster.client().add(rule("b", "239.1.1.2"));
        assertTrue(refused instanceof ControlResponse.Refused r && r.code().equals("unavailable"), refused::toString);
        cluster.runFor(SECOND);
        disk.full = false;
        cluster.runFor(2 * SECOND);
        assertInstanceOf(ControlResponse.RuleAdded.class, cluster.client().add(rule("c", "239.1.1.3")));
        cluster.crashSupervisor();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND));
        assertInstanceOf(ControlResponse.RuleAdded.class, cluster.client().add(rule("d", "239.1.1.4")));
        cluster.runFor(SECOND);

        final JournalReplay.Result replay = JournalReplay.replay(memory);
        if (!replay.identical()) {
            try (Journal.Reader reader = memory.reader(0)) {
                Journal.IndexedEntry entry;
                while ((entry = reader.next()) != null) {
                    System.out.println("journal: " + io.mcrelay.record.JournalFormat.line(entry));
                }
            }
        }
        assertTrue(replay.identical(), replay::toString);
        assertEquals(2, replay.lives(), replay::toString);
        assertEquals(1, replay.gaps().size(), replay::toString);
        assertTrue(replay.gaps().getFirst().contains(disk.refused > 0 ? "entries lost between" : "?"),
            replay::toString);

        final InMemoryJournal unmarked = new InMemoryJournal();
        try (Journal.Reader reader = memory.reader(0)) {
            Journal.IndexedEntry entry;
            while ((entry = reader.next()) != null) {
                if (entry.entry().kind() != EntryKinds.GAP) {
                    unmarked.append(entry.entry());
                }
            }
        }
        final JournalReplay.Result diverged = JournalReplay.replay(unmarked);
        assertNotNull(diverged.divergence(), () -> "entries missing without a gap entry must show: " + diverged);
    }

    @Test
    void aJournalWithAnEntryOfAnotherSchemaVersionIsRefusedNamingBothVersions() {
        final InMemoryJournal recorded = recordedRun(2);
        final long older = recorded.firstIndex() + 40;
        final Journal mixed = new OneEntryOfVersion(recorded, older, 1);
        final JournalReplay.Result replay = JournalReplay.replay(mixed);
        assertTrue(!replay.identical() && replay.divergence() == null, replay::toString);
        assertTrue(replay.refusal().contains("entry " + older + " was written in journal schema version 1")
            && replay.refusal().contains("replays schema version " + JournalSchema.VERSION + " only"),
            replay.refusal());
        assertEquals(0, replay.lives(), "nothing replayed");
    }

    /** A journal whose entry {@code index} claims schema {@code version}; the others are as written. */
    private static final class OneEntryOfVersion extends ForwardingJournal {
        private final long index;
        private final int version;

        OneEntryOfVersion(final Journal inner, final long index, final int version) {
            super(inner);
            this.index = index;
            this.version = version;
        }

        @Override
        public Reader reader(final long fromIndex) {
            final Reader reader = inner.reader(fromIndex);
            return new Reader() {
                @Override
                public IndexedEntry next() {
                    final IndexedEntry next = reader.next();
                    return next == null || next.index() != index ? next
                        : new IndexedEntry(next.index(), next.entry(), version);
                }

                @Override
                public void close() {
                    reader.close();
                }
            };
        }
    }
}
