package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.rules.Rule;
import io.mcrelay.runtime.SystemClock;

/**
 * Crash recovery on real Chronicle files: rules added and removed, the supervisor (and its journal instance)
 * abandoned without a clean shutdown, a new supervisor built on the same journal directory: same rules, same ids,
 * same epoch, and it goes on from there.
 */
class ChronicleRecoveryTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    private static Cluster cluster(final ChronicleJournal journal) {
        final Cluster cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2)).withJournal(journal));
        for (final String link : List.of("in0", "out0")) {
            cluster.network().createLinkUp(link);
        }
        cluster.start();
        assertTrue(cluster.runUntil(cluster::converged, 5 * SECOND));
        return cluster;
    }

    private static RuleDocument rule(final String id, final String group) {
        return new RuleDocument(id, null, "in0", group, 5000, null,
            List.of(new RuleDocument.OutputDocument("239.10.0.1", 6000, "out0", null)), null);
    }

    @Test
    void aNewSupervisorOnTheSameDirectoryHasTheSameRulesIdsAndEpoch() {
        final ChronicleJournal first = ChronicleJournal.open(dir, SystemClock.INSTANCE,
            ChronicleJournal.Config.daily());
        final Cluster before = cluster(first);
        final TestClient client = before.client();
        client.add(rule(null, "239.1.1.1"));
        client.add(rule("cam-2", "239.1.1.2"));
        client.add(rule("cam-3", "239.1.1.3"));
        client.remove("cam-2");
        final List<Rule> rules = before.supervisor().rules();
        final long epoch = before.supervisor().epoch();
        // No clean shutdown: the first journal instance is simply abandoned, as a killed process would leave it.

        try (ChronicleJournal second = ChronicleJournal.open(dir, SystemClock.INSTANCE,
            ChronicleJournal.Config.daily())) {
            assertTrue(second.problems().clean(), second.problems()::toString);
            final Cluster after = cluster(second);
            assertEquals(rules, after.supervisor().rules());
            assertEquals(epoch, after.supervisor().epoch());
            final long snapshot = second.lastIndexOf(EntryKinds.SNAPSHOT);
            assertTrue(snapshot >= 0, () -> "a recovered supervisor writes a snapshot, so the next recovery starts there; "
                + second.problems() + "; next index " + second.nextIndex());
            assertEquals(List.of("cam-3", "r1"), after.supervisor().rules().stream().map(r -> r.id().value()).toList());
            assertEquals(new ControlResponse.RuleAdded(1, "r5", 5), after.client().add(rule(null, "239.1.1.4")));
        } finally {
            first.close();
        }
    }
}
