package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.entries.SnapshotEntry;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.journal.JournalBytes;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.support.ForwardingJournal;

/**
 * The journal of an idle daemon grows by at most {@value #BUDGET_BYTES_PER_HOUR} bytes (10 MB) per hour at 65,536
 * rules with 2 workers (issue 13's budget): a size budget, not a timing one. The real supervisor, recording every
 * input and output as the daemon does, into a real Chronicle journal in a temporary directory, recovers 65,536 rules
 * from a snapshot; its 2 workers take the table in (in chunks) and become ready. Then one simulated hour passes with
 * no traffic and no request: heartbeats, health checks and the hourly snapshot of the table are all that is written.
 * The bytes the journal's files hold (Chronicle's headers and indices included) are measured before and after, and
 * what was written is printed by entry kind.
 */
class IdleJournalGrowthTest {
    static final long BUDGET_BYTES_PER_HOUR = 10_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final long HOUR = 3_600 * SECOND;

    /** Counts what goes into the journal, by kind: entries and their payload and source bytes. */
    private static final class Counting extends ForwardingJournal {
        final TreeMap<Integer, long[]> byKind = new TreeMap<>();

        Counting(final Journal inner) {
            super(inner);
        }

        @Override
        public long append(final Entry entry) {
            final long[] counts = byKind.computeIfAbsent(entry.kind(), kind -> new long[2]);
            counts[0]++;
            counts[1] += entry.payload().length + entry.source().getBytes(StandardCharsets.UTF_8).length;
            return super.append(entry);
        }
    }

    /** {@code count} rules on in0, each its own group, one output each; ids as long as a person's ({@code cam-00042}). */
    private static List<Rule> rules(final int count) {
        final List<Rule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rules.add(new Rule(new RuleId(String.format("cam-%05d", i)), null,
                new RuleInput("in0", IpAddress.ipv4(0xEF0A0000 | i), 5000, null),
                List.of(new RuleOutput(IpAddress.ipv4(0xEF140000 | i), 6000, "out0", RuleOutput.TTL_UNSET))));
        }
        return rules;
    }

    @Test
    void anIdleDaemonWith65536RulesAndTwoWorkersJournalsAtMostTenMegabytesAnHour(@TempDir final Path dir) {
        try (ChronicleJournal chronicle = ChronicleJournal.open(dir, SystemClock.INSTANCE,
            ChronicleJournal.Config.daily())) {
            final List<Rule> rules = rules(Limits.RULES_MAX_DEFAULT);
            chronicle.append(new Journal.Entry(0, 0, EntryKinds.SNAPSHOT, "supervisor",
                new SnapshotEntry(1, rules, Limits.DEFAULT).encode()));
            final Counting journal = new Counting(chronicle);
            final Cluster cluster = new Cluster(Cluster.Config.of(Supervisor.Config.defaults(2)).withJournal(journal)
                .recordingIo());
            cluster.network().createLinkUp("in0");
            cluster.network().createLinkUp("out0");
            cluster.start();
            assertTrue(cluster.runUntil(cluster::converged, 60 * SECOND), "both workers take the table in");
            assertEquals(rules.size(), cluster.supervisor().rules().size());
            cluster.runFor(10 * SECOND); // settled: the heartbeats after the install (every rule new) are behind

            final long before = JournalBytes.written(dir);
            final Map<Integer, long[]> countsBefore = copy(journal.byKind);
            final long restartsBefore = restarts(cluster);
            final long untilNs = cluster.clock().nanoTime() + HOUR;
            while (cluster.clock().nanoTime() < untilNs) {
                if (cluster.step() == 0 && cluster.quiet()) {
                    cluster.skipTo(Math.min(untilNs, cluster.nextDeadlineNs()));
                }
            }
            final long grown = JournalBytes.written(dir) - before;

            System.out.println("[journal] an idle hour at " + rules.size() + " rules, 2 workers: " + grown
                + " bytes written (budget " + BUDGET_BYTES_PER_HOUR + ")");
            journal.byKind.forEach((kind, counts) -> {
                final long[] was = countsBefore.getOrDefault(kind, new long[2]);
                if (counts[0] > was[0]) {
                    System.out.printf("[journal]   kind %3d: %,8d entries, %,11d payload and source bytes%n", kind,
                        counts[0] - was[0], counts[1] - was[1]);
                }
            });
            assertEquals(restartsBefore, restarts(cluster), "idle: no worker restarted");
            assertTrue(cluster.converged(), "still converged");
            assertTrue(grown > 0, "the hour was journaled");
            assertTrue(grown <= BUDGET_BYTES_PER_HOUR, "the journal grew by " + grown + " bytes in an idle hour, more "
                + "than " + BUDGET_BYTES_PER_HOUR);
        }
    }

    private static Map<Integer, long[]> copy(final Map<Integer, long[]> counts) {
        final TreeMap<Integer, long[]> copy = new TreeMap<>();
        counts.forEach((kind, values) -> copy.put(kind, values.clone()));
        return copy;
    }

    private static long restarts(final Cluster cluster) {
        return cluster.supervisor().workers().stream().mapToLong(worker -> worker.restarts()).sum();
    }
}
