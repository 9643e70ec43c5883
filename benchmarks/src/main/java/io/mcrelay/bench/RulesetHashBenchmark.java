package io.mcrelay.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.mcrelay.protocol.RulesetHash;
import io.mcrelay.rules.Rule;

/**
 * What the ruleset hash costs: {@link RulesetHash#of} over a whole ruleset (what a worker pays after a full
 * {@code Sync}, and what a rehash on every change would cost) against the incremental update when one rule is added
 * (one digest and an addition: what every {@code Apply} costs instead).
 *
 * <p>Run from the repository root as {@code java @jvm.options -jar benchmarks/target/benchmarks.jar RulesetHash}
 * (see {@code benchmarks/README.md}). {@code @Fork} gives no JVM arguments on purpose: JMH then starts its fork with
 * the parent's, so the flags come from {@code jvm.options} and are never copied here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class RulesetHashBenchmark {

    /** A ruleset of {@code ruleCount} rules, built once per trial. */
    @State(Scope.Benchmark)
    public static class Ruleset {
        /** 100: a typical deployment; 65,536: the default rule limit. */
        @Param({"100", "10000", "65536"})
        public int ruleCount;

        List<Rule> rules;

        @Setup
        public void build() {
            rules = BenchmarkRules.rules(ruleCount);
        }
    }

    /**
     * The hash of a ruleset and one more rule: the incremental update does not depend on the ruleset's size, so it
     * has no size parameter and runs once rather than once per size.
     */
    @State(Scope.Benchmark)
    public static class OneMoreRule {
        long hash;
        Rule rule;

        @Setup
        public void build() {
            final List<Rule> rules = BenchmarkRules.rules(100);
            hash = RulesetHash.of(rules);
            rule = BenchmarkRules.rule(rules.size());
        }
    }

    /** Hashes every rule of the set. */
    @Benchmark
    public long wholeRuleset(final Ruleset ruleset) {
        return RulesetHash.of(ruleset.rules);
    }

    /** Digests one rule and folds it into the hash. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long addOneRule(final OneMoreRule state) {
        return RulesetHash.add(state.hash, RulesetHash.digest(state.rule));
    }
}
