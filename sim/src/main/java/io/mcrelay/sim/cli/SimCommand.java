package io.mcrelay.sim.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.mcrelay.cli.spi.ExitCodes;
import io.mcrelay.fault.FaultKind;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.seam.Clock;
import io.mcrelay.sim.Simulator;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mcrelay sim [--seed S | --seeds N [--first-seed F] [--jobs J]] [--duration D] [--journal DIR]}: runs the
 * deterministic simulator. One seed prints the run's own lines ({@code SEED=} first, {@code DIGEST=} last); many seeds print one line
 * per seed (or a progress line on a terminal), each failure's {@code FAILED} lines and reproduce command, and a
 * summary with the fault kinds enabled and fired. Exit 0 if every seed passed, 1 if one failed, 2 on a usage error.
 */
@Command(name = "sim",
    sortOptions = false,
    description = {
        "Run the deterministic simulator for one seed or many.",
        "Each run drives the real supervisor and workers through the default workload with its seed's mix of "
            + "faults, and checks them. The same seed gives the same run and the same DIGEST, bit for bit.",
        "With --seed, prints the run's lines (SEED=, COMMIT=, FAULTS=, any FAILED and REPRODUCE lines, DIGEST=). "
            + "Otherwise runs seeds F..F+N-1 (default: 1..20) and prints one line per seed, or a progress line on a "
            + "terminal when CI is not set, then a summary."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every seed passed",
        "1:a seed failed (its FAILED lines and reproduce command are printed)",
        "2:usage error"})
public final class SimCommand implements Callable<Integer> {
    /**
     * Real time, for the wall-time and compression figures of the summary only: it never reaches a simulation, whose
     * time is virtual. Read through the production clock seam rather than around it.
     */
    private static final Clock WALL_CLOCK = SystemClock.INSTANCE;

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    /** The liveness phase of every run: no faults, everything must converge and every packet arrive once. */
    private static final long LIVENESS_NS = 30 * SECOND;
    /** The shortest {@code --duration}: the liveness phase after at least 5 s of faults. */
    private static final long DURATION_MIN_NS = LIVENESS_NS + 5 * SECOND;
    private static final int DEFAULT_SEEDS = 20;
    private static final int SEEDS_MAX = 1_000_000;
    /** How many failed seeds the summary names; each one's FAILED lines were already printed as it failed. */
    private static final int LISTED_FAILED_SEEDS = 20;
    /** Redraw the progress line at most this often: a terminal need not repaint per seed. */
    private static final long PROGRESS_INTERVAL_NS = 100 * MS;

    /** {@code --seed} or the range of seeds; the two exclude each other. */
    static final class Selection {
        @Option(names = "--seed", paramLabel = "S", required = true,
            description = "Run this one seed (may be negative) and print its lines; exit 1 if it fails.")
        Long seed;

        @ArgGroup(exclusive = false, multiplicity = "1")
        Range range;
    }

    /** The seeds of a multi-seed run. */
    static final class Range {
        @Option(names = "--seeds", paramLabel = "N",
            description = "Run N seeds, 1 to 1,000,000 (default: " + DEFAULT_SEEDS + "), and print a summary.")
        Integer seeds;

        @Option(names = "--first-seed", paramLabel = "F",
            description = "The first seed of --seeds (default: 1).")
        Long firstSeed;

        @Option(names = "--jobs", paramLabel = "J",
            description = "Run J seeds at a time, each on its own thread, 1 to " + SeedFarm.JOBS_MAX + " (default: "
                + "one per CPU). Lines and results come in seed order and each seed's digest is the same as alone; "
                + "the summary's time compression counts every thread's simulated time.")
        Integer jobs;
    }

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    private Selection selection;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "90s", converter = DurationConverter.class,
        description = "Simulated time per seed, e.g. 90s, 2m, 1500ms (default: ${DEFAULT-VALUE}, at least 35s): "
            + "faults during all but the last 30 s, then the liveness phase without faults. Start-up and "
            + "convergence after the faults stop add a little.")
    private long durationNs;

    @Option(names = "--workers", paramLabel = "N",
        description = "Workers per run, 1 to 4 (default: each seed's own, drawn from the seed; its run prints "
            + "WORKERS=). With several, flows spread over them by the production flow hash.")
    private Integer workers;

    @Option(names = "--journal", paramLabel = "DIR",
        description = "With --seed: write the run's supervisor journal to DIR (a Chronicle Queue; DIR must not exist "
            + "or be empty), for 'mcrelay journal dump DIR'.")
    private Path journal;

    private final BooleanSupplier onTerminal;
    private final UnaryOperator<Simulator.Config> adjust;

    /** The command as the CLI runs it: the default workload; progress on a terminal, plain lines otherwise. */
    public SimCommand() {
        this(SimCommand::progressBelongsOnATerminal, UnaryOperator.identity());
    }

    /**
     * For tests: {@code onTerminal} forces plain or terminal mode, and {@code adjust} changes a seed's config (a
     * bound too tight to meet, say) so that the command's handling of a failed seed can be seen.
     */
    SimCommand(final BooleanSupplier onTerminal, final UnaryOperator<Simulator.Config> adjust) {
        this.onTerminal = onTerminal;
        this.adjust = adjust;
    }

    /**
     * True when stdout is a terminal and {@code CI} is unset or empty (DESIGN: long-running commands show progress on
     * a terminal, plain lines in CI or without one). On JDK 25 {@link System#console()} is null unless the standard
     * input and output are both a terminal.
     */
    static boolean progressBelongsOnATerminal() {
        final String ci = System.getenv("CI");
        return System.console() != null && (ci == null || ci.isEmpty());
    }

    @Override
    public Integer call() {
        if (journal != null && (selection == null || selection.seed == null)) {
            throw usage("--journal writes one run's journal: use it with --seed");
        }
        if (journal != null && java.nio.file.Files.exists(journal) && !isEmptyDirectory(journal)) {
            throw usage("--journal " + journal + " already holds something: give a new or empty directory");
        }
        if (durationNs < DURATION_MIN_NS) {
            throw usage("--duration must be at least " + formatDuration(DURATION_MIN_NS) + " (a 30 s liveness phase "
                + "after at least 5 s of faults), not " + formatDuration(durationNs));
        }
        if (workers != null && (workers < Simulator.WORKERS_MIN || workers > Simulator.WORKERS_MAX)) {
            throw usage("--workers must be " + Simulator.WORKERS_MIN + " to " + Simulator.WORKERS_MAX + ", not "
                + workers);
        }
        if (selection != null && selection.seed != null) {
            return runOne(selection.seed);
        }
        final Range range = selection == null ? null : selection.range;
        final int count = range == null || range.seeds == null ? DEFAULT_SEEDS : range.seeds;
        final long first = range == null || range.firstSeed == null ? 1 : range.firstSeed;
        if (count < 1 || count > SEEDS_MAX) {
            throw usage("--seeds must be between 1 and 1,000,000, not " + count);
        }
        if (first > Long.MAX_VALUE - (count - 1)) {
            throw usage("--first-seed " + first + " with --seeds " + count + " runs past the largest seed, "
                + Long.MAX_VALUE);
        }
        final int jobs = range == null || range.jobs == null ? SeedFarm.defaultJobs() : range.jobs;
        if (jobs < 1 || jobs > SeedFarm.JOBS_MAX) {
            throw usage("--jobs must be between 1 and " + SeedFarm.JOBS_MAX + ", not " + jobs);
        }
        return runMany(first, count, jobs);
    }

    private static boolean isEmptyDirectory(final Path dir) {
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (final java.io.IOException e) {
            return false;
        }
    }

    private String reproduce(final long seed) {
        return workers == null ? Simulator.reproduceCommand(seed) : Simulator.reproduceCommand(seed, workers);
    }

    private CommandLine.ParameterException usage(final String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * A seed's run, or what it threw. An exception escaping the run is that seed's failure, not the command's: it is
     * most likely a bug in the code under simulation, and the other seeds still have something to say.
     */
    private record Outcome(long seed, Simulator.Result result, Throwable thrown) {
        boolean passed() {
            return thrown == null && result.passed();
        }
    }

    private Outcome run(final long seed, final Consumer<String> lines) {
        return runWith(seed, lines, adjust);
    }

    private Outcome runWith(final long seed, final Consumer<String> lines, final UnaryOperator<Simulator.Config> how) {
        try {
            final Simulator.Config defaults = Simulator.Config.defaults(seed)
                .withDuration(durationNs - LIVENESS_NS, LIVENESS_NS);
            return new Outcome(seed, Simulator.run(how.apply(workers == null ? defaults
                : defaults.withWorkers(workers)), lines), null);
        } catch (final RuntimeException | AssertionError e) {
            return new Outcome(seed, null, e);
        }
    }

    private static String thrownLine(final Throwable thrown) {
        return "FAILED the simulator threw " + thrown;
    }

    private int runOne(final long seed) {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Outcome outcome;
        if (journal == null) {
            outcome = run(seed, out::println);
        } else {
            // The journal's own file rolling follows real time; what is written in it comes from the run's clock.
            try (ChronicleJournal chronicle = ChronicleJournal.open(journal, SystemClock.INSTANCE,
                ChronicleJournal.Config.daily())) {
                outcome = runWith(seed, out::println, s -> adjust.apply(s).withJournal(chronicle));
            }
            out.println("JOURNAL=" + journal.toAbsolutePath());
        }
        if (outcome.thrown() != null) {
            // No DIGEST line: the run did not finish.
            out.println(thrownLine(outcome.thrown()));
            out.println("REPRODUCE: " + reproduce(seed));
        }
        out.flush(); // before anything on stderr, so that a terminal shows them in this order
        if (outcome.passed()) {
            return ExitCodes.OK;
        }
        if (outcome.thrown() != null) {
            outcome.thrown().printStackTrace(err); // what someone reproducing the failure needs
        }
        err.println("mcrelay: seed " + seed + " failed (see the FAILED lines)");
        return ExitCodes.FAILED;
    }

    /** A seed's outcome and the lines its run printed. */
    private record Ran(Outcome outcome, List<String> lines) {
    }

    private int runMany(final long first, final int count, final int jobs) {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final ProgressLine progress = onTerminal.getAsBoolean() ? new ProgressLine(err) : null;
        final Tally tally = new Tally();
        // Wall time is for the report only (wall time, compression, progress): it never reaches a simulation or its
        // digest, which depend on the seed and the duration alone.
        final long wallStartNs = WALL_CLOCK.nanoTime();
        final long[] lastDrawNs = {wallStartNs - PROGRESS_INTERVAL_NS};
        SeedFarm.run(first, count, jobs, seed -> {
            final List<String> lines = new ArrayList<>();
            return new Ran(run(seed, lines::add), lines);
        }, ran -> {
            final Outcome outcome = ran.outcome();
            tally.add(outcome, ran.lines());
            if (progress != null && !outcome.passed()) {
                progress.clear(); // the failure's lines go to stdout, on the same screen
            }
            if (progress == null || !outcome.passed()) {
                printSeed(out, outcome, ran.lines());
            }
            out.flush();
            final long nowNs = WALL_CLOCK.nanoTime();
            if (progress != null && (nowNs - lastDrawNs[0] >= PROGRESS_INTERVAL_NS || tally.seeds == count)) {
                progress.show(String.format(Locale.ROOT, "sim: %d/%d seeds, %d failed, %.1fx", tally.seeds, count,
                    tally.failed, compression(tally.simulatedNs, nowNs - wallStartNs)));
                lastDrawNs[0] = nowNs;
            }
        });
        final long wallNs = WALL_CLOCK.nanoTime() - wallStartNs;
        if (progress != null) {
            progress.clear();
        } else {
            out.println();
        }
        printSummary(out, tally, wallNs, jobs);
        out.flush();
        if (tally.failed > 0) {
            err.println("mcrelay: " + tally.failed + " of " + count + " seeds failed");
            return ExitCodes.FAILED;
        }
        return ExitCodes.OK;
    }

    /** A seed's line; for a failed seed, then its FAILED lines and the command that reproduces it. */
    private void printSeed(final PrintWriter out, final Outcome outcome, final List<String> lines) {
        final Simulator.Result result = outcome.result();
        if (result == null) {
            out.println("seed " + outcome.seed() + " FAILED: the run did not finish");
            out.println(thrownLine(outcome.thrown()));
            out.println("REPRODUCE: " + reproduce(outcome.seed()));
            return;
        }
        out.println(String.format(Locale.ROOT, "seed %d %s digest=%s %.1f s simulated", outcome.seed(),
            result.passed() ? "ok" : "FAILED", result.digest(), result.simulatedNs() / 1e9));
        if (!result.passed()) {
            for (final String line : lines) {
                if (line.startsWith("FAILED ") || line.startsWith("REPRODUCE: ")) {
                    out.println(line);
                }
            }
        }
    }

    private static double compression(final long simulatedNs, final long wallNs) {
        return simulatedNs / (double) Math.max(1, wallNs);
    }

    /** What many runs found, without keeping the runs. */
    private static final class Tally {
        int seeds;
        int failed;
        long simulatedNs;
        final List<Long> failedSeeds = new ArrayList<>();
        final Map<FaultKind, Long> enabled = new EnumMap<>(FaultKind.class);
        final Map<FaultKind, Long> fired = new EnumMap<>(FaultKind.class);

        void add(final Outcome outcome, final List<String> lines) {
            seeds++;
            if (!outcome.passed()) {
                failed++;
                if (failedSeeds.size() < LISTED_FAILED_SEEDS) {
                    failedSeeds.add(outcome.seed());
                }
            }
            final Simulator.Result result = outcome.result();
            if (result != null) {
                simulatedNs += result.simulatedNs();
                countEnabled(result.faultMix());
                result.fired().forEach((kind, count) -> fired.merge(kind, count, Long::sum));
            } else {
                // A run that threw has no result, but it printed its fault mix (FAULTS=) before it began.
                for (final String line : lines) {
                    if (line.startsWith("FAULTS=")) {
                        countEnabled(line.substring("FAULTS=".length()));
                    }
                }
            }
        }

        private void countEnabled(final String faultMix) {
            for (final FaultKind kind : enabledKinds(faultMix)) {
                enabled.merge(kind, 1L, Long::sum);
            }
        }
    }

    /** The kinds of a run's fault mix, as {@code Result.faultMix()} prints it: {@code KIND=rate% ...} or "none". */
    static Set<FaultKind> enabledKinds(final String faultMix) {
        final Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        if (faultMix.equals("none")) {
            return kinds;
        }
        for (final String entry : faultMix.split(" ")) {
            final int equals = entry.indexOf('=');
            try {
                kinds.add(FaultKind.valueOf(equals < 0 ? entry : entry.substring(0, equals)));
            } catch (final IllegalArgumentException e) {
                throw new IllegalStateException("cannot read the fault mix '" + faultMix + "': unknown kind in '"
                    + entry + "'", e);
            }
        }
        return kinds;
    }

    private static void printSummary(final PrintWriter out, final Tally tally, final long wallNs, final int jobs) {
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"seeds run", Integer.toString(tally.seeds)});
        rows.add(new String[] {"failed", Integer.toString(tally.failed)});
        rows.add(new String[] {"passed", Integer.toString(tally.seeds - tally.failed)});
        if (tally.failed > 0) {
            final StringBuilder seeds = new StringBuilder();
            for (final long seed : tally.failedSeeds) {
                seeds.append(seeds.isEmpty() ? "" : " ").append(seed);
            }
            if (tally.failed > tally.failedSeeds.size()) {
                seeds.append(" (the first ").append(tally.failedSeeds.size()).append(')');
            }
            rows.add(new String[] {"failed seeds", seeds.toString()});
        }
        rows.add(new String[] {"seeds at a time", Integer.toString(jobs)});
        rows.add(new String[] {"simulated time", String.format(Locale.ROOT, "%.1f s", tally.simulatedNs / 1e9)});
        rows.add(new String[] {"wall time", String.format(Locale.ROOT, "%.2f s", wallNs / 1e9)});
        rows.add(new String[] {"time compression",
            String.format(Locale.ROOT, "%.1fx", compression(tally.simulatedNs, wallNs))});
        int labelWidth = 0;
        for (final String[] row : rows) {
            labelWidth = Math.max(labelWidth, row[0].length());
        }
        for (final String[] row : rows) {
            out.println(pad(row[0], labelWidth) + "  " + row[1]);
        }

        out.println();
        final String kindHeading = "fault kind";
        final String enabledHeading = "seeds enabled";
        final String firedHeading = "fired";
        int kindWidth = kindHeading.length();
        int enabledWidth = enabledHeading.length();
        int firedWidth = firedHeading.length();
        for (final FaultKind kind : FaultKind.values()) {
            kindWidth = Math.max(kindWidth, kind.name().length());
            enabledWidth = Math.max(enabledWidth, Long.toString(tally.enabled.getOrDefault(kind, 0L)).length());
            firedWidth = Math.max(firedWidth, Long.toString(tally.fired.getOrDefault(kind, 0L)).length());
        }
        out.println(pad(kindHeading, kindWidth) + "  " + padLeft(enabledHeading, enabledWidth) + "  "
            + padLeft(firedHeading, firedWidth));
        for (final FaultKind kind : FaultKind.values()) {
            out.println(pad(kind.name(), kindWidth) + "  "
                + padLeft(Long.toString(tally.enabled.getOrDefault(kind, 0L)), enabledWidth) + "  "
                + padLeft(Long.toString(tally.fired.getOrDefault(kind, 0L)), firedWidth));
        }
    }

    private static String pad(final String text, final int width) {
        return text + " ".repeat(width - text.length());
    }

    private static String padLeft(final String text, final int width) {
        return " ".repeat(width - text.length()) + text;
    }

    /** A duration as the user would write it: whole seconds as {@code 35s}, anything finer in milliseconds. */
    private static String formatDuration(final long ns) {
        return ns % SECOND == 0 ? ns / SECOND + "s" : ns / MS + "ms";
    }

    /** One line on stderr that each {@code show} overwrites in place ({@code \r}), for a terminal. */
    private static final class ProgressLine {
        private final PrintWriter err;
        private int width;

        ProgressLine(final PrintWriter err) {
            this.err = err;
        }

        void show(final String text) {
            // Spaces over what a longer previous text left behind.
            err.print("\r" + text + " ".repeat(Math.max(0, width - text.length())));
            err.flush();
            width = text.length();
        }

        void clear() {
            if (width > 0) {
                err.print("\r" + " ".repeat(width) + "\r");
                err.flush();
                width = 0;
            }
        }
    }

    /**
     * Parses {@code --duration}: a whole number and a unit ({@code ms}, {@code s}, {@code m} or {@code h}) into
     * nanoseconds, the simulator's unit.
     */
    static final class DurationConverter implements CommandLine.ITypeConverter<Long> {
        private static final Pattern FORMAT = Pattern.compile("(\\d{1,18})(ms|s|m|h)");

        @Override
        public Long convert(final String value) {
            final Matcher matcher = FORMAT.matcher(value);
            if (!matcher.matches()) {
                throw new CommandLine.TypeConversionException("expected a whole number and a unit (ms, s, m or h), "
                    + "e.g. 90s, 2m or 1500ms, not '" + value + "'");
            }
            final long unitNs = switch (matcher.group(2)) {
                case "ms" -> MS;
                case "s" -> SECOND;
                case "m" -> 60 * SECOND;
                default -> 3_600 * SECOND;
            };
            try {
                return Math.multiplyExact(Long.parseLong(matcher.group(1)), unitNs);
            } catch (final ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is longer than the simulator's clock "
                    + "can count (about 292 years)");
            }
        }
    }
}
