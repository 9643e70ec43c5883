package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.journal.JournalCheck;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.seam.Journal;

/**
 * The journal's disk fills up, on the real kernel: a tmpfs of a few MiB of its own under the journal.
 * <ul>
 * <li>The journal refuses the entry that would not fit before writing any of it: Chronicle writes through a mapping
 *   of a sparse file, where a page the disk cannot back used to fault half-way through a document and leave an entry
 *   that ended what could be read back. After the refusals, and after space came back, every entry taken reads back
 *   and the journal checks clean.</li>
 * <li>The daemon under traffic: forwarding goes on, rule changes are refused with a clear error and change nothing,
 *   {@code ping} and {@code stats} say why; once space comes back the journal takes entries again, a change is taken,
 *   the journal holds a gap entry followed by a snapshot, and its replay reports the gap and is otherwise identical.</li>
 * </ul>
 */
class JournalFullNetnsIT {
    private static final String PREFIX = "mcjf";
    static final long DISK_BYTES = 8L << 20;
    private static final int PACKETS = 20_000;
    private static final int RATE = 10_000;
    private static final int SIZE = 1200;

    /** Fills the file system of {@code dir} with {@code file} until at most {@code leaveBytes} are free. */
    static void fill(final Path dir, final Path file, final long leaveBytes) throws IOException {
        final byte[] chunk = new byte[64 << 10];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (Files.getFileStore(dir).getUsableSpace() > leaveBytes + chunk.length) {
                out.write(chunk);
                out.flush();
            }
        }
    }

    private static void mount(final Path dir) throws Exception {
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + DISK_BYTES + ",mode=0700", "mcrelay-test-journal",
            dir.toString()));
    }

    private static void run(final List<String> command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), () -> command + " did not end");
        assertEquals(0, process.exitValue(), () -> command + ": " + output);
    }

    @Test
    void aFullDiskRefusesTheEntryBeforeWritingItAndEveryEntryTakenReadsBack() throws Exception {
        Netns.requireRoot();
        final Path dir = Files.createTempDirectory(Path.of("/tmp"), "mcrelay-journal-full-");
        mount(dir);
        try {
            final Path ballast = dir.resolve("ballast");
            final Path journalDir = dir.resolve("journal");
            long taken = 0;
            int refusals = 0;
            final byte[] payload = new byte[4000];
            try (ChronicleJournal journal = ChronicleJournal.open(journalDir, SystemClock.INSTANCE,
                ChronicleJournal.Config.daily())) {
                fill(dir, ballast, 3L << 20);
                Journal.UnwritableException refused = null;
                while (refused == null) {
                    try {
                        journal.append(new Journal.Entry(taken, 0, 1000, "test", payload));
                        taken++;
                    } catch (final Journal.UnwritableException e) {
                        refused = e;
                    }
                }
                System.out.println("[journal-full] " + taken + " entries taken, then: " + refused.getMessage());
                assertEquals(Journal.State.FULL, refused.health().state(), refused.getMessage());
                assertTrue(refused.getMessage().startsWith("no space for the journal " + journalDir),
                    refused.getMessage());
                assertEquals(Journal.Health.OK, journal.health(), "full is not broken: it is tried again");
                final long before = taken;
                for (int i = 0; i < 5; i++) { // refused again, each before anything is written
                    assertThrows(Journal.UnwritableException.class,
                        () -> journal.append(new Journal.Entry(before, 0, 1000, "test", payload)));
                    refusals++;
                }
                assertEquals(taken, journal.nextIndex() - journal.firstIndex());

                Files.delete(ballast); // space comes back
                for (int i = 0; i < 100; i++) {
                    journal.append(new Journal.Entry(taken, 0, 1000, "test", payload));
                    taken++;
                }
            }
            try (ChronicleJournal read = ChronicleJournal.openReadOnly(journalDir)) {
                final JournalCheck check = read.problems();
                assertTrue(check.clean(), check::toString);
                long count = 0;
                try (Journal.Reader reader = read.reader(read.firstIndex())) {
                    while (reader.next() != null) {
                        count++;
                    }
                }
                assertEquals(taken, count, "every entry taken reads back, after " + refusals + " refusals");
            }
        } finally {
            run(List.of("umount", "-l", dir.toString()));
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    static ControlResponse.JournalState journalState(final TrafficRelay relay) {
        try {
            final ControlResponse pong = relay.client.exchange(new ControlRequest.Ping(relay.client.nextRequestId()));
            return ((ControlResponse.Pong) pong).journal();
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void assertEveryPacketArrived(final TrafficRelay relay, final String when) throws Exception {
        final TrafficRelay.Run run = relay.send(PACKETS, RATE, SIZE, () -> { });
        System.out.println("[journal-full] " + when + ": " + run.report().describe());
        assertEquals(PACKETS, run.report().sent());
        assertTrue(run.report().clean(), () -> when + ": " + run.report().describe() + "\n"
            + DaemonKit.read(relay.log));
    }

    @Test
    void aDaemonWhoseJournalDiskFillsUpForwardsRefusesChangesSaysWhyAndResumes() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.startOnJournalDisk(PREFIX, "jfull", DISK_BYTES)) {
            final Path ballast = relay.journalDir().resolve("ballast");
            fill(relay.journalDir(), ballast, 256 << 10); // less than an append's headroom: the next one is refused
            final ControlResponse.JournalState full = Waits.until(Waits.Pace.DAEMON, "the journal full",
                () -> journalState(relay), state -> state.state().equals("full"), () -> DaemonKit.read(relay.log));
            assertTrue(full.reason().startsWith("no space for the journal"), full::toString);

            final RuleDocument r2 = new RuleDocument("r2", null, "in0", "239.7.7.9", TrafficRelay.PORT_IN, null,
                List.of(new RuleDocument.OutputDocument(TrafficRelay.GROUP_OUT, TrafficRelay.PORT_OUT + 5, "out0",
                    null)), null);
            final ControlResponse refused = relay.add(r2);
            assertTrue(refused instanceof ControlResponse.Refused r && r.code().equals("unavailable")
                && r.message().startsWith("the journal cannot be written (full: no space for the journal")
                && r.message().contains("nothing was changed"), refused::toString);
            final ControlResponse removeRefused = relay.remove("r1");
            assertInstanceOf(ControlResponse.Refused.class, removeRefused, removeRefused::toString);
            final ControlResponse.Rules rules = (ControlResponse.Rules) relay.client.exchange(
                new ControlRequest.ListRules(relay.client.nextRequestId()));
            assertEquals(List.of("r1"), rules.rules().stream().map(RuleDocument::id).toList(), "nothing changed");
            assertEquals("full", relay.settledStats().journal().state());
            assertEveryPacketArrived(relay, "journal full");
            assertTrue(DaemonKit.read(relay.log).contains("rule changes are refused until it can be written"),
                () -> DaemonKit.read(relay.log));

            Files.delete(ballast); // space comes back: tried again within a second
            Waits.until(Waits.Pace.DAEMON, "the journal ok again", () -> journalState(relay),
                state -> state.state().equals("ok"), () -> DaemonKit.read(relay.log));
            assertInstanceOf(ControlResponse.RuleAdded.class, relay.add(r2));
            assertEveryPacketArrived(relay, "journal ok again");
            assertTrue(DaemonKit.read(relay.log).contains("takes entries again: a gap entry marks"),
                () -> DaemonKit.read(relay.log));

            final String replay = relay.stopAndReplayJournal();
            assertTrue(replay.contains("gap at entry") && replay.contains("entries lost between"), replay);
            final String dump = TrafficRelay.mcrelay("journal", "dump", relay.journalDir().toString());
            final List<String> marks = dump.lines().filter(l -> l.contains(" gap journal ")
                || l.contains(" snapshot supervisor ")).toList();
            final int gap = indexOfFirst(marks, " gap journal ");
            assertTrue(gap >= 0 && gap + 1 < marks.size() && marks.get(gap + 1).contains(" snapshot supervisor "),
                () -> "a gap entry, then a snapshot:\n" + String.join("\n", marks));
        }
    }

    private static int indexOfFirst(final List<String> lines, final String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}
