package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.CliRun;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.GapEntry;
import io.mcrelay.entries.JournalSchema;
import io.mcrelay.record.GuardedJournal;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;
import io.mcrelay.sim.seams.InMemoryJournal;

/**
 * The journal's disk fills up under a running supervisor (the real one, with the real CLI over the real control
 * socket, in a simulated cluster whose journal refuses entries while "full"): rule changes are refused with a clear
 * error and change nothing, {@code ping} and {@code stats --json} say why, the workers keep their table; once space
 * comes back the journal holds a gap entry and then a snapshot, changes are taken again, and a supervisor started on
 * that journal recovers exactly the table that was acked.
 */
class JournalFullSupervisorTest {
    private static final long SECOND = 1_000_000_000L;
    private static final ObjectMapper JSON = ControlCodec.newMapper();

    /** Counts the entries refused to the supervisor (the recorder's and the core's): what a gap says were lost. */
    private static final class CountingRefusals extends ForwardingJournal {
        int refused;

        CountingRefusals(final Journal inner) {
            super(inner);
        }

        @Override
        public long append(final Entry entry) {
            try {
                return super.append(entry);
            } catch (final UnwritableException e) {
                refused++;
                throw e;
            }
        }
    }

    @TempDir
    Path dir;

    private Path socket;
    private UnixControlServer server;
    private Cluster cluster;
    private final InMemoryJournal memory = new InMemoryJournal();
    private final FillableJournal disk = new FillableJournal(memory);
    private final List<String> said = new ArrayList<>();
    private CountingRefusals journal;

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("control.sock");
        server = UnixControlServer.open(socket, SystemClock.INSTANCE);
        journal = new CountingRefusals(new GuardedJournal(disk, new GuardedJournal.Listener() {
            @Override
            public void unwritable(final Journal.Health health, final long atNs) {
                said.add("unwritable " + health.state());
            }

            @Override
            public void resumed(final GapEntry gap) {
                said.add("resumed after " + gap.lostEntries());
            }
        }));
        cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2)).withJournal(journal).recordingIo()
            .withFactories((config, seams) -> new Supervisor(config, new Supervisor.Seams(seams.timers(),
                seams.launcher(), server, seams.links(), seams.logLevels(), seams.inputSockets(), seams.memberships(),
                seams.journal(), seams.clock())), WorkerAgent::new));
        cluster.network().createLinkUp("in0");
        cluster.network().createLinkUp("out0");
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND), "workers did not start and sync");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Runs {@code mcrelay ARGS --socket SOCKET} on another thread while this one steps the cluster. */
    private CliRun cli(final String... args) throws Exception {
        return ClusterCli.run(cluster, socket, args);
    }

    private CliRun add(final String id, final String group) throws Exception {
        return cli("add", "--input-interface", "in0", "--input-group", group, "--input-port", "5000", "--output",
            "239.10.0.1:6000:out0", "--id", id);
    }

    private List<String> ids() throws Exception {
        final List<String> ids = new ArrayList<>();
        for (final JsonNode rule : JSON.readTree(cli("list", "--json").out())) {
            ids.add(rule.get("id").asText());
        }
        return ids;
    }

    private List<Integer> kindsAfter(final long index) {
        final List<Integer> kinds = new ArrayList<>();
        try (Journal.Reader reader = memory.reader(index)) {
            Journal.IndexedEntry entry;
            while ((entry = reader.next()) != null) {
                final int kind = entry.entry().kind();
                if (kind == EntryKinds.GAP || kind == EntryKinds.SNAPSHOT || kind == EntryKinds.COMMIT) {
                    kinds.add(kind);
                }
            }
        }
        return kinds;
    }

    @Test
    void aFullJournalRefusesChangesUntilSpaceComesBackThenMarksTheGapAndSnapshots() throws Exception {
        assertEquals(0, add("cam-1", "239.1.1.1").exitCode());
        final long epoch = cluster.supervisor().epoch();

        disk.full = true;
        final CliRun refused = add("cam-2", "239.1.1.2");
        assertEquals(1, refused.exitCode(), refused::toString);
        assertTrue(refused.err().contains("the journal cannot be written (full: no space for the journal (test)"),
            refused::toString);
        assertTrue(refused.err().contains("rule changes are refused until it can, and nothing was changed"),
            refused::toString);
        final CliRun removeRefused = cli("remove", "cam-1");
        assertEquals(1, removeRefused.exitCode(), removeRefused::toString);
        assertEquals(List.of("cam-1"), ids(), "nothing was changed");
        assertEquals(epoch, cluster.supervisor().epoch());
        assertTrue(cluster.runUntil(cluster::converged, 2 * SECOND), "the workers keep the table they have");

        final CliRun ping = cli("ping");
        assertEquals(0, ping.exitCode(), ping::toString);
        assertTrue(ping.out().contains("journal full: no space for the journal (test)"), ping::toString);
        final JsonNode state = JSON.readTree(cli("stats", "--json").out()).get("journal");
        assertEquals("full", state.get("state").asText());
        assertEquals(List.of("unwritable FULL"), said);

        // Space comes back: within a retry (1 s) and a health check, a gap entry, then a snapshot.
        final long before = memory.nextIndex();
        disk.full = false;
        cluster.runFor(2 * SECOND);
        assertEquals(List.of("unwritable FULL", "resumed after " + journal.refused), said);
        assertTrue(disk.refused < journal.refused, () -> "the full disk was tried about once a second ("
            + disk.refused + " times), not for each of the " + journal.refused + " entries");
        final List<Integer> kinds = kindsAfter(before);
        assertTrue(kinds.size() >= 2 && kinds.get(0) == EntryKinds.GAP && kinds.get(1) == EntryKinds.SNAPSHOT,
            () -> "a gap, then a snapshot: " + kinds);
        final long gapIndex = memory.lastIndexOf(EntryKinds.GAP);
        try (Journal.Reader reader = memory.reader(gapIndex)) {
            final GapEntry gap = GapEntry.decode(JournalSchema.VERSION, reader.next().entry().payload());
            assertEquals(journal.refused, gap.lostEntries(), gap::describe);
        }
        assertEquals("ok", JSON.readTree(cli("stats", "--json").out()).get("journal").get("state").asText());
        assertEquals("", cli("ping").out().lines().filter(l -> l.startsWith("journal")).findFirst().orElse(""));

        assertEquals(0, add("cam-2", "239.1.1.2").exitCode());
        assertEquals(List.of("cam-1", "cam-2"), ids());

        // A supervisor started on this journal recovers exactly what was acked.
        final long acked = cluster.supervisor().epoch();
        cluster.crashSupervisor();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND), "the new supervisor's workers sync");
        assertEquals(acked, cluster.supervisor().epoch());
        assertEquals(List.of("cam-1", "cam-2"), cluster.supervisor().rules().stream().map(r -> r.id().value())
            .toList());
    }
}
