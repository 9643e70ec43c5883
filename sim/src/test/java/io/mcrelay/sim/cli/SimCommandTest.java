package io.mcrelay.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.cli.Main;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.sim.Simulator;
import picocli.CommandLine;

/**
 * {@code mcrelay sim} as a user runs it: found by the CLI through ServiceLoader, one seed reproducible by its digest,
 * many seeds summarised, usage errors exit 2. Runs are 40 or 60 s of simulated time, to stay fast.
 */
class SimCommandTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Through the CLI's entry point, as the shipped jar runs it. */
    private static Run mcrelay(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** Through a command whose terminal detection (and config) the test chooses. */
    private static Run sim(final boolean onTerminal, final UnaryOperator<Simulator.Config> adjust,
                           final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = new CommandLine(new SimCommand(() -> onTerminal, adjust));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static String digestLine(final Run run) {
        return run.lines().getLast();
    }

    private static Simulator.Result runDirectly(final long seed, final long durationNs) {
        return Simulator.run(Simulator.Config.defaults(seed).withDuration(durationNs - 30 * SECOND, 30 * SECOND),
            line -> { });
    }

    @Test
    void oneSeedPrintsSeedFirstAndDigestLastAndTheSameDigestEveryTime() {
        final Run first = mcrelay("sim", "--seed", "5", "--duration", "40s");
        assertEquals(0, first.exitCode(), first::toString);
        final List<String> lines = first.lines();
        assertEquals("SEED=5", lines.getFirst());
        assertTrue(lines.get(1).startsWith("COMMIT="), lines::toString);
        assertTrue(lines.get(2).startsWith("FAULTS="), lines::toString);
        assertTrue(digestLine(first).matches("DIGEST=[0-9a-f]{16}"), lines::toString);
        assertEquals("", first.err());

        final Run second = mcrelay("sim", "--seed", "5", "--duration", "40s");
        assertEquals(digestLine(first), digestLine(second));
        assertEquals("DIGEST=" + runDirectly(5, 40 * SECOND).digest(), digestLine(first));
    }

    @Test
    void theDefaultDurationIsTheSimulatorsDefaultWorkload() {
        final Run run = mcrelay("sim", "--seed", "7");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("DIGEST=" + Simulator.run(Simulator.Config.defaults(7), line -> { }).digest(), digestLine(run));
    }

    @Test
    void aNegativeSeedIsASeed() {
        final Run run = mcrelay("sim", "--seed", "-3", "--duration", "40s");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("SEED=-3", run.lines().getFirst());
        assertEquals("DIGEST=" + runDirectly(-3, 40 * SECOND).digest(), digestLine(run));
    }

    @Test
    void manySeedsPrintASummaryWithARowPerFaultKind() {
        final Run run = mcrelay("sim", "--seeds", "3", "--duration", "60s");
        assertEquals(0, run.exitCode(), run::toString);
        final String out = run.out();
        assertTrue(out.contains("\nseeds run         3\nfailed            0\npassed            3\n"), out);
        assertTrue(Pattern.compile("(?m)^simulated time    1[89]\\d\\.\\d s$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^wall time         \\d+\\.\\d\\d s$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^time compression  \\d+\\.\\dx$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^fault kind {17}seeds enabled  fired$").matcher(out).find(), out);

        // The table's counts are those of the same seeds run directly.
        final Map<FaultKind, Long> enabled = new EnumMap<>(FaultKind.class);
        final Map<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);
        for (long seed = 1; seed <= 3; seed++) {
            final Simulator.Result result = runDirectly(seed, 60 * SECOND);
            final Matcher kinds = Pattern.compile("([A-Z_]+)=").matcher(result.faultMix());
            while (kinds.find()) {
                enabled.merge(FaultKind.valueOf(kinds.group(1)), 1L, Long::sum);
            }
            result.fired().forEach((kind, count) -> fired.merge(kind, count, Long::sum));
        }
        assertTrue(enabled.getOrDefault(FaultKind.forSeed(2), 0L) >= 1, "seed 2 always enables its own kind");
        for (final FaultKind kind : FaultKind.values()) {
            final String row = String.format("%-25s  %13d  %5d", kind, enabled.getOrDefault(kind, 0L),
                fired.getOrDefault(kind, 0L));
            assertTrue(out.contains("\n" + row + "\n"), () -> "no row '" + row + "' in\n" + out);
        }
        assertEquals(FaultKind.values().length, out.lines().filter(l -> l.matches("[A-Z_]+ +\\d+ +\\d+")).count(),
            out);
    }

    @Test
    void plainModePrintsOneLinePerSeedWithTheDigestOfThatSeed() {
        final Run run = sim(false, UnaryOperator.identity(), "--seeds", "2", "--first-seed", "10", "--duration", "60s");
        assertEquals(0, run.exitCode(), run::toString);
        final List<String> lines = run.lines();
        for (int i = 0; i < 2; i++) {
            final long seed = 10 + i;
            final String digest = runDirectly(seed, 60 * SECOND).digest();
            assertTrue(lines.get(i).matches("seed " + seed + " ok digest=" + digest + " 6\\d\\.\\d s simulated"),
                lines::toString);
        }
        assertEquals("", lines.get(2));
        assertEquals("seeds run         2", lines.get(3));
        assertEquals("", run.err());
    }

    @Test
    void seedsRunSeveralAtATimePrintTheSameLinesInSeedOrder() {
        final Run one = sim(false, UnaryOperator.identity(), "--seeds", "4", "--first-seed", "20", "--duration", "40s",
            "--jobs", "1");
        final Run three = sim(false, UnaryOperator.identity(), "--seeds", "4", "--first-seed", "20", "--duration",
            "40s", "--jobs", "3");
        assertEquals(0, one.exitCode(), one::toString);
        assertEquals(0, three.exitCode(), three::toString);
        assertEquals(one.lines().subList(0, 4), three.lines().subList(0, 4));
        assertTrue(one.lines().get(0).startsWith("seed 20 ok digest="), one::toString);
        assertTrue(one.out().contains("\nseeds at a time   1\n"), one::out);
        assertTrue(three.out().contains("\nseeds at a time   3\n"), three::out);
    }

    @Test
    void jobsOutsideTheirRangeOrWithOneSeedAreUsageErrors() {
        final Run none = mcrelay("sim", "--seeds", "2", "--jobs", "0");
        assertEquals(2, none.exitCode(), none::toString);
        assertTrue(none.err().contains("--jobs must be between 1 and 64, not 0"), none::toString);
        final Run withSeed = mcrelay("sim", "--seed", "1", "--jobs", "2");
        assertEquals(2, withSeed.exitCode(), withSeed::toString);
    }

    @Test
    void onATerminalProgressGoesToStderrAndStdoutHoldsOnlyTheSummary() {
        final Run run = sim(true, UnaryOperator.identity(), "--seeds", "2", "--duration", "60s");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("seeds run         2", run.lines().getFirst());
        assertTrue(Pattern.compile("\rsim: 2/2 seeds, 0 failed, \\d+\\.\\dx").matcher(run.err()).find(), run.err());
        assertFalse(run.err().contains("\n"), run.err());
        assertTrue(run.err().matches("(?s).*\r *\r"), "the progress line is cleared at the end: " + run.err());
    }

    @Test
    void aFailedSeedPrintsItsFailuresAndReproduceCommandAndExits1() {
        // A convergence bound of 1 ns cannot be met: seed 2 fails for real, in the simulator's own checker.
        final UnaryOperator<Simulator.Config> failSeed2 = s -> s.seed() != 2 ? s : new Simulator.Config(s.seed(),
            s.safetyNs(), s.livenessNs(), 1, s.workers(), s.supervisors(), s.workerAgents(), s.journal());
        final Run many = sim(false, failSeed2, "--seeds", "3", "--duration", "60s");
        assertEquals(1, many.exitCode(), many::toString);
        final List<String> lines = many.lines();
        assertTrue(lines.get(0).startsWith("seed 1 ok "), lines::toString);
        assertTrue(lines.get(1).startsWith("seed 2 FAILED digest="), lines::toString);
        assertTrue(lines.get(2).startsWith("FAILED convergence at "), lines::toString);
        final int reproduce = lines.indexOf("REPRODUCE: " + Simulator.reproduceCommand(2));
        assertTrue(reproduce > 2, lines::toString);
        assertTrue(lines.subList(2, reproduce).stream().allMatch(l -> l.startsWith("FAILED ")), lines::toString);
        assertTrue(lines.get(reproduce + 1).startsWith("seed 3 ok "), lines::toString);
        assertTrue(many.out().contains("\nfailed            1\npassed            2\nfailed seeds      2\n"),
            many.out());
        assertEquals("mcrelay: 1 of 3 seeds failed\n", many.err());

        final Run one = sim(false, failSeed2, "--seed", "2", "--duration", "40s");
        assertEquals(1, one.exitCode(), one::toString);
        assertEquals("SEED=2", one.lines().getFirst());
        assertTrue(one.out().contains("\nFAILED convergence at "), one.out());
        assertTrue(digestLine(one).startsWith("DIGEST="), one.out());
        assertEquals("mcrelay: seed 2 failed (see the FAILED lines)\n", one.err());
    }

    @Test
    void anErrorEscapingADutyCycleFailsTheSeedWithItsReproduceCommand() {
        // A broken invariant in a worker 10 s in: its runner rethrows it, and the seed fails, reproducibly.
        final UnaryOperator<Simulator.Config> breakWorkers = s -> s.withFactories(s.supervisors(),
            (config, channel, io, timers) -> new WorkerAgent(config, channel, io, timers) {
                @Override
                public int doWork(final long nowNs) {
                    if (nowNs > 10 * SECOND) {
                        throw new AssertionError("a broken invariant");
                    }
                    return super.doWork(nowNs);
                }
            });
        final Run one = sim(false, breakWorkers, "--seed", "2", "--duration", "40s");
        assertEquals(1, one.exitCode(), one::toString);
        final List<String> lines = one.lines();
        assertEquals("SEED=2", lines.getFirst());
        assertEquals(List.of("FAILED the simulator threw java.lang.AssertionError: a broken invariant",
            "REPRODUCE: " + Simulator.reproduceCommand(2)), lines.subList(lines.size() - 2, lines.size()));
        assertTrue(one.err().contains("at io.mcrelay.seam.support.DutyCycleRunner.step"),
            "the cycle ran through its runner: " + one.err());
        assertTrue(one.err().endsWith("mcrelay: seed 2 failed (see the FAILED lines)\n"), one.err());
    }

    @Test
    void aSeedWhoseRunThrowsFailsAndTheOtherSeedsStillRun() {
        final UnaryOperator<Simulator.Config> throwInSeed2 = s -> s.seed() != 2 ? s : s.withFactories(
            s.supervisors(), (config, channel, io, timers) -> {
                throw new IllegalStateException("no worker today");
            });
        final Run many = sim(false, throwInSeed2, "--seeds", "3", "--duration", "60s");
        assertEquals(1, many.exitCode(), many::toString);
        final List<String> lines = many.lines();
        assertTrue(lines.get(0).startsWith("seed 1 ok "), lines::toString);
        assertEquals(List.of("seed 2 FAILED: the run did not finish",
            "FAILED the simulator threw java.lang.IllegalStateException: no worker today",
            "REPRODUCE: " + Simulator.reproduceCommand(2)), lines.subList(1, 4));
        assertTrue(lines.get(4).startsWith("seed 3 ok "), lines::toString);
        assertTrue(many.out().contains("\nfailed            1\npassed            2\nfailed seeds      2\n"),
            many.out());
        assertTrue(Pattern.compile("(?m)^" + FaultKind.forSeed(2) + " +[1-3] ").matcher(many.out()).find(),
            "the thrown run's fault mix still counts: " + many.out());

        final Run one = sim(false, throwInSeed2, "--seed", "2", "--duration", "60s");
        assertEquals(1, one.exitCode(), one::toString);
        final List<String> oneLines = one.lines();
        assertEquals("SEED=2", oneLines.getFirst());
        assertEquals(List.of("FAILED the simulator threw java.lang.IllegalStateException: no worker today",
            "REPRODUCE: " + Simulator.reproduceCommand(2)), oneLines.subList(oneLines.size() - 2, oneLines.size()));
        assertTrue(one.err().contains("\tat "), "the stack trace is on stderr: " + one.err());
        assertTrue(one.err().endsWith("mcrelay: seed 2 failed (see the FAILED lines)\n"), one.err());
    }

    @Test
    void seedAndSeedsExcludeEachOther() {
        final Run both = mcrelay("sim", "--seed", "1", "--seeds", "2");
        assertEquals(2, both.exitCode(), both::toString);
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        assertEquals("", both.out());

        final Run firstSeed = mcrelay("sim", "--seed", "1", "--first-seed", "4");
        assertEquals(2, firstSeed.exitCode(), firstSeed::toString);
        assertEquals("", firstSeed.out());
    }

    @Test
    void seedCountsOutsideTheRangeAreUsageErrors() {
        for (final String count : List.of("0", "-1", "1000001")) {
            final Run run = mcrelay("sim", "--seeds", count, "--duration", "40s");
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains("--seeds must be between 1 and 1,000,000, not " + count), run.err());
            assertEquals("", run.out());
        }
        final Run past = mcrelay("sim", "--seeds", "2", "--first-seed", Long.toString(Long.MAX_VALUE));
        assertEquals(2, past.exitCode(), past::toString);
        assertTrue(past.err().contains("runs past the largest seed"), past.err());
    }

    @Test
    void aDurationUnderTheMinimumIsAUsageErrorNamingIt() {
        final Run tooShort = mcrelay("sim", "--seed", "1", "--duration", "10s");
        assertEquals(2, tooShort.exitCode(), tooShort::toString);
        assertTrue(tooShort.err().contains("--duration must be at least 35s"), tooShort.err());
        assertTrue(tooShort.err().contains("not 10s"), tooShort.err());
        assertEquals("", tooShort.out());

        final Run justUnder = mcrelay("sim", "--seed", "1", "--duration", "34999ms");
        assertEquals(2, justUnder.exitCode(), justUnder::toString);
        assertTrue(justUnder.err().contains("not 34999ms"), justUnder.err());

        final Run noUnit = mcrelay("sim", "--seed", "1", "--duration", "90");
        assertEquals(2, noUnit.exitCode(), noUnit::toString);
        assertTrue(noUnit.err().contains("Invalid value for option '--duration'"), noUnit.err());
        assertTrue(noUnit.err().contains("e.g. 90s, 2m or 1500ms, not '90'"), noUnit.err());
    }

    @Test
    void durationsTakeMillisecondsSecondsMinutesAndHours() {
        final SimCommand.DurationConverter converter = new SimCommand.DurationConverter();
        assertEquals(1_500_000_000L, converter.convert("1500ms"));
        assertEquals(90 * SECOND, converter.convert("90s"));
        assertEquals(120 * SECOND, converter.convert("2m"));
        assertEquals(3_600 * SECOND, converter.convert("1h"));
        for (final String bad : List.of("", "s", "1.5m", "-40s", "40 s", "40S", "9999999999h")) {
            try {
                converter.convert(bad);
                throw new AssertionError("accepted '" + bad + "'");
            } catch (final CommandLine.TypeConversionException expected) {
                assertTrue(expected.getMessage().contains(bad), expected.getMessage());
            }
        }
    }

    @Test
    void aSimulatedRunWritesAChronicleJournalThatDumpShowsInOrder() throws Exception {
        final Path journal = dir.resolve("journal");
        final Run run = mcrelay("sim", "--seed", "3", "--duration", "40s", "--journal", journal.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("JOURNAL=" + journal.toAbsolutePath()), run.out());
        // the journal does not change the run: same digest as without it
        final Run plain = mcrelay("sim", "--seed", "3", "--duration", "40s");
        assertEquals(plain.out().lines().filter(l -> l.startsWith("DIGEST=")).toList(),
            run.out().lines().filter(l -> l.startsWith("DIGEST=")).toList());

        final Run dump = mcrelay("journal", "dump", journal.toString());
        assertEquals(0, dump.exitCode(), dump::toString);
        final List<String> lines = dump.out().lines().toList();
        assertTrue(lines.size() >= 5, () -> "only " + lines.size() + " entries: " + lines);
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(lines.get(i).startsWith("#" + i + " "), lines.get(i)); // every entry, in order
        }
        assertTrue(lines.getFirst().contains(" seed run seed 3"), lines.getFirst());
        assertTrue(lines.get(1).contains(" start supervisor"), lines.get(1)); // inputs and outputs recorded
        assertTrue(lines.stream().anyMatch(line -> line.contains(" commit supervisor epoch 1 +")), lines::toString);
        assertTrue(lines.stream().anyMatch(line -> line.contains(" client-frame client:")), "client requests");
        assertTrue(lines.stream().anyMatch(line -> line.contains(" worker-frame worker:")), "worker messages");

        final Run json = mcrelay("journal", "dump", "--json", "--from", "2", journal.toString());
        assertEquals(0, json.exitCode(), json::toString);
        final String first = json.out().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith("{\"index\":2,\"time_ns\":") && first.contains("\"kind\":"), first);
        assertTrue(json.out().contains("\"kind\":\"commit\",\"source\":\"supervisor\",\"epoch\":1,"), json.out());
        assertEquals(lines.size() - 2, json.out().lines().count());
    }

    @Test
    void aSimulatedRunsJournalReplaysToIdenticalOutputs() {
        final Path journal = dir.resolve("journal");
        assertEquals(0, mcrelay("sim", "--seed", "6", "--duration", "40s", "--journal", journal.toString())
            .exitCode());
        final Run replay = mcrelay("journal", "replay", journal.toString());
        assertEquals(0, replay.exitCode(), replay::toString);
        assertTrue(replay.out().startsWith("identical: "), replay.out());
        final Run missing = mcrelay("journal", "replay", dir.resolve("nothing").toString());
        assertEquals(1, missing.exitCode(), missing::toString);
        assertTrue(missing.err().contains("no journal at"), missing.err());
    }

    @Test
    void aTruncatedJournalIsReportedAsDamagedWithExitOneAndNoStackTrace() throws Exception {
        final Path journal = dir.resolve("journal");
        assertEquals(0, mcrelay("sim", "--seed", "4", "--duration", "40s", "--journal", journal.toString())
            .exitCode());
        final Path copy = dir.resolve("copy");
        Files.createDirectories(copy);
        try (var files = Files.list(journal)) {
            for (final Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        final Path cycle;
        try (var files = Files.list(copy)) {
            cycle = files.filter(f -> f.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        // Cut the file in the middle of its last entry: just before the last byte written (the rest is sparse).
        final byte[] bytes = Files.readAllBytes(cycle);
        int lastWritten = bytes.length - 1;
        while (lastWritten > 0 && bytes[lastWritten] == 0) {
            lastWritten--;
        }
        try (var channel = java.nio.channels.FileChannel.open(cycle, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(lastWritten - 8);
        }
        final Run dump = mcrelay("journal", "dump", copy.toString());
        assertEquals(1, dump.exitCode(), dump::toString);
        assertTrue(dump.err().contains("is damaged: ") && dump.err().contains(cycle.getFileName().toString()),
            dump.err());
        assertFalse(dump.err().contains("\tat "), "no stack trace: " + dump.err());
    }

    @Test
    void theJournalGoesWithOneSeedIntoANewDirectory() throws Exception {
        final Run many = mcrelay("sim", "--seeds", "2", "--journal", dir.resolve("j").toString());
        assertEquals(2, many.exitCode(), many::toString);
        assertTrue(many.err().startsWith("--journal writes one run's journal: use it with --seed"), many.err());
        final Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "someone's file");
        final Run occupied = mcrelay("sim", "--seed", "1", "--duration", "40s", "--journal", full.toString());
        assertEquals(2, occupied.exitCode(), occupied::toString);
        assertTrue(occupied.err().startsWith("--journal " + full + " already holds something"), occupied.err());
        assertEquals("someone's file", Files.readString(full.resolve("keep.txt")));
    }

    @Test
    void helpListsTheOptionsAndMcrelayListsTheCommand() {
        final Run help = mcrelay("sim", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        for (final String option : List.of("--seed=S", "--seeds=N", "--first-seed=F", "--duration=D", "--journal=DIR",
            "Exit codes:")) {
            assertTrue(help.out().contains(option), () -> option + " missing from\n" + help.out());
        }
        final Run top = mcrelay("--help");
        assertTrue(top.out().lines().anyMatch(l -> l.trim().startsWith("sim ")), top.out());
    }

    @Test
    void theFaultMixIsReadBackIntoKinds() {
        assertEquals(EnumSet.noneOf(FaultKind.class), SimCommand.enabledKinds("none"));
        assertEquals(EnumSet.of(FaultKind.CHANNEL_LOSS, FaultKind.WALL_CLOCK_JUMP),
            SimCommand.enabledKinds("CHANNEL_LOSS=3.2% WALL_CLOCK_JUMP=7.5%"));
    }
}
